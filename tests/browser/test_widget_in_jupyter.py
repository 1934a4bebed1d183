"""The foundation slice in a real JupyterLab 4 and Notebook 7: data flows both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from jupyter import DrawnBox, JupyterServer, NotebookPage, Ui
from playwright.sync_api import Page, expect

DRAW = """\
import torchvision
import torchscope as ts
model = torchvision.models.alexnet()
view = ts.draw_model(model, [1, 3, 224, 224])
view"""
# The expected label is computed by the kernel from the model itself, not typed into the test.
TRUTH = "print('TRUTH', type(model.features[0]).__name__)"
SELECTED = "print('SELECTED=' + repr(view.selected))"


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_python_payload_is_drawn_and_click_reaches_kernel(
    page: Page, jupyter: JupyterServer, artifacts: Path, ui: Ui
) -> None:
    path = jupyter.write_notebook(f"slice-{ui}.ipynb", [DRAW, TRUTH, SELECTED])
    nb = NotebookPage(page, jupyter, path, ui)
    nb.run_cell(0)
    node = nb.wait_drawn(0, "features.0")

    truth = nb.run_cell(1).split()[-1]
    assert truth == "Conv2d"
    assert (node["op"], node["label"], node["detail"]) == (truth, "features.0", "[1, 64, 55, 55]")
    assert node["text"], "the first view is zoomed so that the labels are drawn as text"

    assert nb.run_cell(2).strip() == "SELECTED=''"
    nb.widget(0).locator('[data-action="fit"]').click()  # the whole graph on screen
    target = nb.wait_drawn(0, "classifier.1", lambda b: not b["selected"])
    # the middle of the box's top border: painted in the border colour, then in the accent colour
    edge = (target["x"] + target["width"] / 2, target["y"] + 0.5)
    before = nb.pixel(0, *edge)
    nb.click_node(0, "classifier.1")
    nb.wait_drawn(0, "classifier.1", lambda b: b["selected"])
    accent = nb.widget(0).evaluate(
        "el => { const c = document.createElement('canvas').getContext('2d');"
        " c.fillStyle = getComputedStyle(el).getPropertyValue('--ts-accent').trim(); return c.fillStyle; }"
    )
    nb.wait_pixel(0, *edge, lambda rgb: rgb != before)
    # the border is 2.5 px wide, antialiased at its sides: one of the rows across it is pure accent
    across = [nb.pixel(0, edge[0], edge[1] + dy) for dy in (-1, 0, 1)]
    assert any(_close(rgb, accent) for rgb in across), (before, across, accent)
    nb.wait_for_output(2, lambda text: text.strip() == "SELECTED='classifier.1'")
    details = nb.widget(0).locator(".ts-details")
    expect(details.locator(".ts-details-title")).to_have_text("Linear")
    # Linear(9216, 4096): 9216·4096 + 4096 parameters, shown humanised in the panel
    expect(details.locator(".ts-details-stats tr").first).to_contain_text("37.75 M")
    page.screenshot(path=str(artifacts / f"slice-{ui}.png"))
    assert nb.errors == [], nb.errors


EXPANDED = "print('EXPANDED=' + repr(sorted(view.expanded)))"
OPEN_FEATURES = "view.expanded = ['classifier', 'features']"


def test_collapsing_in_the_page_and_expanding_from_python(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("expand.ipynb", [DRAW, EXPANDED, OPEN_FEATURES])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    nb.wait_drawn(0, "features.0")
    # AlexNet is small: the first view opens fully expanded, and says so to the kernel
    nb.wait_for_output(1, lambda text: text.strip() == "EXPANDED=['classifier', 'features']")

    nb.click_node(0, "features", toggle=True)
    nb.wait_gone(0, "features.0")
    assert nb.wait_drawn(0, "features")["kind"] == "group"
    nb.wait_for_output(1, lambda text: text.strip() == "EXPANDED=['classifier']")

    nb.run_cell(2)
    nb.wait_drawn(0, "features.0")
    assert nb.errors == [], nb.errors


def test_search_finds_and_reveals_a_nested_node(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("search.ipynb", [DRAW, SELECTED, EXPANDED])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    widget = nb.widget(0)
    nb.wait_drawn(0, "features.0")
    widget.locator('[data-action="collapse-all"]').click()
    nb.wait_gone(0, "classifier.4")
    widget.locator(".ts-search-input").fill("classifier.4")
    widget.locator(".ts-search-hit", has_text="classifier.4").click()
    nb.wait_drawn(0, "classifier.4", lambda b: b["selected"])
    nb.wait_for_output(1, lambda text: text.strip() == "SELECTED='classifier.4'")
    nb.wait_for_output(2, lambda text: text.strip() == "EXPANDED=['classifier']")
    assert nb.errors == [], nb.errors


ORIENTATION = "print('ORIENTATION=' + view.orientation)"
TO_LR = "view.orientation = 'LR'"


def _centre(box: DrawnBox) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _close(rgb: tuple[int, int, int], css: str) -> bool:
    """Whether a painted pixel is (antialiasing aside) the colour ``css`` ('#rrggbb')."""
    want = [int(css[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= 24 for a, b in zip(rgb, want, strict=True))


def test_orientation_from_python_and_from_the_toolbar(
    page: Page, jupyter: JupyterServer, artifacts: Path
) -> None:
    path = jupyter.write_notebook("orientation.ipynb", [DRAW, TO_LR, ORIENTATION])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    (x0, y0), (x1, y1) = _centre(nb.wait_drawn(0, "features.0")), _centre(nb.wait_drawn(0, "features.1"))
    assert abs(x0 - x1) < 1 < y1 - y0, "top to bottom: one column, going down"

    nb.run_cell(1)
    # the toggle names what a click will do: go back
    expect(nb.widget(0).locator('[data-action="orientation"]')).to_have_text("Top → bottom")
    first = nb.wait_drawn(0, "features.0")
    # re-laid out once features.1 sits level with features.0
    second = nb.wait_drawn(0, "features.1", lambda b: abs(b["y"] - first["y"]) < 1)
    (x0, y0), (x1, y1) = _centre(first), _centre(second)
    assert abs(y0 - y1) < 1 < x1 - x0, "left to right: one row, going right"
    page.screenshot(path=str(artifacts / "orientation-lr.png"))

    nb.widget(0).locator('[data-action="orientation"]').click()
    nb.wait_for_output(2, lambda text: text.strip() == "ORIENTATION=TB")
    assert nb.errors == [], nb.errors


BIG_MODELS = """\
import torch, torchvision, transformers
import torchscope as ts
resnet = ts.draw_model(torchvision.models.resnet50(), [1, 3, 224, 224])
config = transformers.GPT2Config(n_layer=12, n_embd=768, n_head=12)
with torch.device("meta"):
    gpt2 = transformers.GPT2LMHeadModel(config)
