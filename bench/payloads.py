"""Write the payloads the front-end benchmarks read: ResNet-50, DenseNet-121, GPT-2 medium, a Llama-70B shape.

.venv/bin/python bench/payloads.py [out_dir]     (default: bench/.payloads)
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import torch
import torchvision
import transformers

import torchscope


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / ".payloads")
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("transformers").setLevel(logging.ERROR)
    with torch.device("meta"):
        gpt2 = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=24, n_embd=1024, n_head=16))
        llama = transformers.LlamaForCausalLM(
            transformers.LlamaConfig(
                num_hidden_layers=80,
                hidden_size=8192,
                num_attention_heads=64,
                num_key_value_heads=8,
                intermediate_size=28672,
                vocab_size=32000,
            )
        )
    graphs = {
        "resnet50": torchscope.trace(torchvision.models.resnet50(), [1, 3, 224, 224]),
        "densenet121": torchscope.trace(torchvision.models.densenet121(), [1, 3, 224, 224]),
        "gpt2_medium": torchscope.trace(gpt2, [1, 128], dtype=torch.long),
        "llama70b": torchscope.trace(llama, [1, 128], dtype=torch.long),
    }
    for name, graph in graphs.items():
        payload = graph.to_json()
        (out / f"{name}.json").write_text(json.dumps(payload))
        print(f"{name}: {len(payload['nodes'])} nodes, {len(payload['groups'])} groups -> {out / name}.json")


if __name__ == "__main__":
    main()
