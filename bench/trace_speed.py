"""Trace + stats time against a plain forward of the same model, in one run on this machine.

    .venv/bin/python bench/trace_speed.py [--repeats 5] [model ...]

Prints, per model, the median of each: a plain real-tensor forward (eval, no_grad), a bare meta
pass through functional_call (the floor for any meta tracer), and torchscope.trace(...).to_json()
(trace + every statistic). Ratios are to the plain forward; quote ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torchvision

import torchscope

DEFAULT = ["resnet50", "vit_b_16", "densenet121", "efficientnet_b0", "convnext_tiny", "mobilenet_v3_large"]


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=DEFAULT)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"{'model':20} {'forward':>9} {'bare meta':>10} {'torchscope':>11}   (ratios to forward)")
    ratios = []
    for name in args.models:
        model = torchvision.models.get_model(name).eval()
        x = torch.randn(1, 3, 224, 224)
        stand_ins = {k: torch.empty_like(v, device="meta") for k, v in model.state_dict().items()}
        meta_x = torch.empty(1, 3, 224, 224, device="meta")

        def forward(model: torch.nn.Module = model, x: torch.Tensor = x) -> object:
            with torch.no_grad():
                return model(x)

        def bare_meta(
            model: torch.nn.Module = model, s: dict[str, torch.Tensor] = stand_ins, x: torch.Tensor = meta_x
        ) -> object:
            return torch.func.functional_call(model, s, (x,))

        def ours(model: torch.nn.Module = model) -> object:
            return torchscope.trace(model, [1, 3, 224, 224]).to_json()

        base = median_seconds(forward, args.repeats)
        meta = median_seconds(bare_meta, args.repeats) / base
        traced = median_seconds(ours, args.repeats) / base
        ratios.append(traced)
        print(f"{name:20} {base * 1000:7.0f}ms {meta:9.2f}x {traced:10.2f}x")
    print(f"median torchscope / forward: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
