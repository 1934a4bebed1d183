"""The payloads the front-end benchmarks read: ResNet-50, DenseNet-121, GPT-2 medium, a Llama-70B
shape, and a 440-layer Llama-style model whose op-level graph has ~20,000 nodes.

.venv/bin/python bench/payloads.py [out_dir]     (default: bench/.payloads; written once, then reused)
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torchvision
import transformers

import torchscope

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


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else CACHE
    for name in MODELS:
        graph = json.loads(payload(name, out).read_text())
        print(f"{name}: {len(graph['nodes'])} nodes, {len(graph['groups'])} groups -> {out / name}.json")


if __name__ == "__main__":
    main()
