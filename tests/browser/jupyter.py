"""Helpers that drive a real JupyterLab or Notebook 7 page: open a notebook, wait for an idle
kernel, run cells, read their output and find the torchscope widget.

Both front ends share JupyterLab's notebook DOM (``.jp-Notebook``, ``.jp-Cell``), so one helper
serves both; only the URL differs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

import nbformat
from playwright.sync_api import Error, Locator, Page, expect

Ui = Literal["lab", "notebook"]
# JupyterLab restores the tabs of earlier pages from its server-side workspace: only the notebook
# in the tab that is showing counts
CELL = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"
KERNEL_TIMEOUT_MS = 120_000
CELL_TIMEOUT_MS = 120_000
SERVER_TIMEOUT_S = 300
# Whether the notebook showing has its kernel connected and idle (the session context's own view)
KERNEL_READY = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const context = widget && widget.sessionContext;
    const kernel = context && context.session && context.session.kernel;
    return Boolean(kernel) && context.isReady && kernel.connectionStatus === 'connected'
        && kernel.status === 'idle';
}"""
# What the page knows of kernels when a test fails: its sessions, specs and the notebook's context
PAGE_KERNELS = """() => {
    const app = window.jupyterapp;
    if (!app) return 'no window.jupyterapp';
    const services = app.serviceManager;
    const widget = app.shell.currentWidget;
    const context = widget && widget.sessionContext;
    const kernel = context && context.session && context.session.kernel;
    return JSON.stringify({
        sessions: [...services.sessions.running()].map(s => [s.path, s.kernel && s.kernel.id]),
        specs: services.kernelspecs.specs ? Object.keys(services.kernelspecs.specs.kernelspecs) : null,
        current: widget ? widget.title.label : null,
        context: context ? { path: context.path, ready: context.isReady, noKernel: context.hasNoKernel,
            kernel: kernel ? [kernel.id, kernel.connectionStatus, kernel.status] : null } : null,
    }, null, 1);
}"""
# The text of every open dialog (JupyterLab's <dialog> and its .jp-Dialog), outermost only
OPEN_DIALOGS = """() => {
    const selector = 'dialog[open], .jp-Dialog, [role="dialog"]';
    return [...document.querySelectorAll(selector)]
        .filter(el => !el.parentElement || !el.parentElement.closest(selector))
        .map(el => `<${el.tagName.toLowerCase()} class="${el.className}">\n${el.innerText.trim()}`);
}"""