gpt = ts.draw_model(gpt2, [1, 64], dtype=torch.long)
gpt.expanded = ["transformer"]  # its blocks sit right inside: ModuleList is never called
resnet"""
TRUTH_BIG = (
    "print('FIRST', [g['id'] for g in resnet.document['groups'] if g['parent'] is None][:2], "
    "gpt.document['model']['name'])"
)


def test_resnet50_and_gpt2_render_in_light_and_dark(
    page: Page, jupyter: JupyterServer, artifacts: Path
) -> None:
    path = jupyter.write_notebook("big.ipynb", [BIG_MODELS, "gpt", TRUTH_BIG])
    nb = NotebookPage(page, jupyter, path, "lab")
    # JupyterLab detaches cells scrolled far out of view: check each widget right after its cell
    nb.run_cell(0)
    expect(nb.widget(0).locator(".ts-title")).to_have_text("ResNet", timeout=30_000)
    # ResNet-50 opens at a readable depth: its stages are drawn
    nb.wait_drawn(0, "layer1")
    page.screenshot(path=str(artifacts / "resnet50-light.png"))
    nb.run_cell(1)
    # with the blocks' container open and the blocks closed, GPT-2's 12 identical blocks fold into one
    nb.wait_drawn(1, "transformer.h.0×12")
    nb.widget(1).locator('[data-action="fit"]').click()
    nb.widget(1).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "gpt2-light.png"))
    light = nb.widget(1).evaluate("el => getComputedStyle(el).backgroundColor")
    jupyter.set_theme("JupyterLab Dark")
    try:
        dark_page = NotebookPage(page, jupyter, path, "lab")
        expect(page.locator("body")).to_have_attribute(
            "data-jp-theme-name", "JupyterLab Dark", timeout=30_000
        )
        dark_page.run_cell(1)
        dark_page.wait_drawn(1, "transformer.h.0×12")
        dark_page.widget(1).locator('[data-action="fit"]').click()
        dark = dark_page.widget(1).evaluate("el => getComputedStyle(el).backgroundColor")
        page.screenshot(path=str(artifacts / "gpt2-dark.png"))
    finally:
        jupyter.set_theme("JupyterLab Light")
    assert light != dark, "the widget follows the JupyterLab theme"
    truth = nb.run_cell(2)
    assert "['layer1', 'layer2']" in truth
    assert "GPT2LMHeadModel" in truth
    assert nb.errors == [], nb.errors


HOSTILE_CELLS = [
    f"""\
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from hostile import HOSTILE, hostile_model
import torchscope as ts
model, inputs = hostile_model()
view = ts.draw_model(model, kwargs=inputs)
view""",
    "ts.model_stats(model, kwargs=inputs)",
]


def test_hostile_model_strings_run_no_script_in_the_widget_or_the_table(
    page: Page, jupyter: JupyterServer
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    path = jupyter.write_notebook("hostile.ipynb", HOSTILE_CELLS)
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    labels = nb.diagram(0).evaluate(
        "el => new Promise(done => { const wait = () => el.torchscope.status() === 'ready'"
        " ? done(el.torchscope.all().map(b => b.label)) : setTimeout(wait, 100); wait(); })"
    )
    assert "<script>alert(1)</script>" in labels
    assert "<img src=x onerror=alert(1)>" in labels
    # the stats table's HTML (_repr_html_) shows the same strings as text
    nb.run_cell(1)
    table = nb.cell(1).locator(".jp-OutputArea")
    expect(table).to_contain_text("<img src=x onerror=alert(1)>")
    assert table.locator("img, script:not([type])").count() == 0
    # a details panel showing one of them
    nb.widget(0).locator(".ts-search-input").fill("/onerror/")
    nb.widget(0).locator(".ts-search-hit").first.click()
    expect(nb.widget(0).locator(".ts-details")).to_contain_text("<img src=x onerror=alert(1)>")
    page.wait_for_timeout(500)
    assert dialogs == [], f"an injected script ran: {dialogs}"
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert nb.errors == [], nb.errors
