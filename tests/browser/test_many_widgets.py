"""Several widgets in one notebook are independent, and a view shown again — in another cell or
after a page reload — comes back from its traits: orientation, expanded groups, selection, metric."""

from __future__ import annotations

from jupyter import JupyterServer, NotebookPage
from playwright.sync_api import Page, expect

TWO = """\
import torchvision
import torchscope as ts
a = ts.draw_model(torchvision.models.alexnet(), [1, 3, 224, 224])
b = ts.draw_model(torchvision.models.alexnet(), [1, 3, 224, 224])
a"""
SET = "a.orientation = 'LR'; a.expanded = ['classifier']; a.selected = 'classifier.4'; a.metric = 'flops'"
STATE = (
    "print('STATE', a.orientation, a.expanded, a.selected, a.metric, '|',"
    " b.orientation, b.expanded, b.selected)"
)


def test_widgets_are_independent_and_come_back_from_their_traits(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("many.ipynb", [TWO, "b", SET, STATE, "a"])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    nb.wait_drawn(0, "features.0")
    nb.run_cell(1)
    nb.wait_drawn(1, "features.0")
    # change a from the kernel: b does not follow
    nb.run_cell(2)
    text = nb.wait_for_output(3, lambda out: "classifier.4" in out)
    assert "LR ['classifier'] classifier.4 flops | TB ['features', 'classifier']" in text, text
    # b's drawing is untouched: still top to bottom, features open, nothing selected
    nb.wait_drawn(1, "features.1")
    first, second = nb.drawn_together(1, ["features.0", "features.1"])
    assert first is not None
    assert second is not None
    assert second["y"] > first["y"] + 1
    assert not first["selected"]

    # a shown again in another cell: the same view, from its traits
    nb.run_cell(4)
    nb.wait_drawn(4, "classifier.4", lambda b: b["selected"])
    nb.wait_drawn(4, "classifier.5")
    # read together: Lab may still be scrolling the new output into view between two reads
    again, beside = nb.drawn_together(4, ["classifier.4", "classifier.5"])
    assert again is not None
    assert beside is not None
    assert abs(beside["y"] - again["y"]) < 1 < beside["x"] - again["x"], "left to right"
    assert nb.drawn(4, "features.0") is None, "features stays collapsed"
    expect(nb.widget(4).locator(".ts-legend")).to_contain_text("FLOPs")

    # saved, then the page reloaded: the views come back from the kernel's widget state
    page.keyboard.press("Control+s")
    expect(page.locator(".jp-mod-current.jp-mod-dirty")).to_have_count(0, timeout=10_000)
    nb = NotebookPage(page, jupyter, path, "lab")
    restored = nb.wait_drawn(4, "classifier.4", lambda b: b["selected"], timeout_ms=60_000)
    assert restored["selected"]
    assert nb.drawn(4, "features.0") is None
    assert nb.errors == [], nb.errors
