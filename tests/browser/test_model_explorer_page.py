"""Our Model Explorer files loaded by Model Explorer itself: its server, its web app's JSON adapter.

``model-explorer`` (ai-edge-model-explorer) is started on 127.0.0.1 with the graph and the MACs
node-data file that ``graph.to_model_explorer`` wrote, and its page is opened with the URL its own
command line builds. The page must show our graph (its name and node count in the graph selector),
our totals in its graph info, and the node data on the nodes. Its fonts come from a CDN, which is
unreachable here: that console error is the only one tolerated.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import torchvision
from jupyter import free_port
from playwright.sync_api import Page, expect

import torchscope


@pytest.fixture(scope="module")
def explorer(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[tuple[str, dict]]:
    folder = tmp_path_factory.mktemp("model-explorer")
    graph = torchscope.trace(torchvision.models.resnet18(), [1, 3, 224, 224])
    paths = graph.to_model_explorer(folder / "resnet18.json")
    macs = next(p for p in paths if p.name == "resnet18.macs.json")
    from model_explorer.config import ModelExplorerConfig

    config = ModelExplorerConfig().add_model_from_path(str(paths[0])).add_node_data_from_path(str(macs))
    port = free_port()
    log = artifacts / "model-explorer.log"
    command = [
        sys.executable, "-m", "model_explorer", "--no_open_in_browser", "--skip_health_check",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/check_health", timeout=2):  # noqa: S310  # loopback URL
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"model-explorer did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield f"{base}/?data={config.to_url_param_value()}", graph.to_json()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_model_explorer_loads_our_graph_and_node_data(page: Page, explorer, artifacts: Path) -> None:
    url, payload = explorer
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    # the graph selector: our graph's id and its node count, as Model Explorer counted them
    expect(page.get_by_text(f"ResNet {len(payload['nodes'])} nodes").first).to_be_visible(timeout=120_000)
    info = page.locator("body")
    expect(info).to_contain_text(str(payload["totals"]["macs"]), timeout=30_000)
    expect(info).to_contain_text(str(payload["totals"]["params"]))
    # the node data: conv1's MACs, by hand 64 × 112 × 112 outputs × 3 × 7 × 7 each
    expect(info).to_contain_text(str(64 * 112 * 112 * 3 * 7 * 7))
    expect(page.get_by_text("layer1", exact=True).first).to_be_visible()
    page.screenshot(path=str(artifacts / "model-explorer.png"))
    assert errors == [], errors
