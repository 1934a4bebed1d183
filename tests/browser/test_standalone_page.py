"""The saved HTML page on its own: from file://, offline, with every feature that needs no kernel,
and the SVG/PNG exports it offers. Also: hostile model strings run no script anywhere in it."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import torchvision  # type: ignore[import-untyped]
from PIL import Image
from playwright.sync_api import Page, expect

import torchscope as ts
from torchscope.bundle import read_bundle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile import HOSTILE, hostile_model

# null-safe: a page still loading has no diagram, or one whose probe is not attached yet
PROBE = "document.querySelector('.ts-diagram')?.torchscope"


def _open_offline(page: Page, path: Path) -> list[str]:
    """Open ``path`` with the network off; returns the list of requests that left the page."""
    page.context.set_offline(True)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(("file:", "blob:", "data:")) else outside.append(request.url)
        ),
    )
    page.goto(path.as_uri())
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready'")
    return outside


def _box(page: Page, node_id: str) -> dict[str, Any] | None:
    return page.evaluate(f"id => {PROBE}?.status() === 'ready' ? {PROBE}.box(id) : null", node_id)


def _click(page: Page, node_id: str, *, toggle: bool = False) -> None:
    box = _box(page, node_id)
    assert box is not None, node_id
    if toggle:
        page.mouse.click(box["x"] + 6, box["y"] + 6)
    else:
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _export(page: Page, action: str) -> None:
    """Choose an export from the toolbar's ⋯ menu."""
    page.click('[data-action="menu"]')
    page.click(f'[data-action="export-{action}"]')


def test_saved_page_works_offline_from_file(page: Page, tmp_path: Path, artifacts: Path) -> None:
    model = torchvision.models.alexnet()
    view = ts.draw_model(model, [1, 3, 224, 224])
    view.orientation = "LR"
    path = view.save_html(tmp_path / "alexnet.html")
    # the file is the bundle and the payload, and nothing else of note
    size = path.stat().st_size
    bundle = sum(len(part.encode()) for part in read_bundle())
    payload = len(json.dumps(view.graph, separators=(",", ":")).encode())  # the wire
    rest = size - bundle - payload
    report = f"alexnet.html: {size:,} bytes = bundle {bundle:,} + payload {payload:,} + {rest:,} of page"
    (artifacts / "standalone-size.txt").write_text(report + "\n")
    print(report)  # noqa: T201  # the size is part of what this test reports
    assert abs(rest) < 16_000, report

    outside = _open_offline(page, path)
    # a diff's switch has no place in one model's table
    expect(page.locator(".ts-only-differences")).to_be_hidden()
    truth = type(model.classifier[1]).__name__
    # the view state it was saved with: left to right
    first, second = _box(page, "features.0"), _box(page, "features.1")
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 1 < second["x"] - first["x"]
    # toggle orientation from the toolbar
    page.click('[data-action="orientation"]')
    page.wait_for_function(f"() => {PROBE}.box('features.1')?.y > {PROBE}.box('features.0')?.y + 1")
    # collapse a group (its handle, at the readable zoom the re-laid-out view opens with)
    _click(page, "features", toggle=True)
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready' && {PROBE}.box('features.0') === null")
    assert (_box(page, "features") or {}).get("kind") == "group"
    # details of a node
    page.click('[data-action="fit"]')
    _click(page, "classifier.1")
    expect(page.locator(".ts-details-title")).to_have_text(truth)
    assert outside == [], f"the page reached the network: {outside}"


def test_svg_and_png_exports(page: Page, tmp_path: Path) -> None:
    view = ts.draw_model(torchvision.models.resnet18(), [1, 3, 224, 224])
    _open_offline(page, view.save_html(tmp_path / "resnet18.html"))
    page.click('[data-action="expand-all"]')
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready' && {PROBE}.all().length > 50")
    drawn = page.evaluate(f"{PROBE}.all().map(b => [b.kind, b.op, b.label])")
    with page.expect_download() as svg_download:
        _export(page, "svg")
    svg = ET.parse(svg_download.value.path()).getroot()  # noqa: S314  # our own file
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    leaves = [(op, label) for kind, op, label in drawn if kind != "container"]
    assert len(leaves) > 50
    for op, label in leaves:
        assert {op, label} <= texts, (op, label)

    scene = page.evaluate(f"(() => {{ const s = {PROBE}.scene(); return [s.width, s.height]; }})()")
    with page.expect_download() as png_download:
        _export(page, "png-2")
    with Image.open(png_download.value.path()) as image:
        image.load()
        assert image.format == "PNG"
        # ResNet-18 fits the browser's canvas limits at 2×: exactly twice the drawing's size
        assert image.size == (round(scene[0] * 2), round(scene[1] * 2))
        # not blank: the boxes and text make many colours
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 20


