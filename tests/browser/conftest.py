"""Fixtures for the real-browser tests: one JupyterLab server per session, Playwright driving
Debian's Chromium (never a browser Playwright downloads).

The server and the browser are shared by every test module, but no test inherits another's
kernel: each test's kernels are shut down when it ends. Under pytest-xdist (``scripts/check.sh``
runs ``-n 2 --dist loadgroup``) the browser tests run in one worker, one after another, against
that worker's one server (see tests/conftest.py), while the other worker takes the unit tests.

When a browser test fails, what was on screen is kept under ``test-artifacts/failures/<test>/``:
a screenshot, the page's console and uncaught errors, the text of every open dialog, the tail
of the Jupyter server's log, and the kernels the page and the server know of, so that a failure
on a loaded CI machine can be read afterwards.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter import OPEN_DIALOGS, PAGE_KERNELS, JupyterServer, jupyter_lab
from playwright.sync_api import ConsoleMessage, Error, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOG_TAIL_LINES = 200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # the artifacts fixture reads these at teardown to know whether the test failed
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the test command, which installs it")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ],
    }  # fmt: skip


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """The one JupyterLab server of the session (it takes seconds to start, more under load)."""
    root = tmp_path_factory.mktemp("notebooks")
    with jupyter_lab(root, ARTIFACTS) as server:
        yield server


@pytest.fixture
def jupyter(lab_server: JupyterServer) -> Iterator[JupyterServer]:
    """The shared server, with no kernel of an earlier test running; this test's are shut down after it."""
    lab_server.stop_kernels()
    yield lab_server
    lab_server.stop_kernels()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def keep_what_failed(request: pytest.FixtureRequest) -> Iterator[None]:
    """On a failure, save the screenshot, console, open dialogs and server log tail."""
    if "page" not in request.fixturenames:
        yield
        return
    page: Page = request.getfixturevalue("page")
    # asked for before the test, so that its kernels are still running when a failure is saved
    server = request.getfixturevalue("jupyter") if "jupyter" in request.fixturenames else None
    console: list[str] = []
    page.on("console", lambda message: console.append(_console_line(message)))
    page.on("pageerror", lambda error: console.append(_error_line(error)))
    yield
    item = request.node
    failed = [r for r in (getattr(item, "report_setup", None), getattr(item, "report_call", None)) if r]
    if not any(r.failed for r in failed):
        return
    folder = ARTIFACTS / "failures" / re.sub(r"[^\w.-]+", "_", item.nodeid)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "console.txt").write_text("\n".join(console) + "\n")
    try:
        page.screenshot(path=str(folder / "screenshot.png"), timeout=15_000)
        dialogs = page.evaluate(OPEN_DIALOGS)
        (folder / "page-kernels.json").write_text(str(page.evaluate(PAGE_KERNELS)) + "\n")
    except Error as error:  # a crashed or closed page still leaves the rest
        dialogs = [f"(the page could not be read: {error.message})"]
    (folder / "dialogs.txt").write_text(
        "\n\n---\n\n".join(dialogs) + "\n" if dialogs else "(no dialog open)\n"
    )
    if server is not None:
        lines = server.log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        (folder / "jupyter-server-tail.log").write_text("\n".join(lines) + "\n")
        # what the server says runs, beside what the page knows
        sessions = f"{server.url}/api/sessions"
        with contextlib.suppress(OSError), urllib.request.urlopen(sessions, timeout=10) as answer:  # noqa: S310
            (folder / "server-sessions.json").write_text(answer.read().decode())


def _console_line(message: ConsoleMessage) -> str:
    where = message.location
    return f"[{message.type}] {message.text}  ({where.get('url', '')}:{where.get('lineNumber', '')})"


def _error_line(error: Error) -> str:
    return f"[pageerror] {error}\n{error.stack or ''}"
