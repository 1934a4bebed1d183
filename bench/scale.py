"""Trace + stats of Llama-shaped models from 1B to 70B on meta, next to a bare FlopCounterMode pass.

    .venv/bin/python bench/scale.py [--repeats 3] [config ...]      (configs: 1b, 7b, 13b, 70b)

Each model is built under ``torch.device("meta")`` (no weights in memory) and fed 128 token ids.
For each, in one process: ``torchscope.trace(model, [1, 128], dtype=torch.long).to_json()`` (the
default device, every statistic), and ``FlopCounterMode`` around a plain ``model(ids)`` on meta
(the bare dispatch pass any meta tracer starts from); the median of ``--repeats`` runs after a
warm-up, interleaved. ``+peak RSS`` is the highest resident memory seen during any of the traces,
warm-up included (sampled every millisecond), above what the process held just before it;
``payload`` is the JSON text's size.
The target: the 70B shape within 3× the bare pass, adding under 512 MiB.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import transformers
from torch.utils.flop_counter import FlopCounterMode

import torchscope

# (layers, hidden, heads, kv heads, MLP, vocabulary): the published shapes of Llama 3.2 1B,
# Llama 2 7B and 13B, and Llama 2 70B
CONFIGS = {
    "1b": (16, 2048, 32, 8, 8192, 128256),
    "7b": (32, 4096, 32, 32, 11008, 32000),
    "13b": (40, 5120, 40, 40, 13824, 32000),
    "70b": (80, 8192, 64, 8, 28672, 32000),
}
TOKENS = 128
PAGE = os.sysconf("SC_PAGE_SIZE")


def build(name: str) -> torch.nn.Module:
    """The Llama-shaped model ``name`` on meta."""
    layers, hidden, heads, kv_heads, mlp, vocab = CONFIGS[name]
    config = transformers.LlamaConfig(
        num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
        num_key_value_heads=kv_heads, intermediate_size=mlp, vocab_size=vocab,
    )  # fmt: skip
    with torch.device("meta"):
        return transformers.LlamaForCausalLM(config).eval()


def rss() -> int:
    """Resident bytes of this process now."""
    return int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1]) * PAGE


@contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Yield a list that ends up holding the peak resident bytes above the starting point."""
    gc.collect()
    start = rss()
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.001):
            peak[0] = max(peak[0], rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    found = [0]
    try:
        yield found
    finally:
        done.set()
        sampler.join()
        found[0] = max(peak[0], rss()) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["1b", "7b", "70b"], help=", ".join(CONFIGS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if unknown := [c for c in args.configs if c not in CONFIGS]:
        parser.error(f"unknown config {unknown[0]!r}; choose from {', '.join(CONFIGS)}")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {os.cpu_count()} cores; "
          f"load average at start: {os.getloadavg()[0]:.2f}")  # fmt: skip
    header = f"{'shape':6} {'params':>8} {'trace+stats':>12} {'bare FCM':>9} {'ratio':>6} {'+peak RSS':>10} "
    print(header + f"{'nodes':>7} {'groups':>7} {'edges':>7} {'payload':>10}")
    for name in args.configs:
        model = build(name)
        ids = torch.zeros(1, TOKENS, dtype=torch.long, device="meta")
        params = sum(p.numel() for p in model.parameters())
        payload: dict[str, object] = {}

        def ours(model: torch.nn.Module = model, out: dict[str, object] = payload) -> None:
            out.update(torchscope.trace(model, [1, TOKENS], dtype=torch.long).to_json())

        def bare(model: torch.nn.Module = model, ids: torch.Tensor = ids) -> None:
            with FlopCounterMode(display=False):
                model(ids)

        # the warm-up is the first trace of this model in the process: its peak counts too
        with peak_rss() as first:
            ours()
        bare()
        times: dict[Callable[[], None], list[float]] = {ours: [], bare: []}
        peaks = [first[0]]
        for _ in range(args.repeats):
            for run in (ours, bare):
                gc.collect()
                with peak_rss() if run is ours else _nothing() as peak:
                    start = time.perf_counter()
                    run()
                    times[run].append(time.perf_counter() - start)
                if run is ours:
                    peaks.append(peak[0])
        traced, flops = statistics.median(times[ours]), statistics.median(times[bare])
        size = len(json.dumps(payload))
        counts = [len(payload[k]) for k in ("nodes", "groups", "edges")]  # type: ignore[arg-type]
        print(
            f"{name:6} {params / 1e9:7.2f}B {traced:11.2f}s {flops:8.2f}s {traced / flops:5.2f}x "
            f"{max(peaks) / 2**20:7.0f} MiB"
            + "".join(f" {c:>7}" for c in counts)
            + f" {size / 2**20:6.1f} MiB",
            flush=True,
        )
        del model, payload
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


@contextmanager
def _nothing() -> Iterator[list[int]]:
    yield [0]


if __name__ == "__main__":
    main()
