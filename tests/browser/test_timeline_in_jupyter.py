"""The memory timeline of a training step in a real JupyterLab: drawn under the diagram, its
hover lighting the node in the diagram and the table, its click reaching the kernel's
``view.selected``, and a node clicked in the diagram marked on the timeline."""

from __future__ import annotations

import io
import re

from jupyter import JupyterServer, NotebookPage
from PIL import Image
from playwright.sync_api import Page, expect

DRAW = """\
import torchvision
import torchscope as ts
view = ts.draw_model(torchvision.models.resnet18(), [8, 3, 224, 224], training=True)
view"""
# the truth comes from the kernel: each node's timeline points, read from the payload it sent
POINTS = (
    "ids = [n['id'] for n in view.document['nodes']]; tl = view.document['step']['timeline']\n"
    "print('POINTS', *[i for i, n in enumerate(tl['node']) if n >= 0 and ids[n] == 'bn1'],"
    " '|', *[i for i, n in enumerate(tl['node']) if n >= 0 and ids[n] == 'conv1'])"
)
SELECTED = "print('SELECTED=' + repr(view.selected))"
SAVED_RED = (0xE1, 0x57, 0x59)
TIMELINE = "el => el.querySelector('.ts-timeline').torchscope"


def test_the_timeline_in_lab_follows_and_drives_the_selection(page: Page, jupyter: JupyterServer) -> None:
    path = jupyter.write_notebook("timeline.ipynb", [DRAW, POINTS, SELECTED])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    nb.wait_drawn(0, "conv1")
    widget = nb.widget(0)
    chart = widget.locator(".ts-timeline")
    expect(chart).to_be_visible()
    bn1, conv1 = (part.split() for part in nb.run_cell(1).removeprefix("POINTS").split("|"))
    bn1_points, conv1_points = [int(i) for i in bn1], [int(i) for i in conv1]

    def at(point: int) -> dict[str, float]:
        return widget.evaluate(f"(el, i) => ({TIMELINE})(el).at(i)", point)

    # drawn: the saved activations' band at bn1's forward point is red on screen
    chart.scroll_into_view_if_needed()
    first = at(bn1_points[0])
    top, bottom = first["bands"]["saved"]
    shot = page.screenshot(clip={"x": first["x"] - 1, "y": (top + bottom) / 2 - 1, "width": 2, "height": 2})
    red = Image.open(io.BytesIO(shot)).convert("RGB").getpixel((1, 1))
    assert all(abs(c - w) <= 24 for c, w in zip(red, SAVED_RED, strict=True)), red  # type: ignore[arg-type]

    # hovering bn1's backward point lights bn1 in the diagram and its row in the table
    back = at(bn1_points[1])
    page.mouse.move(back["x"], back["y"] + 4)
    page.wait_for_function("() => document.querySelector('.ts-diagram')?.torchscope?.hovered() === 'bn1'")
    expect(widget.locator('.ts-row[data-row-id="bn1"]')).to_have_class(re.compile(r"\bts-hovered\b"))
    # clicking it selects bn1, in the diagram and in the kernel
    page.mouse.click(back["x"], back["y"] + 4)
    nb.wait_drawn(0, "bn1", lambda b: b["selected"])
    nb.wait_for_output(2, lambda text: text.strip() == "SELECTED='bn1'")
    assert widget.evaluate(f"el => ({TIMELINE})(el).marked()") == bn1_points

    # a node clicked in the diagram is marked at its forward and backward points
    nb.click_node(0, "conv1")
    nb.wait_for_output(2, lambda text: text.strip() == "SELECTED='conv1'")
    assert widget.evaluate(f"el => ({TIMELINE})(el).marked()") == conv1_points
    assert widget.locator(".ts-timeline-mark").count() == len(conv1_points) == 2
    assert nb.errors == [], nb.errors
