"""The floors under a meta trace, as multiples of a plain forward: what no tracer can go below.

    .venv/bin/python bench/trace_floor.py [model ...]     (torchvision names; default: four of them)

For each model, medians of 15 runs, one 224×224 image, ``torch.no_grad()``:
  forward      the plain forward on real CPU tensors (the reference)
  meta         the same forward on meta tensors: PyTorch's own meta kernels, no bookkeeping
  python       the model's own Python alone: every torch function answered with its first tensor
               argument (no kernel runs at all), under two empty global module hooks, as a tracer
               that records module calls would install

``python`` is the floor for a tracer that runs the model's forward and answers every shape itself;
``meta`` is what answering none of them costs. ``bench/trace.py`` shows where torchscope sits.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
import torchvision
from torch import nn
from torch.overrides import TorchFunctionMode

DEFAULT = ["mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0", "resnet50"]
# run for real (on meta): metadata reads, and the functions that return several tensors
_RUN = {
    torch.Tensor.shape.__get__,  # type: ignore[attr-defined]
    torch.Tensor.size,
    torch.Tensor.dim,
    torch.Tensor.__iter__,
    torch.Tensor.chunk,
    torch.chunk,
    torch.Tensor.split,
    torch.split,
    torch.Tensor.unbind,
    torch.unbind,
}


class _FirstInput(TorchFunctionMode):
    """Answers every torch function with its first tensor argument: no kernel runs."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:  # noqa: ANN401
        if func not in _RUN:
            for value in args:
                if isinstance(value, torch.Tensor):
                    return value
        return func(*args, **(kwargs or {}))


def _median(run: Callable[[], object], repeats: int = 15) -> float:
    run()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _python_only(model: nn.Module, x: torch.Tensor) -> None:
    with _FirstInput():
        model(x)


def _floors(name: str) -> tuple[float, float, float]:
    """Return the model's forward in seconds, and its meta and Python-only passes as multiples of it."""
    model = getattr(torchvision.models, name)(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        forward = _median(lambda: model(x))
        meta_model, meta_x = model.to("meta"), x.to("meta")
        meta = _median(lambda: meta_model(meta_x))
        hooks = [
            nn.modules.module.register_module_forward_pre_hook(lambda *_: None),
            nn.modules.module.register_module_forward_hook(lambda *_: None),
        ]
        try:
            python = _median(lambda: _python_only(meta_model, meta_x))
        finally:
            for hook in hooks:
                hook.remove()
    return forward, meta / forward, python / forward


def main(names: list[str]) -> None:
    """Print one line per model."""
    print(f"{'model':<22} {'forward':>9} {'meta':>7} {'python':>7}   (x forward)")
    for name in names:
        forward, meta, python = _floors(name)
        print(f"{name:<22} {forward * 1e3:>7.1f}ms {meta:>6.2f}x {python:>6.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
