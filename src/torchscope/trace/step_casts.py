"""Mixed precision on meta: each module call computes on half-precision copies of its parameters.

``bf16-mixed`` keeps fp32 master parameters (their gradients and optimizer state fp32 too) and
runs the forward and backward in bf16, as autocast or FSDP2's ``MixedPrecisionPolicy`` do. Here a
global forward pre-hook gives every module call copies of the trainable parameters it owns in the
compute dtype (a differentiable cast: the gradients flow back to the masters in fp32) and the
post-hook puts the masters back. A copy lives as long as autograd keeps it (a Linear saves its
weight), so it costs what a real cast costs; a checkpointed block casts again when it is
recomputed in the backward, and holds no copies in between.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


@contextlib.contextmanager
def cast_on_call(masters: list[torch.Tensor], dtype: torch.dtype) -> Iterator[None]:
    """Give each module call ``dtype`` copies of the ``masters`` it owns, for as long as it runs."""
    ids = {id(t) for t in masters if t.dtype != dtype}
    held: list[list[tuple[nn.Module, str, torch.Tensor]]] = []

    def pre(module: nn.Module, args: object) -> None:
        del args
        swapped: list[tuple[nn.Module, str, torch.Tensor]] = []
        registry = module._parameters  # noqa: SLF001  # where functional_call put the stand-ins
        with torch._C.DisableTorchFunction():  # noqa: SLF001  # our cast is no call of the model's
            for name, tensor in registry.items():
                if tensor is not None and id(tensor) in ids:
                    registry[name] = tensor.to(dtype)  # type: ignore[assignment]  # a stand-in, as functional_call puts
                    swapped.append((module, name, tensor))
        held.append(swapped)

    def post(module: nn.Module, args: object, output: object) -> None:
        del module, args, output
        if held:
            for owner, name, master in held.pop():
                owner._parameters[name] = master  # type: ignore[assignment]  # noqa: SLF001

    before = nn.modules.module.register_module_forward_pre_hook(pre)
    after = nn.modules.module.register_module_forward_hook(post, always_call=True)
    try:
        yield
    finally:
        before.remove()
        after.remove()
        for swapped in reversed(held):
            for owner, name, master in swapped:
                owner._parameters[name] = master  # type: ignore[assignment]  # noqa: SLF001
