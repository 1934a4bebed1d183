"""The README's first command: it writes alexnet.html and serves the quickstart notebook."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

import pytest

ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_quickstart_writes_the_page_and_serves_the_notebook(tmp_path: Path) -> None:
    page = ROOT / "alexnet.html"
    page.unlink(missing_ok=True)
    log = tmp_path / "quickstart.log"
    env = {
        **os.environ,
        "TORCHSCOPE_PORT": str(_free_port()),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("DISPLAY", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            ["scripts/quickstart.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = _wait_for_url(log, process)
        assert page.stat().st_size > 10_000
        assert f"open it in a browser: {page.as_uri()}" in log.read_text()
        base, token = url.split("/lab", 1)[0], url.split("token=", 1)[1]
        notebook = _get_json(f"{base}/api/contents/notebooks/quickstart.ipynb?token={token}", process)
        sources = [c["source"] for c in notebook["content"]["cells"]]
        assert any("ts.draw_model(alexnet, [1, 3, 224, 224])" in s for s in sources)
        assert any("ts.model_stats(alexnet, [1, 3, 224, 224])" in s for s in sources)
        # what the newcomer's page does next: Lab checks its build (Node runs yarn.js), a kernel starts
        assert _get_json(f"{base}/lab/api/build?token={token}", process)["status"] == "stable"
        kernel = _get_json(f"{base}/api/kernels?token={token}", process, data={})
        _wait_for_line(log, f"Kernel started: {kernel['id']}", process)
        time.sleep(3)  # the kernel's own start-up lines, which land in the same log
        assert _noise(log.read_text()) == []
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


# what a clean start never prints: stack traces, minified code, warnings and errors of any part
_NOISE = re.compile(r"Traceback|Dynamic require|Could not determine|WARNING|Error|^\[[WEC] ", re.MULTILINE)


def _noise(log: str) -> list[str]:
    return [line[:300] for line in log.splitlines() if _NOISE.search(line)]


def _wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server never logged {text!r}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def _get_json(
    url: str, process: subprocess.Popen[bytes], data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """GET ``url`` (POST ``data``) once the server answers (the URL is printed before it is up)."""
    deadline = time.monotonic() + 120
    body = None if data is None else json.dumps(data).encode()
    while True:
        try:
            request = urllib.request.Request(url, data=body)  # noqa: S310  # loopback URL
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310  # loopback URL
                return cast("dict[str, Any]", json.load(response))
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _wait_for_url(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        text = log.read_text()
        found = re.search(r"http://127\.0\.0\.1:\d+/lab/tree/notebooks/quickstart\.ipynb\?token=\w+", text)
        if found:
            return found.group(0)
        if process.poll() is not None:
            pytest.fail(f"quickstart exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"quickstart printed no JupyterLab URL in 180 s:\n{log.read_text()[-3000:]}")
