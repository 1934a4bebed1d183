"""The parameters' side of a training step: meta stand-ins, the optimizer and its state.

The optimizer is ``torch.optim``'s own, on the stand-ins. Its state is made before the traced step
by a first step on zero gradients, as a loop's first iteration makes it; Adafactor's step reads
values, so its state is made with the shapes ``torch.optim.Adafactor`` gives it (a row and a
column vector for each matrix, a full tensor for each vector) and its step is not traced.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from torchscope.trace.memory import MemoryLog
from torchscope.trace.step_records import OwnedState
from torchscope.trace.values import meta_like, named_tensors
from torchscope.training import Training

Modules = list[tuple[str, nn.Module]]


def stand_ins(
    modules: Modules, param_dtype: torch.dtype, compute_dtype: torch.dtype
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Meta stand-ins of every parameter and buffer; the trainable ones are leaves needing grad."""
    state: dict[str, torch.Tensor] = {}
    trainable: dict[str, torch.Tensor] = {}
    for name, param in named_tensors(modules, "_parameters"):
        stand_in = meta_like(param)
        if stand_in.is_floating_point():
            stand_in = stand_in.to(param_dtype)
        if param.requires_grad and stand_in.is_floating_point():
            stand_in.requires_grad_(True)  # noqa: FBT003  # torch's own signature
            trainable[name] = stand_in
        state[name] = stand_in
    for name, buffer in named_tensors(modules, "_buffers"):
        stand_in = meta_like(buffer)
        state[name] = stand_in.to(compute_dtype) if stand_in.is_floating_point() else stand_in
    return state, trainable


def make_optimizer(spec: Training, params: list[torch.Tensor]) -> torch.optim.Optimizer | None:
    """Make the optimizer on the stand-ins, its state already made (by a first step on zero gradients)."""
    if spec.optimizer == "none" or not params:
        return None
    if spec.optimizer == "adafactor":
        optimizer: torch.optim.Optimizer = torch.optim.Adafactor(params)
        for p in params:  # the shapes torch.optim.Adafactor gives its state (its step reads values)
            if p.dim() >= 2:
                optimizer.state[p]["row_var"] = p.new_zeros((*p.shape[:-1], 1))
                optimizer.state[p]["col_var"] = p.new_zeros((*p.shape[:-2], 1, p.shape[-1]))
            else:
                optimizer.state[p]["variance"] = torch.zeros_like(p)
        return optimizer
    made: dict[str, Callable[[], torch.optim.Optimizer]] = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        "adam": lambda: torch.optim.Adam(params),
        "adamw": lambda: torch.optim.AdamW(params),
    }
    optimizer = made[spec.optimizer]()
    for p in params:
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for p in params:
        p.grad = None
    return optimizer


def register_state(optimizer: torch.optim.Optimizer | None, log: MemoryLog) -> dict[int, int]:
    """Count the optimizer's state on the parameters' device; returns its bytes by parameter id."""
    found: dict[int, int] = {}
    if optimizer is None:
        return found
    for param, entries in optimizer.state.items():
        for value in entries.values():
            # a CPU step counter of a meta parameter is not device memory
            if isinstance(value, torch.Tensor) and value.device.type == "meta":
                log.register(value, "optimizer")
                found[id(param)] = found.get(id(param), 0) + value.untyped_storage().nbytes()
    return found


def owned_state(
    modules: Modules, trainable: dict[str, torch.Tensor], opt_bytes: dict[int, int]
) -> dict[str, OwnedState]:
    """Return the gradient and optimizer bytes of each module's own trainable parameters and subtree's."""
    result: dict[str, OwnedState] = {}
    for path, module in modules:
        names = [f"{path}.{n}" if path else n for n, p in module._parameters.items() if p is not None]  # noqa: SLF001
        mine = {id(trainable[n]): trainable[n] for n in names if n in trainable}
        below = {id(t): t for n, t in trainable.items() if not path or n.startswith(path + ".")} | mine
        result[path] = OwnedState(
            grad_bytes=sum(t.untyped_storage().nbytes() for t in mine.values()),
            optimizer_bytes=sum(opt_bytes.get(i, 0) for i in mine),
            total_grad_bytes=sum(t.untyped_storage().nbytes() for t in below.values()),
            total_optimizer_bytes=sum(opt_bytes.get(i, 0) for i in below),
        )
    return result