@dataclass
class JupyterServer:
    url: str
    root: Path
    log: Path

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code ``cells`` into the server's root; returns its relative path."""
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, self.root / name)
        return name

    def start_kernel(self, path: str) -> None:
        """Start the notebook's kernel session on the server before any page opens it.

        A page that opens a notebook with no session starts a kernel itself, choosing it from
        the kernel specs it fetched; when that fetch or the start is slow (a loaded machine) and
        fails, JupyterLab opens its "Select Kernel" dialog over the notebook. With the session
        already running, the page only connects to it. The server answers an existing session
        for the same path, so calling this twice is harmless.
        """
        body = {"path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}}
        request = urllib.request.Request(  # noqa: S310  # loopback URL we built
            f"{self.url}/api/sessions",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=KERNEL_TIMEOUT_MS / 1000) as response:  # noqa: S310
            if response.status not in (200, 201):
                raise RuntimeError(f"starting the kernel of {path} answered {response.status}")

    def stop_kernels(self) -> None:
        """Shut down every kernel the server runs, with its session.

        The server is shared by the whole session: without this, every test's kernel (each one
        holding torch and the models it traced) would live until the last test ends, and a test
        opening a notebook of an earlier test's name would get that test's kernel.
        """
        for kind in ("sessions", "kernels"):
            for running in self._get(f"/api/{kind}"):
                self._call(f"/api/{kind}/{running['id']}", "DELETE", KERNEL_TIMEOUT_MS / 1000)
        if left := self._get("/api/kernels"):
            raise RuntimeError(f"kernels still running after shutting them all down: {left}")

    def _get(self, path: str) -> list[dict[str, str]]:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:  # noqa: S310  # loopback URL we built
            return list(json.load(response))

    def _call(self, path: str, method: str, timeout_s: float) -> None:
        request = urllib.request.Request(f"{self.url}{path}", method=method)  # noqa: S310  # loopback URL we built
        try:
            with urllib.request.urlopen(request, timeout=timeout_s):  # noqa: S310  # loopback URL we built
                pass
        except urllib.error.HTTPError as error:
            # a session's kernel is gone once the session is: deleting it again answers 404
            if error.code != 404:
                raise

    def set_theme(self, name: str) -> None:
        """Choose JupyterLab's theme for pages loaded from now on (e.g. ``JupyterLab Dark``)."""
        body = json.dumps({"raw": json.dumps({"theme": name})}).encode()
        request = urllib.request.Request(  # noqa: S310  # loopback URL we built
            f"{self.url}/lab/api/settings/@jupyterlab/apputils-extension:themes",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status not in (200, 204):
                raise RuntimeError(f"setting the theme answered {response.status}")

    def page_url(self, path: str, ui: Ui) -> str:
        # `reset` starts JupyterLab with a fresh workspace instead of the tabs earlier tests left
        return f"{self.url}/lab/tree/{path}?reset" if ui == "lab" else f"{self.url}/notebooks/{path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def jupyter_lab(root: Path, artifacts: Path) -> Iterator[JupyterServer]:
    """Start ``jupyter lab`` on 127.0.0.1 with a free port, no token and throwaway Jupyter dirs."""
    home = Path(tempfile.mkdtemp(prefix="torchscope-jupyter-"))
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(home / var.lower())
        Path(env[var]).mkdir(parents=True)
    # Nothing may open over the cells and wait for a click: not the announcements pop-up, nor the
    # "Build Recommended" dialog that the build check opens once Node can run JupyterLab's
    # yarn.js (it cannot today: the project's package.json says "type": "module").
    labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
    labconfig.mkdir()
    (labconfig / "page_config.json").write_text(
        json.dumps(
            {
                "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True},
                "buildCheck": False,
                "buildAvailable": False,
            }
        )
    )
    env["PYTHONUNBUFFERED"] = "1"
    port = free_port()
    artifacts.mkdir(parents=True, exist_ok=True)
    log = artifacts / "jupyter-server.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.allow_root=True", "--IdentityProvider.token=", "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: the tests ask the notebook's session context whether its kernel is up
        "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield JupyterServer(url=url, root=root, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # a quiet machine answers in seconds; at a load of 13 on two cores it took more than 90 s
    deadline = time.monotonic() + SERVER_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:  # noqa: S310  # loopback URL we built
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"jupyter lab did not answer within {SERVER_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


class NotebookPage:
    """One open notebook in JupyterLab or Notebook 7."""

    def __init__(self, page: Page, server: JupyterServer, path: str, ui: Ui) -> None:
        self.page = page
        self.ui = ui
        self.errors: list[str] = []
        self.core_errors: list[str] = []
        page.on("pageerror", self._on_error)
        server.start_kernel(path)
        page.goto(server.page_url(path, ui))
        expect(page.locator(CELL).first).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
        self.wait_for_idle_kernel()

    def _on_error(self, error: Error) -> None:
        text = f"{error}\n{error.stack}"
        # Notebook 7 itself throws while loading some settings; errors raised inside Jupyter's
        # own bundles are kept apart so that every other error (ours) fails the test.
        first_frame = next((line for line in (error.stack or "").splitlines() if " at " in line), "")
        core = any(part in first_frame for part in ("/static/notebook/", "/static/lab/"))
        (self.core_errors if core or _anywidget_timer(error) else self.errors).append(text)

    def wait_for_idle_kernel(self, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the notebook's kernel is connected and idle.

        Asked of the notebook's own session context (the app is exposed as ``window.jupyterapp``):
        the execution indicator reads "idle" from the start, before any kernel is connected, and
        a cell run then finds no kernel and opens the "Select Kernel" dialog over the notebook.
        """
        try:
            self.page.wait_for_function(KERNEL_READY, timeout=timeout_ms)
        except Error as error:
            state = self.page.evaluate(PAGE_KERNELS)
            raise AssertionError(f"no idle kernel; dialogs {self.open_dialogs()}; page: {state}") from error
        indicator = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator")
        expect(indicator).to_have_attribute("data-status", "idle", timeout=timeout_ms)

    def cell(self, index: int) -> Locator:
        return self.page.locator(CELL).nth(index)

    def run_cell(self, index: int, timeout_ms: int = CELL_TIMEOUT_MS) -> str:
        """Run cell ``index`` and wait until it finished; returns the text of its output."""
        prompt = self.cell(index).locator(".jp-InputPrompt")
        # the prompt reads "[ ]:" before a first run, "[*]:" while running and "[7]:" after
        expect(prompt).to_have_text(re.compile(r"\[[ *\d]*\]:"), timeout=KERNEL_TIMEOUT_MS)
        before = prompt.inner_text()
        self._start(index, before)
        finished = re.compile(r"\[\d+\]:")
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            now = prompt.inner_text()
            if finished.search(now) and now != before:
                return self.output_text(index)
            time.sleep(0.1)
        raise TimeoutError(
            f"cell {index} did not finish in {timeout_ms / 1000:.0f} s (prompt {prompt.inner_text()!r})"
        )

    def _start(self, index: int, before: str) -> None:
        """Focus the cell's editor and press Ctrl+Enter until the prompt shows the cell started.

        A key pressed while the notebook is still settling (focus moving, a cell re-rendering)
        can be lost; pressing again is safe because a started cell's prompt changes at once.
        """
        cell = self.cell(index)
        prompt = cell.locator(".jp-InputPrompt")
        started = re.compile(r"\[(\*|\d+)\]:")
        for _ in range(5):
            try:
                cell.locator(".jp-InputArea-editor").click()
            except Error as error:
                # say what covered the cell: a dialog's text tells which setting lets it appear
                raise AssertionError(
                    f"cannot click cell {index}; open dialogs: {self.open_dialogs()}"
                ) from error
            expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
            self.page.keyboard.press("Control+Enter")
            for _ in range(30):
                now = prompt.inner_text()
                if started.search(now) and now != before:
                    return
                time.sleep(0.1)
        raise TimeoutError(f"cell {index} did not start after 5 tries (prompt {before!r})")

    def open_dialogs(self) -> list[str]:
        """The text of every dialog open on the page now."""
        return list(self.page.evaluate(OPEN_DIALOGS))

    def output_text(self, index: int) -> str:
        return self.cell(index).locator(".jp-OutputArea").inner_text()

    def wait_for_output(self, index: int, predicate: Callable[[str], bool], timeout_ms: int = 30_000) -> str:
        """Re-run cell ``index`` until its output satisfies ``predicate``.

        Widget messages are asynchronous, so a value set in the page reaches the kernel a little
        later; re-reading is the honest way to wait for it.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        text = ""
        while time.monotonic() < deadline:
            text = self.run_cell(index)
            if predicate(text):
                return text
            time.sleep(0.3)
        raise AssertionError(f"cell {index} output never matched; last output: {text!r}")

    def widget(self, index: int) -> Locator:
        """The torchscope widget's root element in the output of cell ``index``."""
        return self.cell(index).locator(".torchscope")

    def diagram(self, index: int) -> Locator:
        return self.widget(index).locator(".ts-diagram")

    def drawn(self, index: int, node_id: str) -> DrawnBox | None:
        """Box ``node_id`` as the diagram draws it now, or None when it is not in the picture.

        The diagram is a canvas: what it draws is read from the probe it publishes on its root
        element (``el.torchscope``), with screen positions in page pixels.
        """
        diagram = self.diagram(index)
        if diagram.count() == 0:
            return None
        return diagram.evaluate(
            "(el, id) => el.torchscope && el.torchscope.status() === 'ready' ? el.torchscope.box(id) : null",
            node_id,
        )

    def drawn_together(self, index: int, node_ids: list[str]) -> list[DrawnBox | None]:
        """Boxes ``node_ids`` read in one go: at one scroll position, so their offsets compare."""
        return self.diagram(index).evaluate(
            "(el, ids) => ids.map((id) => el.torchscope && el.torchscope.status() === 'ready'"
            " ? el.torchscope.box(id) : null)",
            node_ids,
        )

    def wait_drawn(
        self,
        index: int,
        node_id: str,
        check: Callable[[DrawnBox], bool] = lambda _: True,
        timeout_ms: int = 30_000,
    ) -> DrawnBox:
        """Wait until box ``node_id`` is drawn (and satisfies ``check``); returns it."""
        deadline = time.monotonic() + timeout_ms / 1000
        box = None
        while time.monotonic() < deadline:
            box = self.drawn(index, node_id)
            if box is not None and check(box):
                return box
            time.sleep(0.1)
        raise AssertionError(f"{node_id} was not drawn as expected in {timeout_ms / 1000:.0f} s; last: {box}")

    def wait_gone(self, index: int, node_id: str, timeout_ms: int = 30_000) -> None:
        """Wait until the diagram is laid out without box ``node_id``."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            status = self.diagram(index).evaluate("el => el.torchscope.status()")
            if status == "ready" and self.drawn(index, node_id) is None:
                return
            time.sleep(0.1)
        raise AssertionError(f"{node_id} is still drawn after {timeout_ms / 1000:.0f} s")

    def click_node(self, index: int, node_id: str, *, toggle: bool = False) -> None:
        """Click box ``node_id`` in the canvas (its centre, or its expand/collapse handle)."""
        # a tall widget in a cell may sit partly above or below the window: bring the canvas in
        self.diagram(index).locator(".ts-canvas").scroll_into_view_if_needed()
        box = self.wait_drawn(index, node_id)
        canvas = self.diagram(index).locator(".ts-canvas").bounding_box()
        assert canvas is not None
        if toggle:
            x, y = box["x"] + 6, box["y"] + 6
        else:
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        inside_x = canvas["x"] < x < canvas["x"] + canvas["width"]
        if not (inside_x and canvas["y"] < y < canvas["y"] + canvas["height"]):
            raise AssertionError(f"{node_id} is off screen at ({x:.0f}, {y:.0f}); canvas {canvas}")
        self.page.mouse.click(x, y)

    def pixel(self, index: int, x: float, y: float) -> tuple[int, int, int]:
        """The colour the canvas painted at page position (x, y)."""
        return tuple(
            self.diagram(index).evaluate(
                """(el, [x, y]) => {
                    const canvas = el.querySelector('.ts-canvas');
                    const rect = canvas.getBoundingClientRect();
                    const scale = canvas.width / rect.width;
                    const data = canvas.getContext('2d').getImageData(
                        Math.round((x - rect.left) * scale), Math.round((y - rect.top) * scale), 1, 1).data;
                    return [data[0], data[1], data[2]];
                }""",
                [x, y],
            )
        )

    def wait_pixel(
        self,
        index: int,
        x: float,
        y: float,
        check: Callable[[tuple[int, int, int]], bool],
        timeout_ms: int = 10_000,
    ) -> tuple[int, int, int]:
        """Wait until the pixel at page position (x, y) satisfies ``check`` (paints follow frames)."""
        deadline = time.monotonic() + timeout_ms / 1000
        rgb = self.pixel(index, x, y)
        while not check(rgb) and time.monotonic() < deadline:
            time.sleep(0.1)
            rgb = self.pixel(index, x, y)
        return rgb


def _anywidget_timer(error: Error) -> bool:
    """Whether ``error`` is anywidget's own report that a model took over 2 s to initialise.

    anywidget starts a fixed 2-second timer when a model is created and reports this when loading
    the widget's ESM takes longer, as it does for a 100,000-node payload on a loaded machine; the
    widget still loads and renders afterwards, which the tests check for themselves. (Messages
    from the kernel to that model are then dropped by anywidget 0.11; no test that meets this
    sends any.)
    """
    frames = [line for line in (error.stack or "").splitlines() if " at " in line]
    return str(error.message).startswith("[anywidget] Failed to initialize model.") and all(
        "/lab/extensions/anywidget/" in frame for frame in frames
    )


class DrawnBox(TypedDict):
    """A box as the diagram's probe reports it (see js/views/diagram.ts, DrawnBox)."""

    id: str
    select: str
    kind: str
    op: str
    label: str
    detail: str
    toggle: str | None
    failed: bool
    selected: bool
    strength: float | None
    x: float
    y: float
    width: float
    height: float
    text: bool
