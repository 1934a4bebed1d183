"""The foundation slice in a real JupyterLab 4 and Notebook 7: data flows both ways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jupyter import JupyterServer, NotebookPage, Ui
from playwright.sync_api import Locator, Page, expect

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
    node = nb.node(0, "features.0")
    expect(node).to_be_visible(timeout=30_000)

    truth = nb.run_cell(1).split()[-1]
    assert truth == "Conv2d"
    expect(node.locator(".ts-op")).to_have_text(truth)
    expect(node.locator(".ts-label")).to_have_text("features.0")
    expect(node.locator(".ts-shape")).to_have_text("[1, 64, 55, 55]")

    assert nb.run_cell(2).strip() == "SELECTED=''"
    nb.widget(0).locator('[data-action="fit"]').click()  # the whole graph on screen
    nb.node(0, "classifier.1").click()
    expect(nb.node(0, "classifier.1")).to_have_class("ts-node ts-kind-module ts-selected")
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
    expect(nb.node(0, "features.0")).to_be_visible(timeout=30_000)
    # AlexNet is small: the first view opens fully expanded, and says so to the kernel
    nb.wait_for_output(1, lambda text: text.strip() == "EXPANDED=['classifier', 'features']")

    nb.node(0, "features").locator('[data-action="toggle"]').click()
    expect(nb.node(0, "features.0")).to_have_count(0)
    expect(nb.node(0, "features")).to_have_class(re.compile(r"\bts-kind-group\b"))
    nb.wait_for_output(1, lambda text: text.strip() == "EXPANDED=['classifier']")

    nb.run_cell(2)
    expect(nb.node(0, "features.0")).to_be_visible(timeout=30_000)
    assert nb.errors == [], nb.errors


def test_search_finds_and_reveals_a_nested_node(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("search.ipynb", [DRAW, SELECTED, EXPANDED])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    widget = nb.widget(0)
    widget.locator('[data-action="collapse-all"]').click()
    expect(nb.node(0, "classifier.4")).to_have_count(0)
    widget.locator(".ts-search-input").fill("classifier.4")
    widget.locator(".ts-search-hit", has_text="classifier.4").click()
    expect(nb.node(0, "classifier.4")).to_be_visible()
    expect(nb.node(0, "classifier.4")).to_have_class(re.compile(r"\bts-selected\b"))
    nb.wait_for_output(1, lambda text: text.strip() == "SELECTED='classifier.4'")
    nb.wait_for_output(2, lambda text: text.strip() == "EXPANDED=['classifier']")
    assert nb.errors == [], nb.errors


ORIENTATION = "print('ORIENTATION=' + view.orientation)"
TO_LR = "view.orientation = 'LR'"


def _centre(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_orientation_from_python_and_from_the_toolbar(
    page: Page, jupyter: JupyterServer, artifacts: Path
) -> None:
    path = jupyter.write_notebook("orientation.ipynb", [DRAW, TO_LR, ORIENTATION])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    first, second = nb.node(0, "features.0"), nb.node(0, "features.1")
    expect(first).to_have_count(1, timeout=30_000)
    (x0, y0), (x1, y1) = _centre(first), _centre(second)
    assert abs(x0 - x1) < 1 < y1 - y0, "top to bottom: one column, going down"

    nb.run_cell(1)
    expect(nb.widget(0).locator('[data-action="orientation"]')).to_have_text("Left → right")
    (x0, y0), (x1, y1) = _centre(first), _centre(second)
    assert abs(y0 - y1) < 1 < x1 - x0, "left to right: one row, going right"
    page.screenshot(path=str(artifacts / "orientation-lr.png"))

    nb.widget(0).locator('[data-action="orientation"]').click()
    nb.wait_for_output(2, lambda text: text.strip() == "ORIENTATION=TB")
    assert nb.errors == [], nb.errors
