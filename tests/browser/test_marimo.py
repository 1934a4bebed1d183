"""The widget in marimo: ``marimo run`` started headless on a small notebook that draws AlexNet.

marimo shows an anywidget as the last expression of a cell (and a ModelGraph through its
``_display_``); wrapped in ``mo.ui.anywidget`` its traits are the cell's reactive value. The test
checks the diagram is painted, a click in the page reaches Python (a cell that prints
``view.value["selected"]`` re-runs) and a value set from Python (a button's ``on_click``) reaches the
page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter import free_port
from playwright.sync_api import Locator, Page, expect

NOTEBOOK = """\
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import torchvision

    import torchscope as ts
    return mo, torchvision, ts


@app.cell
def _(mo, torchvision, ts):
    view = mo.ui.anywidget(ts.draw_model(torchvision.models.alexnet(), [1, 3, 224, 224]))
    view
    return (view,)


@app.cell
def _(mo, view):
    mo.md(f"SELECTED={view.value['selected']!r}")
    return


@app.cell
def _(mo, view):
    def pick(_):
        view.widget.selected = "features.0"

    mo.ui.button(label="select features.0 from Python", on_click=pick)
    return


@app.cell
def _(torchvision, ts):
    ts.trace(torchvision.models.resnet18(), [1, 3, 224, 224])
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.fixture(scope="module")
def marimo(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("marimo")
    (folder / "alexnet.py").write_text(NOTEBOOK, encoding="utf-8")
    port = free_port()
    log = artifacts / "marimo-server.log"
    env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1", "HOME": str(folder)}
    command = [
        sys.executable, "-m", "marimo", "run", "alexnet.py", "--headless", "--host", "127.0.0.1",
        "--port", str(port), "--no-token",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"marimo exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310  # loopback URL
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"marimo did not answer within 90 s:\n{log.read_text()[-3000:]}")


def _box(diagram: Locator, node_id: str) -> dict | None:
    return diagram.evaluate(
        "(el, id) => el.torchscope && el.torchscope.status() === 'ready' ? el.torchscope.box(id) : null",
        node_id,
    )


def _wait_box(diagram: Locator, node_id: str, check=lambda _: True, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    box = None
    while time.monotonic() < deadline:
        box = _box(diagram, node_id)
        if box is not None and check(box):
            return box
        time.sleep(0.2)
    raise AssertionError(f"{node_id} not drawn as expected; last: {box}")


def test_the_widget_paints_and_selected_round_trips_in_marimo(
    page: Page, marimo: str, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(marimo)
    widgets = page.locator(".torchscope")
    expect(widgets).to_have_count(2, timeout=120_000)  # the mo.ui.anywidget, and the ModelGraph
    alexnet, resnet = (widgets.nth(i).locator(".ts-diagram") for i in (0, 1))
    box = _wait_box(alexnet, "features.0")
    assert (box["op"], box["detail"]) == ("Conv2d", "[1, 64, 55, 55]")
    assert _wait_box(resnet, "conv1")["op"] == "Conv2d"
    # painted: the canvas has pixels that are not the background under the box
    painted = alexnet.evaluate(
        """(el, b) => { const c = el.querySelector('.ts-canvas'); const r = c.getBoundingClientRect();
            const s = c.width / r.width; const d = c.getContext('2d').getImageData(
            Math.round((b.x - r.left) * s), Math.round((b.y - r.top) * s),
            Math.max(1, Math.round(b.width * s)), Math.max(1, Math.round(b.height * s))).data;
            const colours = new Set();
            for (let i = 0; i < d.length; i += 4) colours.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
            return colours.size; }""",
        box,
    )
    assert painted > 2

    expect(page.get_by_text("SELECTED=''")).to_be_visible(timeout=30_000)
    widgets.nth(0).locator('[data-action="fit"]').click()
    target = _wait_box(alexnet, "classifier.1")
    page.mouse.click(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
    _wait_box(alexnet, "classifier.1", lambda b: b["selected"])
    expect(page.get_by_text("SELECTED='classifier.1'")).to_be_visible(timeout=30_000)

    page.get_by_role("button", name="select features.0 from Python").click()
    # Python → page (marimo re-runs cells for changes made in the page, not for those of a callback)
    _wait_box(alexnet, "features.0", lambda b: b["selected"], timeout=30)
    assert not _box(alexnet, "classifier.1")["selected"]
    page.screenshot(path=str(artifacts / "marimo.png"))
    assert errors == [], errors
