"""A values trace in the browser (the saved page, offline): the NaN badges drawn on the canvas, the
"First NaN" jump into a collapsed group, and the histograms of the details panel drawn with axes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from playwright.sync_api import Page
from torch import nn

import torchscope as ts

PROBE = "document.querySelector('.ts-diagram')?.torchscope"
ERROR_RED = (0xD3, 0x2F, 0x2F)  # --ts-error, the badges' colour


class Block(nn.Module):
    def __init__(self, *, logs: bool) -> None:
        super().__init__()
        self.mix = nn.Linear(16, 16)
        self.logs = logs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.mix(x)
        return torch.log(h) if self.logs else torch.relu(h)  # negative inputs: NaN


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.body = nn.Sequential(Block(logs=False), Block(logs=True), Block(logs=False))
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.embed(x)))


def _box(page: Page, node_id: str) -> dict[str, Any] | None:
    return page.evaluate(f"id => {PROBE}.status() === 'ready' ? {PROBE}.box(id) : null", node_id)


def _red_pixels(page: Page, x: float, y: float, half: int = 9) -> int:
    """How many pixels of the badge colour lie in the square around (x, y), as drawn on screen."""
    shot = page.screenshot(clip={"x": x - half, "y": y - half, "width": 2 * half, "height": 2 * half})
    pixels = Image.open(io.BytesIO(shot)).convert("RGB").getdata()
    return sum(all(abs(c - e) <= 40 for c, e in zip(p, ERROR_RED, strict=True)) for p in pixels)


def _toolbar_is_one_row_at_900_px(page: Page) -> None:
    """The extra "First NaN" button still leaves the toolbar one row in a 900 px cell: the search
    box gives way."""
    page.set_viewport_size({"width": 900, "height": 1000})
    page.wait_for_timeout(300)
    rows = page.evaluate(
        "() => [...document.querySelectorAll('.ts-toolbar > *')].filter(c => c.getClientRects().length > 0)"
        ".map(c => { const r = c.getBoundingClientRect(); return [c.className, r.top, r.right]; })"
    )
    assert "First NaN" in page.locator(".ts-toolbar").inner_text()
    tops = [top for _, top, _ in rows]
    assert max(tops) - min(tops) <= 4, rows
    right = page.evaluate("() => document.querySelector('.torchscope').getBoundingClientRect().right")
    assert all(r <= right + 0.5 for _, _, r in rows), rows
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_timeout(300)


def test_badges_the_jump_and_the_histograms(page: Page, tmp_path: Path) -> None:
    graph = ts.trace(Broken().eval(), [4, 8], values=True)
    assert graph.first_nonfinite() == "body.1.log"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.context.set_offline(True)
    page.goto(graph.view().save_html(tmp_path / "broken.html").as_uri())
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready'")
    _toolbar_is_one_row_at_900_px(page)
    # every group closed: the jump has to open the one that holds the origin
    page.click('[data-action="collapse-all"]')
    page.wait_for_function(f"() => {PROBE}.status() === 'ready' && {PROBE}.box('body.1.log') === null")

    # collapsed, `body` holds the origin: a filled badge on its top-right corner; `embed` has none
    body, embed = _box(page, "body"), _box(page, "embed")
    assert body is not None
    assert embed is not None
    assert body["nonFinite"] == "origin"
    assert _red_pixels(page, body["x"] + body["width"], body["y"]) >= 60
    assert _red_pixels(page, embed["x"] + embed["width"], embed["y"]) == 0

    page.click('[data-action="first-nonfinite"]')
    page.wait_for_function(f"() => {PROBE}.status() === 'ready' && {PROBE}.scene().selected === 'body.1.log'")
    origin = _box(page, "body.1.log")
    assert origin is not None, "the origin is drawn, its group opened"
    assert origin["nonFinite"] == "origin"
    assert _red_pixels(page, origin["x"] + origin["width"], origin["y"]) >= 60
    # a later group (still closed: one box), in the whole picture: outlined, not filled
    page.click('[data-action="fit"]')
    page.wait_for_timeout(300)
    later = _box(page, "body.2")
    assert later is not None
    assert later["nonFinite"] == "later"
    assert 8 <= _red_pixels(page, later["x"] + later["width"], later["y"]) < 60
    assert page.locator(".ts-details-title").inner_text() == "log"

    # the details panel charts the input (from body.1.mix) and the output, with both axes
    charts = page.locator(".ts-details .ts-histogram")
    assert charts.locator("figcaption").all_inner_texts() == ["input from body.1.mix", "output 0"]
    first = charts.nth(0)
    bars = first.locator(".ts-histogram-bar")
    assert bars.count() >= 3
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(bars.count())]
    assert max(heights) > 40  # the tallest bin spans the plot
    drawn = first.locator("svg").bounding_box()
    assert drawn is not None
    assert drawn["width"] > 200
    assert len(first.locator(".ts-histogram-x").all_text_contents()) == 5
    assert first.locator(".ts-histogram-y").all_text_contents()[0] == "0"
