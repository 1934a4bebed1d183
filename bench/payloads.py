"""The payloads the front-end benchmarks read: ResNet-50, DenseNet-121, GPT-2 medium, a Llama-70B
shape, and a 440-layer Llama-style model whose op-level graph has ~20,000 nodes.

.venv/bin/python bench/payloads.py [out_dir]     (default: bench/.payloads; written once, then reused)
.venv/bin/python bench/payloads.py --wire [--repeats 5] [out_dir]

``--wire`` compares the two encodings of each payload (``torchscope.wire``): schema 1 (the
document, as the wire was before) and schema 2 (the compact wire). It prints bytes per node and,
as ratios v2 / v1 measured in one run, interleaved (medians of ``--repeats``): the trait transfer
(what the kernel does to send the trait: ``json.dumps`` of the document, against ``wire.encode``
plus ``json.dumps`` of the wire), the page's ``JSON.parse``, its checks (``validatePayload`` of the
document against ``decodeWire`` of the wire: checks plus expansion into the document), and the two
together ("page"), in Node (bench/wire.mjs).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torchvision
import transformers

import torchscope
from torchscope import wire

CACHE = Path(__file__).parent / ".payloads"


def _llama(layers: int, hidden: int, heads: int, kv_heads: int, intermediate: int) -> torch.nn.Module:
    config = transformers.LlamaConfig(
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        intermediate_size=intermediate,
        vocab_size=32000,
    )
    with torch.device("meta"):
        return transformers.LlamaForCausalLM(config)


def _gpt2_medium() -> torch.nn.Module:
    with torch.device("meta"):
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=24, n_embd=1024, n_head=16))


TOKENS = ([1, 128], torch.long)
IMAGE = ([1, 3, 224, 224], torch.float32)
MODELS: dict[str, tuple[Callable[[], torch.nn.Module], tuple[list[int], torch.dtype]]] = {
    "resnet50": (torchvision.models.resnet50, IMAGE),
    "densenet121": (torchvision.models.densenet121, IMAGE),
    "gpt2_medium": (_gpt2_medium, TOKENS),
    "llama70b": (lambda: _llama(80, 8192, 64, 8, 28672), TOKENS),
    "llama_20k": (lambda: _llama(440, 512, 8, 8, 1376), TOKENS),
}


def payload(name: str, out: Path = CACHE) -> Path:
    """The path of `name`'s payload JSON, tracing the model the first time."""
    path = out / f"{name}.json"
    if not path.exists():
        logging.getLogger("transformers").setLevel(logging.ERROR)
        build, (shape, dtype) = MODELS[name]
        graph: dict[str, Any] = torchscope.trace(build(), shape, dtype=dtype).to_json()
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(graph))
    return path


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare_wires(names: list[str], out: Path, repeats: int) -> None:
    """Print bytes per node and the v2 / v1 time ratios of each payload (see the docstring)."""
    rows: list[tuple[str, int, int, int, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        pairs: list[str] = []
        for name in names:
            document = json.loads(payload(name, out).read_text())
            v1_text = json.dumps(document, separators=(",", ":"))
            v2_text = json.dumps(wire.encode(document), separators=(",", ":"))
            sends: tuple[list[float], list[float]] = ([], [])
            for _ in range(repeats):  # interleaved, so that load on the machine falls on both alike
                sends[0].append(_seconds(lambda d=document: json.dumps(d)))
                sends[1].append(_seconds(lambda d=document: json.dumps(wire.encode(d))))
            for version, text in ((1, v1_text), (2, v2_text)):
                path = Path(scratch) / f"{name}.v{version}.json"
                path.write_text(text)
                pairs.append(str(path))
            send = (statistics.median(sends[0]), statistics.median(sends[1]))
            rows.append((name, len(document["nodes"]), len(v1_text), len(v2_text), *send))
        node = subprocess.run(
            ["node", str(Path(__file__).with_name("wire.mjs")), str(repeats), *pairs],
            check=True,
            capture_output=True,
            text=True,
        )
    front = [json.loads(line) for line in node.stdout.splitlines()]
    print(
        f"{'payload':12} {'nodes':>6} {'v1 B/node':>10} {'v2 B/node':>10} {'send v2/v1':>11} "
        f"{'parse v2/v1':>12} {'check v2/v1':>12} {'page v2/v1':>11}   (v1 ms: send, parse, check)"
    )
    for (name, nodes, v1, v2, send1, send2), js in zip(rows, front, strict=True):
        parse, check = js["parse"], js["decode"]
        print(
            f"{name:12} {nodes:>6} {v1 / nodes:>10.0f} {v2 / nodes:>10.0f} {send2 / send1:>11.2f} "
            f"{parse[1] / parse[0]:>12.2f} {check[1] / check[0]:>12.2f} "
            f"{(parse[1] + check[1]) / (parse[0] + check[0]):>11.2f}   "
            f"({1000 * send1:.0f}, {parse[0]:.0f}, {check[0]:.0f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", nargs="?", type=Path, default=CACHE)
    parser.add_argument("--wire", action="store_true", help="compare the schema-1 and schema-2 wires")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.wire:
        compare_wires(list(MODELS), args.out, args.repeats)
        return
    for name in MODELS:
        graph = json.loads(payload(name, args.out).read_text())
        print(f"{name}: {len(graph['nodes'])} nodes, {len(graph['groups'])} groups -> {args.out / name}.json")


if __name__ == "__main__":
    main()
