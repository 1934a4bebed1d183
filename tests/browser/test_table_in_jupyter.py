"""The stats table in a real JupyterLab on ResNet-50: sorting, and sync with the diagram and Python."""

from __future__ import annotations

import re

from jupyter import JupyterServer, NotebookPage
from playwright.sync_api import Page, expect

DRAW = """\
import torchvision
import torchscope as ts
model = torchvision.models.resnet50()
view = ts.draw_model(model, [1, 3, 224, 224])
view"""
# The truth comes from the kernel: the leaf with the most FLOPs, computed from the payload in Python.
TRUTH = (
    "top = max((n for n in view.document['nodes'] if n['stats'].get('flops') is not None),"
    " key=lambda n: n['stats']['flops']); print('TOP', top['id'], top['stats']['flops'])"
)
SELECTED = "print('SELECTED=' + repr(view.selected))"
EXPANDED = "print('EXPANDED=' + repr('layer1' in view.expanded))"


def test_sorting_and_sync_with_the_diagram_and_the_kernel(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("table.ipynb", [DRAW, TRUTH, SELECTED, EXPANDED])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    nb.wait_drawn(0, "layer1")
    widget = nb.widget(0)
    table = widget.locator(".ts-table")
    _, top_id, top_flops = nb.run_cell(1).split()
    # a tie would make "the first row" ambiguous: the test checks the maximum is unique
    assert int(top_flops) > 0

    # flat mode, sorted by FLOPs: the most expensive layer comes first
    table.locator('[data-action="table-mode"]').click()
    table.locator('.ts-head-cell[data-key="flops"]').click()
    expect(table.locator('.ts-head-cell[data-key="flops"]')).to_have_attribute("aria-sort", "descending")
    first = table.locator(".ts-row").first
    expect(first).to_have_attribute("data-row-id", top_id)
    expect(first.locator('.ts-cell[data-key="flops"]')).to_have_attribute("title", f"{int(top_flops):,}")

    # clicking that row selects the node: in the diagram and in the kernel
    first.click()
    nb.wait_drawn(0, top_id, lambda b: b["selected"])
    nb.wait_for_output(2, lambda text: text.strip() == f"SELECTED={top_id!r}")

    # clicking a node in the diagram scrolls its row into view and highlights it: a BatchNorm
    # on screen next to the selection, whose row sits far down the FLOPs order
    on_screen = nb.diagram(0).evaluate("el => el.torchscope.boxes().map(b => [b.id, b.op])")
    norm = next(box_id for box_id, op in on_screen if op == "BatchNorm2d")
    row = table.locator(f'.ts-row[data-row-id="{norm}"]')
    expect(row).to_have_count(0)  # virtualised: not drawn while scrolled away
    nb.click_node(0, norm)
    expect(row).to_have_class(re.compile(r"\bts-selected\b"))
    expect(row).to_be_in_viewport()
    # the pointer still rests on the node: hovering the diagram highlights the row too
    expect(row).to_have_class(re.compile(r"\bts-hovered\b"))
    nb.wait_for_output(2, lambda text: text.strip() == f"SELECTED={norm!r}")

    # collapsing a group in the table (tree mode) collapses it in the diagram and the trait
    table.locator('[data-action="table-mode"]').click()
    nb.wait_for_output(3, lambda text: text.strip() == "EXPANDED=True")
    # still sorted by FLOPs: the filter (shared with the search box) brings layer1's rows up
    table.locator(".ts-table-filter").fill("layer1")
    expect(widget.locator(".ts-search-input")).to_have_value("layer1")
    table.locator('.ts-row[data-row-id="layer1"] [data-action="toggle"]').click()
    nb.wait_drawn(0, "layer1", lambda b: b["kind"] == "group")
    nb.wait_gone(0, "layer1.0.conv1")
    nb.wait_for_output(3, lambda text: text.strip() == "EXPANDED=False")
    assert nb.errors == [], nb.errors
