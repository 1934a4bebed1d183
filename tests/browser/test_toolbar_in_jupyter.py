"""In a JupyterLab cell about 900 px wide, the widget's toolbar is one row and nothing is cut."""

from __future__ import annotations

from pathlib import Path

from jupyter import JupyterServer, NotebookPage
from playwright.sync_api import Page

DRAW = """\
import torchvision
import torchscope as ts
view = ts.draw_model(torchvision.models.resnet50(), [1, 3, 224, 224])
view"""


def test_toolbar_is_one_row_in_a_900px_cell(page: Page, jupyter: JupyterServer, artifacts: Path) -> None:
    page.set_viewport_size({"width": 1000, "height": 1000})
    nb = NotebookPage(page, jupyter, jupyter.write_notebook("toolbar.ipynb", [DRAW]), "lab")
    nb.run_cell(0)
    nb.wait_drawn(0, "conv1")
    widget = nb.widget(0)
    # JupyterLab's side panels take their share: size the window so that the cell is 900 px
    width = widget.evaluate("el => el.getBoundingClientRect().width")
    page.set_viewport_size({"width": round(1000 + 900 - width), "height": 1000})
    page.wait_for_timeout(500)
    width = widget.evaluate("el => el.getBoundingClientRect().width")
    assert 880 <= width <= 920, f"the cell is {width} px wide, not about 900"
    rows = widget.evaluate(
        # a hidden control (First NaN, in a model without values) takes no room
        "el => [...el.querySelectorAll('.ts-toolbar > *')].filter(c => c.getClientRects().length > 0)"
        ".map(c => { const r = c.getBoundingClientRect(); return [c.className, r.top, r.bottom, r.right]; })"
    )
    tops = {round(top) for _, top, _, _ in rows}
    assert max(tops) - min(tops) <= 4, rows
    # nothing runs past the widget's right edge, the search box included
    right = widget.evaluate("el => el.getBoundingClientRect().right")
    assert all(r <= right + 0.5 for _, _, _, r in rows), rows
    # every button keeps its text on one line
    heights = widget.evaluate(
        "el => [...el.querySelectorAll('.ts-toolbar .ts-button')].map(b => b.offsetHeight)"
    )
    assert max(heights) < 32, heights
    assert nb.widget(0).locator(".ts-status").is_hidden()
    widget.screenshot(path=str(artifacts / "toolbar-900.png"))
    assert nb.errors == [], nb.errors
