"""Screenshots of the memory timeline of a training step, to be looked at as a newcomer would.

Writes ``test-artifacts/timeline-*.png``: ResNet-18 (batch 8, 224 px, AdamW) and a small GPT-2
(6 layers, 384 wide, batch 8 × 256 tokens, AdamW, bf16-mixed) on their standalone pages at
1400×1000, at rest and with a node selected and a point hovered; and ResNet-18 in a JupyterLab
cell 900 px wide, in the light and the dark theme.

.venv/bin/python bench/timeline_shots.py [--no-lab]     (needs /usr/bin/chromium)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser")]

import torch  # noqa: E402
import torchvision  # noqa: E402
from jupyter import NotebookPage, jupyter_lab  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

import torchscope as ts  # noqa: E402

OUT = ROOT / "test-artifacts"
TIMELINE = "document.querySelector('.ts-timeline').torchscope"
READY = "() => document.querySelector('.ts-diagram')?.torchscope?.status() === 'ready'"
RESNET = "ts.draw_model(torchvision.models.resnet18(), [8, 3, 224, 224], training=True)"


def _gpt2() -> ts.ModelGraph:
    from transformers import GPT2Config, GPT2LMHeadModel  # noqa: PLC0415  # heavy, one model

    config = GPT2Config(n_layer=6, n_embd=384, n_head=6, n_positions=256, vocab_size=50257)
    ids = torch.zeros(8, 256, dtype=torch.long)
    spec = ts.Training(optimizer="adamw", precision="bf16-mixed")
    return ts.trace(GPT2LMHeadModel(config), inputs=ids, kwargs={"use_cache": False}, training=spec)


def _hover_and_select(page: Page, node: str) -> None:
    """Select ``node`` by a click on its forward point, then rest the pointer on its backward one."""
    forward, *_, backward = page.evaluate(f"id => {TIMELINE}.pointsOf(id)", node)
    at = page.evaluate(f"i => {TIMELINE}.at(i)", forward)
    page.mouse.click(at["x"], at["y"] + 6)
    page.wait_for_function(READY)
    at = page.evaluate(f"i => {TIMELINE}.at(i)", backward)
    page.mouse.move(at["x"], at["y"] + 6)
    page.wait_for_timeout(600)


def standalone(page: Page, name: str, graph: ts.ModelGraph, node: str) -> None:
    html = graph.view().save_html(OUT / f"timeline-{name}.html")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(html.as_uri())
    page.wait_for_function(READY)
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / f"timeline-{name}.png"))
    _hover_and_select(page, node)
    page.screenshot(path=str(OUT / f"timeline-{name}-hover.png"))
    (OUT / f"timeline-{name}.html").unlink()


def in_lab(page: Page, theme: str) -> None:
    with tempfile.TemporaryDirectory() as root, jupyter_lab(Path(root), OUT) as server:
        server.set_theme(f"JupyterLab {theme.title()}")
        cell = f"import torchvision\nimport torchscope as ts\n{RESNET}"
        path = server.write_notebook("timeline.ipynb", [cell])
        page.set_viewport_size({"width": 1000, "height": 1000})
        nb = NotebookPage(page, server, path, "lab")
        nb.run_cell(0, timeout_ms=300_000)
        widget = nb.widget(0)
        # JupyterLab's side panels take their share: size the window so that the cell is 900 px
        width = widget.evaluate("el => el.getBoundingClientRect().width")
        page.set_viewport_size({"width": round(1000 + 900 - width), "height": 1000})
        page.wait_for_function(READY)
        widget.scroll_into_view_if_needed()
        _hover_and_select(page, "layer1.0.conv1")
        widget.screenshot(path=str(OUT / f"timeline-resnet18-lab-{theme}.png"))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    resnet = ts.trace(torchvision.models.resnet18(), [8, 3, 224, 224], training=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--disable-gpu"])
        page = browser.new_page()
        standalone(page, "resnet18", resnet, "layer1.0.conv1")
        standalone(page, "gpt2", _gpt2(), "transformer.h.0.attn.c_attn")
        if "--no-lab" not in sys.argv:
            for theme in ("light", "dark"):
                in_lab(page, theme)
        browser.close()
    print(f"written to {OUT}/timeline-*.png")


if __name__ == "__main__":
    main()
