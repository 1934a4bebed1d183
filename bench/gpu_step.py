"""The predicted training-step peak against ``torch.cuda.max_memory_allocated``, on a lent GPU.

    python bench/gpu_step.py                # cuda: ResNet-50 and a small Llama, fp32 and bf16
    python bench/gpu_step.py --device cpu   # the same steps, measured by PyTorch's MemTracker

The prediction is ``torchscope.trace(..., training=...)`` on the default (meta) device, which
knows nothing of the GPU. The measurement is PyTorch's: one step to make the optimizer's state,
then ``reset_peak_memory_stats`` and a second step, whose ``max_memory_allocated`` is the peak (on
CPU, MemTracker's peak around the second step, as ``tests/real_step.py`` does). AdamW runs its
for-loop implementation on both sides (``foreach=False``): CUDA's default ``foreach`` one keeps
whole-list temporaries that torchscope does not trace. Expect the GPU to read a little more: the
caching allocator rounds each block up to 512 bytes, and cuBLAS keeps a workspace.

A device machine has PyTorch but not torchscope's other dependencies: carry wheels of anywidget,
traitlets, ipywidgets and networkx (see the device tool's README), and run with ``PYTHONPATH=src``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import torch
import torchvision
from torch import nn

import torchscope

MIB = 2**20


def _llama(dtype: torch.dtype) -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM  # noqa: PLC0415  # only this model needs it

    config = LlamaConfig(
        hidden_size=1024, intermediate_size=2816, num_hidden_layers=8, num_attention_heads=16,
        num_key_value_heads=4, vocab_size=32000, attn_implementation="eager",
    )  # fmt: skip
    torch.manual_seed(0)
    return LlamaForCausalLM(config).to(dtype)


def _resnet(dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet50(weights=None).to(dtype)


Build = Callable[[torch.dtype], nn.Module]
Example = Callable[[torch.dtype], torch.Tensor]


def _cases() -> dict[str, tuple[Build, Example, str | None]]:
    return {
        "resnet50, 8 x 224 px": (_resnet, lambda dtype: torch.randn(8, 3, 224, 224, dtype=dtype), None),
        "llama 8 x 1024, 4 x 512 tokens": (_llama, lambda _: torch.randint(0, 32000, (4, 512)), "logits"),
    }


def _loss(out: Any, member: str | None) -> torch.Tensor:  # noqa: ANN401  # a model's output
    value = getattr(out, member) if member else out
    return value.float().square().mean()


def measured(model: nn.Module, x: torch.Tensor, member: str | None, device: torch.device) -> int:
    """Return the peak of a second AdamW step (the first made the optimizer's state), by PyTorch."""
    model.to(device).train()
    x = x.to(device)
    kwargs = {"use_cache": False} if member else {}
    opt = torch.optim.AdamW(model.parameters(), foreach=False)

    def step() -> None:
        out = model(x, **kwargs)
        _loss(out, member).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        del out

    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    from torch.distributed._tools.mem_tracker import MemTracker  # noqa: PLC0415  # the CPU truth

    tracker = MemTracker()
    tracker.track_external(model, opt)
    with tracker:
        step()
    return int(tracker.get_tracker_snapshot("peak")[device]["Total"])


def predicted(model: nn.Module, x: torch.Tensor, member: str | None) -> int:
    """Return torchscope's step peak for the same model, input, loss and optimizer."""
    kwargs = {"use_cache": False} if member else {}
    spec = torchscope.Training(optimizer="adamw", loss=lambda out: _loss(out, member))
    graph = torchscope.trace(model, inputs=x, kwargs=kwargs, training=spec)
    if graph.step is None or graph.step.peak is None:
        raise RuntimeError("no training step was traced")
    return graph.step.peak.bytes


def main() -> None:
    """Print predicted and measured peaks per model and dtype, with their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    device = torch.device(parser.parse_args().device)
    print(f"torch {torch.__version__} on {device}")
    for name, (build, example, member) in _cases().items():
        for dtype in (torch.float32, torch.bfloat16):
            x = example(dtype)
            guess = predicted(build(dtype), x, member)
            truth = measured(build(dtype), x, member, device)
            print(
                f"  {name}, {str(dtype).removeprefix('torch.')}: predicted {guess / MIB:.1f} MiB, "
                f"measured {truth / MIB:.1f} MiB, measured / predicted {truth / guess:.3f}"
            )
            if device.type == "cuda":
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
