"""A training trace's memory timeline in the saved page (offline): the stacked areas drawn in
their colours, hovering a point lighting its node in the diagram and its row in the table, a
click selecting the node, and a selection marking the node's forward and backward points."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import torchvision
from PIL import Image
from playwright.sync_api import Page, expect

import torchscope as ts

DIAGRAM = "document.querySelector('.ts-diagram')?.torchscope"
TIMELINE = "document.querySelector('.ts-timeline').torchscope"
# the category colours and the selection's (js/styles.css: --ts-mem-*, --ts-accent's fallback)
SAVED_RED = (0xE1, 0x57, 0x59)
PARAMS_BLUE = (0x4E, 0x79, 0xA7)
ACCENT = (0x19, 0x76, 0xD2)


def _open(page: Page, tmp_path: Path) -> dict[str, Any]:
    """ResNet-18's training step on its page; returns the payload it draws."""
    graph = ts.trace(torchvision.models.resnet18(), [8, 3, 224, 224], training=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.context.set_offline(True)
    page.goto(graph.view().save_html(tmp_path / "resnet18-step.html").as_uri())
    page.wait_for_function(f"() => {DIAGRAM}?.status() === 'ready' && {TIMELINE}?.count() > 0")
    return dict(graph.to_json())


def _points(payload: dict[str, Any], node_id: str) -> list[int]:
    """The timeline points of ``node_id``, read from the payload the kernel side built."""
    index = next(i for i, n in enumerate(payload["nodes"]) if n["id"] == node_id)
    return [i for i, n in enumerate(payload["step"]["timeline"]["node"]) if n == index]


def _pixels(page: Page, x: float, y: float, half: int = 2) -> list[tuple[int, int, int]]:
    """The colours drawn in the square around (x, y) on screen."""
    shot = page.screenshot(clip={"x": x - half, "y": y - half, "width": 2 * half, "height": 2 * half})
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    return [image.getpixel((i, j)) for i in range(image.width) for j in range(image.height)]  # type: ignore[misc]


def _near(colour: tuple[int, int, int], wanted: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(c - w) <= tolerance for c, w in zip(colour, wanted, strict=True))


def test_the_areas_are_drawn_in_their_colours(page: Page, tmp_path: Path) -> None:
    payload = _open(page, tmp_path)
    timeline = payload["step"]["timeline"]
    # the last forward point holds the most saved activations: the middle of their band is red
    last_forward = timeline["phase"].index("backward") - 1
    at = page.evaluate(f"i => {TIMELINE}.at(i)", last_forward)
    top, bottom = at["bands"]["saved"]
    assert bottom - top > 20, at  # a band one can see
    assert all(_near(p, SAVED_RED) for p in _pixels(page, at["x"], (top + bottom) / 2))
    # the parameters lie at the bottom of every point, in blue
    top, bottom = at["bands"]["params"]
    assert all(_near(p, PARAMS_BLUE) for p in _pixels(page, at["x"], (top + bottom) / 2, half=1))
    # the peak is labelled with its value, and the legend reads the split at the peak
    peak = payload["step"]["peak"]
    label = page.locator(".ts-timeline-peak-value").text_content()
    assert label == f"peak {peak['bytes'] / 2**20:.2f} MiB ({peak['phase']})"
    saved = f"saved activations {peak['split']['saved'] / 2**20:.2f} MiB"
    expect(page.locator('.ts-timeline-key[data-category="saved"]')).to_have_text(saved)


def test_hovering_a_point_lights_its_node_and_a_click_selects_it(page: Page, tmp_path: Path) -> None:
    payload = _open(page, tmp_path)
    forward, backward = _points(payload, "bn1")
    at = page.evaluate(f"i => {TIMELINE}.at(i)", backward)
    page.mouse.move(at["x"], at["y"] + 4)
    page.wait_for_function(f"() => {DIAGRAM}?.hovered() === 'bn1'")
    expect(page.locator('.ts-row[data-row-id="bn1"]')).to_have_class(re.compile(r"\bts-hovered\b"))
    assert "bn1 (backward)" in page.locator(".ts-timeline-readout").inner_text()
    # a node inside the folded layer1 lights the box that stands for it, and that box's row
    inner = _points(payload, "layer1.0.conv1")[0]
    at = page.evaluate(f"i => {TIMELINE}.at(i)", inner)
    page.mouse.move(at["x"], at["y"] + 4)
    page.wait_for_function(f"() => {DIAGRAM}?.hovered()?.startsWith('layer1')")
    box = page.evaluate(f"() => {DIAGRAM}.box({DIAGRAM}?.hovered())")
    assert box is not None, "the hovered box is drawn"
    expect(page.locator(f'.ts-row[data-row-id="{box["id"]}"]')).to_have_class(re.compile(r"\bts-hovered\b"))

    page.mouse.click(at["x"], at["y"] + 4)
    page.wait_for_function(
        f"() => {DIAGRAM}?.status() === 'ready' && {DIAGRAM}.scene().selected === 'layer1.0.conv1'"
    )
    assert page.locator(".ts-details-title").inner_text() == "Conv2d"
    assert page.evaluate(f"() => {TIMELINE}.marked()") == _points(payload, "layer1.0.conv1")
    assert forward < backward


def test_selecting_a_node_marks_its_forward_and_backward_points(page: Page, tmp_path: Path) -> None:
    payload = _open(page, tmp_path)
    page.locator('.ts-row[data-row-id="bn1"]').click()
    expected = _points(payload, "bn1")
    assert len(expected) == 2
    page.wait_for_function(
        f"want => JSON.stringify({TIMELINE}.marked()) === JSON.stringify(want)", arg=expected
    )
    svg = page.locator(".ts-timeline-svg").bounding_box()
    assert svg is not None
    for point in expected:
        at = page.evaluate(f"i => {TIMELINE}.at(i)", point)
        # above the areas, under the phase names: only the mark is drawn there
        y = svg["y"] + 16 + 6
        assert y < at["y"], (y, at)
        assert any(_near(p, ACCENT, 40) for p in _pixels(page, at["x"], y)), point
    # a point of another node carries no mark
    other = _points(payload, "layer2.0.conv1")[0]
    at = page.evaluate(f"i => {TIMELINE}.at(i)", other)
    assert not any(_near(p, ACCENT, 40) for p in _pixels(page, at["x"], svg["y"] + 22))
    # clearing the selection clears the marks
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => {TIMELINE}.marked().length === 0")
