"""The export source against the eager trace on every torchvision classification model.

    .venv/bin/python bench/export.py [name ...]        (default: every classification model)

For each model (built on meta where it can be, with the input size its weights are evaluated at):
``torch.export.export``, then ``torchscope.trace`` of the program and of the eager model; prints
whether params, trainable params, MACs, FLOPs, parameter and buffer bytes agree, and the ratio of
reading the program to the eager trace (both after the export, which is not counted).
tests/test_program.py runs a fixed sample of these in CI.
"""

from __future__ import annotations

import sys
import time
import warnings

import torch
import torchvision

import torchscope
from torchscope.sources import load_model

COMPARED = ("params", "params_trainable", "macs", "flops", "param_bytes", "buffer_bytes")


def compare(name: str) -> tuple[list[str], float]:
    """Return the totals that differ, and the program-read time over the eager-trace time."""
    loaded = load_model(f"torchvision:{name}")
    args, _ = loaded.example()
    program = torch.export.export(loaded.model, args)
    start = time.perf_counter()
    mine = torchscope.trace(program).to_json()["totals"]
    middle = time.perf_counter()
    theirs = torchscope.trace(loaded.model, inputs=args).to_json()["totals"]
    end = time.perf_counter()
    return [k for k in COMPARED if mine[k] != theirs[k]], (middle - start) / (end - middle)


def main() -> None:
    warnings.filterwarnings("ignore")
    names = sys.argv[1:] or torchvision.models.list_models(module=torchvision.models)
    agree = 0
    for name in names:
        try:
            differ, ratio = compare(name)
        except Exception as error:  # noqa: BLE001  # a sweep reports every model
            print(f"{name:28} failed: {type(error).__name__}: {str(error)[:100]}")
            continue
        agree += not differ
        verdict = "agree" if not differ else "differ: " + ", ".join(differ)
        print(f"{name:28} {verdict:30} read/trace {ratio:5.2f}×")
    print(f"{agree} of {len(names)} models agree on {', '.join(COMPARED)}")


if __name__ == "__main__":
    main()
