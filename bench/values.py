"""What a values trace (``values=True``) costs: payload bytes per node, and time against a forward.

For each model: the payload's compact JSON bytes per node without values (meta trace) and with
them, what the values add per node, and the wall time of ``trace(..., values=True)`` as a ratio
of a plain ``no_grad`` forward on the same device in the same run (medians of a few runs).

.venv/bin/python bench/values.py [cpu|cuda]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

import torch
import torchvision
from torch import nn

import torchscope

MODELS: dict[str, Callable[[], nn.Module]] = {
    "resnet18": torchvision.models.resnet18,
    "mobilenet_v3_small": torchvision.models.mobilenet_v3_small,
    "vit_b_16": torchvision.models.vit_b_16,
}
SHAPE = [1, 3, 224, 224]
REPEATS = 3


def _bytes(payload: object) -> int:
    return len(json.dumps(payload, separators=(",", ":")))


def _median_seconds(run: Callable[[], object], device: torch.device) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(where: str = "cpu") -> None:
    device = torch.device(where)
    print(
        f"{'model':<20} {'nodes':>6} {'B/node':>8} {'B/node values':>14} {'added':>7} {'time / forward':>15}"
    )
    for name, build in MODELS.items():
        model = build().eval().to(device)
        x = torch.randn(SHAPE, device=device)
        plain = torchscope.trace(model, SHAPE).to_json()
        valued = torchscope.trace(model, inputs=x, values=True).to_json()
        nodes = len(valued["nodes"])
        before, after = _bytes(plain) / len(plain["nodes"]), _bytes(valued) / nodes

        def forward(model: nn.Module = model, x: torch.Tensor = x) -> None:
            with torch.no_grad():
                model(x)

        def traced(model: nn.Module = model, x: torch.Tensor = x) -> None:
            torchscope.trace(model, inputs=x, values=True)

        forward()  # warm-up
        ratio = _median_seconds(traced, device) / _median_seconds(forward, device)
        print(f"{name:<20} {nodes:>6} {before:>8.0f} {after:>14.0f} {after - before:>7.0f} {ratio:>14.1f}×")


if __name__ == "__main__":
    main(*sys.argv[1:])
