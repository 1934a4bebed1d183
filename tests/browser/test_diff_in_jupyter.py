"""The diff widget in a real JupyterLab: status colours on the canvas, roll-ups, the "only
differences" filter and the selection synced with the kernel, with screenshots.

The two models: ResNet-18, and a copy with one kernel size changed (layer2.0.conv2), one block
removed (layer3.1) and one added (layer4.2), so every status is on the page.
"""

from __future__ import annotations

import re
from pathlib import Path

from jupyter import JupyterServer, NotebookPage
from playwright.sync_api import Page, expect

DIFF = """\
import copy
import torchvision
from torch import nn
import torchscope as ts
a = torchvision.models.resnet18()
b = copy.deepcopy(a)
b.layer2[0].conv2 = nn.Conv2d(128, 128, 5, padding=2, bias=False)
b.layer3 = nn.Sequential(b.layer3[0])
b.layer4.append(copy.deepcopy(b.layer4[1]))
d = ts.diff(a, b, [1, 3, 224, 224], names=("resnet18", "edited"))
view = d.draw()
view.expanded = ["layer1"]
view"""
# what the kernel knows, printed for the test to compare with the page
STATE = "print('STATE', repr(view.selected), view.pair, repr(view.status))"
DELTAS = (
    "print('DELTAS', *(f'{r[\"id\"]}={r[\"flops_delta\"]}' for r in d.rows"
    " if r['id'] in ('layer2', 'layer3', 'layer4')))"
)
# layer4.2 copies layer4.1, so the two fold into one ×2 box until both are opened
EXPAND = "view.expanded = ['layer1', 'layer2', 'layer2.0', 'layer3', 'layer4', 'layer4.1', 'layer4.2']"
SELECT = "view.selected = 'layer4.2'"
OPEN_LAYER4 = "view.expanded = ['layer1', 'layer4']"


def _signed(value: int) -> str:
    """``+1.23 GFLOPs`` as the page writes a roll-up's delta (js/graph/diff.ts, signedCount)."""
    sign, size = ("+" if value > 0 else "−"), abs(value)
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if size >= scale:
            return f"{sign}{size / scale:.2f} {unit}FLOPs"
    return f"{sign}{size} FLOPs"


def _hue(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    if g > r + 30 and g > b + 20:
        return "green"
    if r > g + 60 and r > b + 50:
        return "red"
    if r > g + 30 and b > g + 30:
        return "purple"
    return "other"


def _border_hue(nb: NotebookPage, box_id: str) -> str:
    """The hue of a box's left border, read across it at a few heights (a dashed one has gaps)."""
    box = nb.wait_drawn(0, box_id)
    middle = box["y"] + box["height"] / 2
    hues = [
        _hue(nb.pixel(0, box["x"] + dx, middle + dy))
        for dy in (-6, -3, 0, 3, 6)
        for dx in (-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2)
    ]
    coloured = [h for h in hues if h != "other"]
    return max(set(coloured), key=coloured.count) if coloured else "other"


def test_the_diff_widget_in_jupyterlab(page: Page, jupyter: JupyterServer, artifacts: Path) -> None:
    path = jupyter.write_notebook("diff.ipynb", [DIFF, STATE, DELTAS, EXPAND, SELECT, OPEN_LAYER4])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    _roll_ups(nb)
    nb.widget(0).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "diff-rollups.png"))
    _colours(nb)
    nb.widget(0).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "diff-colours.png"))
    _only_differences(nb, artifacts)
    _selection(nb)
    nb.widget(0).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "diff-selection.png"))
    assert nb.errors == [], nb.errors


def _roll_ups(nb: NotebookPage) -> None:
    """Each collapsed stage says what changed inside it, with the kernel's FLOPs delta."""
    deltas = dict(item.split("=") for item in nb.run_cell(2).split()[1:])
    layer2 = nb.wait_drawn(0, "layer2", lambda b: b["kind"] == "group")
    assert layer2["status"] == "changed"
    assert layer2["cost"] == f"1 changed · {_signed(int(deltas['layer2']))}"
    assert nb.wait_drawn(0, "layer3")["cost"] == f"−1 block · {_signed(int(deltas['layer3']))}"
    assert nb.wait_drawn(0, "layer4")["cost"] == f"+1 block · {_signed(int(deltas['layer4']))}"
    assert nb.wait_drawn(0, "layer1")["status"] == "same"
    expect(nb.widget(0).locator(".ts-diff-key")).to_contain_text("resnet18 → edited")
    # opened, layer4's kept block and the added copy of it fold into one box that rolls both up
    nb.run_cell(5)
    fold = nb.wait_drawn(0, "layer4.1×2")
    assert fold["status"] == "changed"
    assert fold["cost"].startswith("+1 block · +")


def _colours(nb: NotebookPage) -> None:
    """Opened: the changed conv purple, the removed block (drawn from a) red and dashed, the
    added one green; an unchanged layer keeps the module blue."""
    nb.run_cell(3)
    nb.wait_drawn(0, "layer2.0.conv2")
    nb.diagram(0).evaluate("el => el.dispatchEvent(new Event('ts-fit'))")
    for box_id, hue in (("layer2.0.conv2", "purple"), ("layer3.1", "red"), ("layer4.2", "green")):
        assert _border_hue(nb, box_id) == hue, box_id
    assert _border_hue(nb, "layer2.0.conv1") not in ("purple", "red", "green")


def _only_differences(nb: NotebookPage, artifacts: Path) -> None:
    """Every row left differs, and the same ones come back when the filter is off."""
    table = nb.widget(0).locator(".ts-table")
    rows = table.locator(".ts-row")
    before = rows.count()
    table.locator('[data-action="only-differences"]').check()
    expect(rows.first).to_have_attribute("data-status", re.compile("changed|added|removed"))
    statuses = rows.evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert "same" not in statuses
    assert {"changed", "added", "removed"} <= set(statuses)
    assert rows.count() < before
    nb.page.screenshot(path=str(artifacts / "diff-only-differences.png"))
    table.locator('[data-action="only-differences"]').uncheck()
    expect(rows).to_have_count(before)


def _selection(nb: NotebookPage) -> None:
    """A click on the removed block reaches the kernel as a pair; Python's choice reaches the
    page, whose details show both sides."""
    nb.click_node(0, "layer3.1")
    nb.wait_for_output(1, lambda text: text.strip() == "STATE 'layer3.1' ('layer3.1', None) 'removed'")
    compared = nb.widget(0).locator(".ts-details-compare")
    expect(compared).to_have_attribute("data-status", "removed")
    nb.run_cell(4)
    nb.wait_drawn(0, "layer4.2", lambda b: b["selected"])
    expect(compared).to_have_attribute("data-status", "added")
    expect(compared.locator('tr[data-field="Params"] td').nth(1)).to_have_text("—")
    nb.wait_for_output(1, lambda text: text.strip() == "STATE 'layer4.2' (None, 'layer4.2') 'added'")