@pytest.mark.parametrize("where", ["page", "svg"])
def test_hostile_strings_run_no_script(page: Page, tmp_path: Path, where: str) -> None:
    model, inputs = hostile_model()
    view = ts.draw_model(model, kwargs=inputs)
    path = view.save_html(tmp_path / "hostile.html")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _open_offline(page, path)
    if where == "svg":
        with page.expect_download() as download:
            _export(page, "svg")
        exported = Path(download.value.path())
        svg = ET.parse(exported).getroot()  # noqa: S314  # our own file, checked for what it holds
        assert not [e for e in svg.iter() if e.tag.split("}")[-1] in ("script", "img", "foreignObject")]
        # show the exported SVG as a page of its own: nothing in it may run
        page.goto(exported.as_uri())
        page.wait_for_timeout(300)
    else:
        # every hostile string drawn as text, and shown as text in the details panel
        labels = page.evaluate(f"{PROBE}.all().map(b => b.label)")
        for text in HOSTILE.values():
            assert text in labels
        page.click('[data-action="fit"]')
        page.locator(".ts-search-input").fill("/onerror/")
        page.locator(".ts-search-hit").first.click()
        expect(page.locator(".ts-details")).to_contain_text(HOSTILE["img"])
        assert (
            page.locator(".ts-details img, .ts-details script, .ts-table img, .ts-table script").count() == 0
        )
    assert dialogs == [], f"an injected script ran: {dialogs}"
    assert page.evaluate("typeof window.pwned") == "undefined"


def test_svg_export_carries_the_shading_and_the_selection(page: Page, tmp_path: Path) -> None:
    view = ts.draw_model(torchvision.models.resnet18(), [1, 3, 224, 224])
    _open_offline(page, view.save_html(tmp_path / "resnet18.html"))
    page.select_option(".ts-metric", "flops")
    page.wait_for_function(f"() => {PROBE}.all().some(b => b.strength !== null)")
    _click(page, "fc")
    page.wait_for_function(f"() => {PROBE}.box('fc')?.selected === true")
    # what the canvas shows: each box's shading strength, and the theme's colours as the page has them
    strengths = page.evaluate(f"{PROBE}.all().filter(b => b.strength !== null).map(b => b.strength)")
    colours = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('.torchscope'));"
        " const c = document.createElement('canvas').getContext('2d');"
        " return ['--ts-accent', '--ts-node-bg', '--ts-heat'].map(v => {"
        " c.fillStyle = s.getPropertyValue(v).trim(); return c.fillStyle; }); }"
    )
    accent, node_bg, heat = colours
    with page.expect_download() as download:
        _export(page, "svg")
    svg = ET.parse(download.value.path()).getroot()  # noqa: S314  # our own file
    rects = list(svg.iter("{http://www.w3.org/2000/svg}rect"))

    def rgb(hex_colour: str) -> tuple[int, ...]:
        return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))

    def blend(strength: float) -> str:
        # the node background blended towards the heat colour, by the box's strength in steps of 1/20
        t = round(strength * 20) / 20
        r, g, b = (round(a + (h - a) * t) for a, h in zip(rgb(node_bg), rgb(heat), strict=True))
        return f"rgb({r}, {g}, {b})"

    fills = {r.get("fill") for r in rects}
    assert {blend(s) for s in strengths} & fills, (sorted(fills), strengths)
    # the selection: one outline in the accent colour, where fc is in the drawing
    fc = page.evaluate(f"{PROBE}.scene().boxes.find(b => b.id === 'fc')")
    outlines = [r for r in rects if r.get("fill") == "none" and r.get("stroke") == accent]
    assert len(outlines) == 1
    assert abs(float(outlines[0].get("x", "nan")) - fc["x"]) < 0.1
    assert abs(float(outlines[0].get("y", "nan")) - fc["y"]) < 0.1
    # and the edges touching it, drawn in the accent colour (one path; the bookkeeping marker on
    # its input edge is outlined in it too)
    paths = list(svg.iter("{http://www.w3.org/2000/svg}path"))
    lit = [p for p in paths if p.get("stroke") == accent and p.get("fill") == "none"]
    assert len(lit) == 1
    assert [p for p in paths if p.get("stroke") == accent and p.get("fill") != "none"], "marker"
