"""Does a diff read better merged (one diagram) or side by side (two panes)? A measurement.

For the five use cases of notebooks/diff.ipynb, in headless Chromium at 1400×900, it opens
  merged        the diff's own page: b's graph with a's removed members drawn in, full width
  side by side  each model's own page in a 700 px pane, next to each other (what two
                synchronised panes would show)
and reports, at the first view (fitted) and with every group expanded and fitted:
  k             the zoom (box size on screen relative to the drawing)
  legible       boxes on screen whose text is drawn at that zoom (both panes together)
  boxes         boxes on screen (what a reader scans; both panes together)
  differing     boxes on screen that differ (both panes: a pair counts twice, since the reader
                has to find it in each)
  per diff      boxes scanned per differing box shown

.venv/bin/python bench/diff_panes.py        (needs /usr/bin/chromium; ~2 min)
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torchvision
from peft import LoraConfig, get_peft_model
from playwright.sync_api import Frame, Page, sync_playwright
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM

import torchscope as ts
from torchscope.standalone import write_html
from torchscope.widget import ModelView

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 900
PROBE = "document.querySelector('.ts-diagram').torchscope"
READY = (
    "() => { const d = document.querySelector('.ts-diagram');"
    f" return d && d.torchscope && {PROBE}.status() === 'ready'; }}"
)


def _llama(hidden: int, intermediate: int, layers: int, heads: int, *, meta: bool = True) -> nn.Module:
    config = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        vocab_size=32000 if meta else 1000,
    )
    if not meta:
        return LlamaForCausalLM(config)
    with torch.device("meta"):
        return LlamaForCausalLM(config)


def _pruned(model: torchvision.models.ResNet) -> nn.Module:
    pruned = copy.deepcopy(model)
    block = pruned.layer1[0]
    block.conv1 = nn.Conv2d(64, 32, 3, padding=1, bias=False)
    block.bn1 = nn.BatchNorm2d(32)
    block.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
    return pruned


def _lora() -> ts.ModelDiff:
    base = _llama(256, 512, 4, 4, meta=False)
    lora = get_peft_model(copy.deepcopy(base), LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
    return ts.diff(base, lora, [1, 32], dtype=torch.long)


CASES: dict[str, Callable[[], ts.ModelDiff]] = {
    "resnet50 vs resnet101": lambda: ts.diff(
        torchvision.models.resnet50(), torchvision.models.resnet101(), [1, 3, 224, 224]
    ),
    "llama vs llama + LoRA": _lora,
    "Llama-7B vs 13B": lambda: ts.diff(
        _llama(4096, 11008, 32, 32), _llama(5120, 13824, 40, 40), [1, 128], dtype=torch.long
    ),
    "resnet18 vs pruned": lambda: ts.diff(
        torchvision.models.resnet18(), _pruned(torchvision.models.resnet18()), [1, 3, 224, 224]
    ),
    "vit_b_16 224 vs 384 px": lambda: ts.diff(
        torchvision.models.vit_b_16(),
        torchvision.models.vit_b_16(image_size=384),
        [1, 3, 224, 224],
        input_shape_b=[1, 3, 384, 384],
    ),
}


def _page(payload: Any, path: Path) -> Path:  # noqa: ANN401  # a payload
    return write_html(ModelView(payload).view_state(), path)


def _measure(frame: Frame | Page, differing: set[str]) -> dict[str, float]:
    frame.wait_for_function(READY, timeout=120_000)
    frame.wait_for_timeout(300)
    boxes = frame.evaluate(f"{PROBE}.boxes().map(b => [b.id, b.select, b.text])")
    k = frame.evaluate(f"{PROBE}.transform().k")
    shown = [b for b in boxes if b[0]]
    return {
        "k": k,
        "legible": sum(1 for b in shown if b[2]),
        "boxes": len(shown),
        "differing": sum(1 for b in shown if b[0] in differing or b[1] in differing),
    }


def _expand_all(frame: Frame | Page) -> None:
    frame.evaluate("document.querySelector('[data-action=\"expand-all\"]').click()")
    frame.wait_for_timeout(200)
    frame.wait_for_function(READY, timeout=120_000)
    frame.evaluate("document.querySelector('.ts-diagram').dispatchEvent(new Event('ts-fit'))")


def _sides(page: Page, a: Path, b: Path) -> list[Frame]:
    half = WIDTH // 2
    page.set_content(
        "<body style='margin:0;display:flex'>"
        f"<iframe src='{a.as_uri()}' style='width:{half}px;height:{HEIGHT}px;border:0'></iframe>"
        f"<iframe src='{b.as_uri()}' style='width:{half}px;height:{HEIGHT}px;border:0'></iframe></body>"
    )
    page.wait_for_timeout(500)
    return [f for f in page.frames if f != page.main_frame]


def _add(x: dict[str, float], y: dict[str, float]) -> dict[str, float]:
    return {"k": min(x["k"], y["k"]), **{key: x[key] + y[key] for key in ("legible", "boxes", "differing")}}


def _row(name: str, view: str, m: dict[str, float]) -> str:
    per = m["boxes"] / m["differing"] if m["differing"] else float("inf")
    cells = [name, view, f"{m['k']:.2f}", *(f"{m[key]:.0f}" for key in ("legible", "boxes", "differing"))]
    return "| " + " | ".join([*cells, f"{per:.1f}"]) + " |"


def main() -> None:
    warnings.filterwarnings("ignore")
    print("| case | view | k | legible | boxes | differing | boxes per difference |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        for name, make in CASES.items():
            diff = make()
            items = diff.payload["diff"]["items"]
            merged_ids = {m for m, item in items.items() if item["status"] != "same"}
            side_ids = {item[s] for item in items.values() if item["status"] != "same" for s in ("a", "b")}
            root = Path(tmp)
            merged = write_html(ModelView(diff.payload).view_state(), root / "merged.html")
            a, b = _page(diff.a, root / "a.html"), _page(diff.b, root / "b.html")
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            for stage in ("first view", "expanded"):
                page.goto(merged.as_uri())
                if stage == "expanded":
                    page.wait_for_function(READY, timeout=120_000)
                    _expand_all(page)
                print(_row(name, f"merged, {stage}", _measure(page, merged_ids)))
                frames = _sides(page, a, b)
                if stage == "expanded":
                    for frame in frames:
                        frame.wait_for_function(READY, timeout=120_000)
                        _expand_all(frame)
                panes = [_measure(frame, side_ids - {None}) for frame in frames]
                print(_row(name, f"side by side, {stage}", _add(*panes)))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
