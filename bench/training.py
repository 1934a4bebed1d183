"""A training step of a Llama-3-70B shape on meta: the peak, its split, and what the trace costs.

    python bench/training.py              # 1 x 128 tokens, three precisions and a checkpointed run
    python bench/training.py --tokens 512
    python bench/training.py --fsdp 64    # also one rank's share under FSDP2 over 64 fake ranks
    python bench/training.py --tp 8       # ... and under tensor parallelism over 8 (its own plan)
    python bench/training.py --fsdp 64 --whole  # ... and again over all 80 layers, to compare

The model is built under ``torch.device("meta")`` from the published Llama-3-70B config
(hidden 8192, 80 layers, 64 heads with 8 KV heads, MLP 28672, vocabulary 128256; 70.55 B
parameters), so nothing is allocated. Each line traces one step (AdamW) with
``torchscope.trace(..., training=...)`` and prints the step's peak by category, the layers whose
saved activations dominate it, the inference peak, and the trace's wall time as a ratio to a
plain forward trace of the same model in the same process (absolute seconds depend on the machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

import torchscope
from torchscope.parallel import RankRecord

GIB = 2**30


def llama_70b() -> torch.nn.Module:
    """Return the Llama-3-70B shape on meta, in bfloat16."""
    config = LlamaConfig(
        hidden_size=8192, intermediate_size=28672, num_hidden_layers=80, num_attention_heads=64,
        num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192, rope_theta=500000.0,
    )  # fmt: skip
    with torch.device("meta"):
        return LlamaForCausalLM(config).to(torch.bfloat16)


def main() -> None:
    """Trace the steps and print one block per spec."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--fsdp", type=int, help="also trace the bf16-mixed step under FSDP2 over N ranks")
    parser.add_argument("--tp", type=int, help="... and under tensor parallelism over N ranks")
    parser.add_argument(
        "--whole",
        action="store_true",
        help="run each parallel step again over every layer (extend_repeats=False) and compare",
    )
    args = parser.parse_args()
    model = llama_70b()
    ids = torch.zeros(1, args.tokens, dtype=torch.long)
    kwargs = {"use_cache": False}
    torchscope.trace(model, inputs=ids, kwargs=kwargs)  # once untimed: the first call warms caches up
    start = time.perf_counter()
    torchscope.trace(model, inputs=ids, kwargs=kwargs)
    forward = time.perf_counter() - start
    specs = {
        "bf16-mixed": torchscope.Training(precision="bf16-mixed", loss="logits"),
        "bf16": torchscope.Training(precision="bf16", loss="logits"),
        "bf16-mixed, checkpointed": torchscope.Training(
            precision="bf16-mixed", loss="logits", activation_checkpointing=["LlamaDecoderLayer"]
        ),
    }
    params = sum(p.numel() for p in model.parameters())
    print(f"Llama-3-70B shape, {params / 1e9:.2f} B params, 1 x {args.tokens} tokens, AdamW")
    for name, spec in specs.items():
        start = time.perf_counter()
        graph = torchscope.trace(model, inputs=ids, kwargs=kwargs, training=spec, hardware="h100-sxm")
        seconds = time.perf_counter() - start
        step = graph.step
        if step is None or step.peak is None:
            raise RuntimeError("no training step was traced")
        split = ", ".join(f"{k} {v / GIB:.1f}" for k, v in step.peak.split.items() if v >= GIB / 10)
        totals = graph.to_json()["totals"]
        print(
            f"  {name}: peak {step.peak.bytes / GIB:.1f} GiB ({split} GiB) in the {step.peak.phase}; "
            f"inference peak {step.peak_inference / GIB:.1f} GiB; step on an H100 >= "
            f"{float(totals['step_time_ms']):.0f} ms; traced in {seconds / forward:.1f}x a forward trace"
        )
    print(f"  (a forward trace took {forward:.1f} s here)")
    strategies = [
        *([torchscope.FSDP(args.fsdp)] if args.fsdp else []),
        *([torchscope.TP(args.tp)] if args.tp else []),
    ]
    for parallel in strategies:
        extended = _parallel(model, ids, kwargs, parallel, forward)
        if args.whole:
            every_layer = dataclasses.replace(parallel, extend_repeats=False)
            whole = _parallel(model, ids, kwargs, every_layer, forward)
            same = _figures(extended[0]) == _figures(whole[0])
            print(
                f"    the whole stack: {'the same figures' if same else 'DIFFERENT FIGURES'}, "
                f"in {whole[1] / extended[1]:.1f}x the time of three short stacks extended"
            )


def _parallel(
    model: torch.nn.Module,
    ids: torch.Tensor,
    kwargs: dict[str, object],
    parallel: torchscope.FSDP | torchscope.TP,
    forward: float,
) -> tuple[RankRecord, float]:
    """Print one rank's share of the bf16-mixed step under ``parallel`` (FSDP2 or TP, fake ranks)."""
    spec = torchscope.Training(precision="bf16-mixed", loss="logits")
    start = time.perf_counter()
    graph = torchscope.trace(model, inputs=ids, kwargs=kwargs, training=spec, parallel=parallel)
    seconds = time.perf_counter() - start
    rank = graph.trace.parallel
    if rank is None:
        raise RuntimeError(f"no {type(parallel).__name__} step was traced")
    split = ", ".join(f"{k} {v / GIB:.2f}" for k, v in rank.peak_split.items() if v >= GIB / 100)
    if isinstance(parallel, torchscope.FSDP):
        layer = (
            f"per decoder layer all-gather {rank.all_gather_bytes.get('model.layers.0', 0) / GIB:.2f} GiB, "
            f"reduce-scatter {rank.reduce_scatter_bytes.get('model.layers.0', 0) / GIB:.2f} GiB"
        )
    else:
        sent = sum(b for p, b in rank.collective_bytes.items() if p.startswith("model.layers.0."))
        layer = f"{len(rank.blocks)} modules split; per decoder layer collectives {sent / 2**20:.1f} MiB"
    print(
        f"  {rank.strategy}({rank.world_size}), bf16-mixed, one rank: params {rank.param_bytes / GIB:.2f} "
        f"GiB, grads {rank.grad_bytes / GIB:.2f}, optimizer {rank.optimizer_bytes / GIB:.2f}; peak "
        f"{rank.peak_bytes / GIB:.2f} GiB ({split}); {layer}; "
        f"traced in {seconds / forward:.1f}x a forward trace "
        f"({_how(rank)})"
    )
    return rank, seconds


def _how(rank: RankRecord) -> str:
    if not rank.measured_lengths:
        return "every layer run"
    lengths = ", ".join(map(str, rank.measured_lengths))
    return f"{rank.stack} measured on {lengths} layers and extended"


def _figures(rank: RankRecord) -> dict[str, object]:
    return {k: v for k, v in dataclasses.asdict(rank).items() if k not in ("stack", "measured_lengths")}


if __name__ == "__main__":
    main()
