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
    """Make the optimizer on the stand-ins, with the state its first step would have made.

    The state is made here as ``torch.optim`` makes it on a first step (the same tensors, shapes
    and dtypes; ``tests/test_training_truths.py`` holds it to MemTracker on real steps): running
    that step on meta would cost seconds for a big model and change nothing that is counted.
    """
    if spec.optimizer == "none" or not params:
        return None
    made: dict[str, Callable[[], torch.optim.Optimizer]] = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        "adam": lambda: torch.optim.Adam(params),
        "adamw": lambda: torch.optim.AdamW(params),
        "adafactor": lambda: torch.optim.Adafactor(params),
    }
    optimizer = made[spec.optimizer]()
    for p in params:
        optimizer.state[p].update(first_state(spec.optimizer, p))
    return optimizer


def first_state(optimizer: str, p: torch.Tensor) -> dict[str, torch.Tensor]:
    """Return what ``torch.optim``'s first step leaves in the state of parameter ``p``."""
    if optimizer == "sgd":
        return {"momentum_buffer": torch.zeros_like(p)}  # a clone of the first gradient
    step = {"step": torch.tensor(1.0, dtype=torch.float32)}  # on the host, as torch keeps it
    if optimizer == "adafactor":
        if p.dim() >= 2:  # a matrix: factored second moments
            return {
                **step,
                "row_var": p.new_zeros((*p.shape[:-1], 1)),
                "col_var": p.new_zeros((*p.shape[:-2], 1, p.shape[-1])),
            }
        return {**step, "variance": torch.zeros_like(p)}
    return {
        **step,
        "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
        "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
    }


def step_distinct_shapes(optimizer: torch.optim.Optimizer) -> None:
    """Take the optimizer's step on one parameter of each shape and dtype: the same peak, sooner.

    ``torch.optim``'s per-parameter loop (what runs on meta and on the CPU) makes a parameter's
    temporaries and frees them before the next, so the step's peak is that of its largest
    parameter, whichever of the equal ones it is; an 80-layer model has a dozen shapes, not 700.
    """
    chosen: dict[tuple[tuple[int, ...], torch.dtype], torch.Tensor] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                chosen.setdefault((tuple(p.shape), p.dtype), p)
    picked = {id(p) for p in chosen.values()}
    every = [group["params"] for group in optimizer.param_groups]
    try:
        for group in optimizer.param_groups:
            group["params"] = [p for p in group["params"] if id(p) in picked]
        optimizer.step()
    finally:
        for group, params in zip(optimizer.param_groups, every, strict=True):
            group["params"] = params


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
    own: dict[str, dict[int, torch.Tensor]] = {path: {} for path, _ in modules}
    below: dict[str, dict[int, torch.Tensor]] = {path: {} for path, _ in modules}
    for path, module in modules:
        for name, p in module._parameters.items():  # noqa: SLF001  # the module's own registry
            full = f"{path}.{name}" if path else name
            if p is not None and full in trainable:
                own[path][id(trainable[full])] = trainable[full]
    for name, tensor in trainable.items():
        parts = name.split(".")
        for depth in range(len(parts)):  # the root, then each module on the way down
            below.setdefault(".".join(parts[:depth]), {})[id(tensor)] = tensor
    for path, mine in own.items():
        below[path].update(mine)  # a tied parameter registered here under another name
    result: dict[str, OwnedState] = {}
    for path, _ in modules:
        mine, inside = own[path], below[path]
        result[path] = OwnedState(
            grad_bytes=sum(t.untyped_storage().nbytes() for t in mine.values()),
            optimizer_bytes=sum(opt_bytes.get(i, 0) for i in mine),
            total_grad_bytes=sum(t.untyped_storage().nbytes() for t in inside.values()),
            total_optimizer_bytes=sum(opt_bytes.get(i, 0) for i in inside),
        )
    return result
