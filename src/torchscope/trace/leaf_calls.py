"""A first, narrow tracer: the leaf-module calls of one forward pass, in call order.

This is the foundation slice. It records every call of a leaf module (a module without
children) with the shapes and dtypes that crossed it, and links two calls when one call's
output tensor is the very tensor another call receives. Functional ops between modules
(``torch.flatten``, ``+``) are not seen yet, so such links are missing rather than invented.
The full tracer (module hierarchy, functional ops, ATen costs) replaces this module.

The pass runs on the ``meta`` device through :func:`torch.func.functional_call` with meta
stand-ins for every parameter and buffer, so the user's model is never moved, copied or
changed and no memory is spent on weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


@dataclass(frozen=True)
class TensorInfo:
    """Shape and dtype of one tensor seen during the pass."""

    shape: tuple[int, ...]
    dtype: str


@dataclass
class LeafCall:
    """One call of a leaf module."""

    id: str
    path: str
    type_name: str
    repr: str
    params: int
    params_trainable: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    # (producer call id or graph-input id, input position) for each input this call received
    sources: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class LeafTrace:
    """Everything one pass recorded, as plain data."""

    model_name: str
    input_shapes: list[tuple[int, ...]]
    dtype: str
    calls: list[LeafCall]
    module_types: dict[str, str]  # module path → class name, for every named module
    total_params: int  # unique parameters of the whole model: tied weights count once
    total_params_trainable: int


def record_leaf_calls(
    model: nn.Module, input_shapes: Sequence[Sequence[int]], dtype: torch.dtype = torch.float32
) -> LeafTrace:
    """Run ``model`` once on meta tensors of ``input_shapes`` and record its leaf-module calls."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shapes = [tuple(int(d) for d in s) for s in input_shapes]
    for i, shape in enumerate(shapes):
        if any(d <= 0 for d in shape):
            raise ValueError(f"input_shape[{i}] = {list(shape)} has a zero or negative dimension")

    paths: dict[int, str] = {}
    # counted on the real parameters before the pass: inside it they are swapped for meta
    # stand-ins, which do not carry requires_grad
    owned: dict[int, tuple[int, int]] = {}
    for name, module in model.named_modules():
        paths.setdefault(id(module), name)
        params = list(module.parameters(recurse=False))
        owned[id(module)] = (
            sum(p.numel() for p in params),
            sum(p.numel() for p in params if p.requires_grad),
        )
    call_counts: dict[str, int] = {}
    calls: list[LeafCall] = []
    producers: dict[int, str] = {}  # id(tensor) → call id that produced it
    alive: list[torch.Tensor] = []  # keeps ids unique for the length of the pass

    inputs = [torch.empty(s, dtype=dtype, device="meta") for s in shapes]
    for i, tensor in enumerate(inputs):
        producers[id(tensor)] = f"input#{i}" if len(inputs) > 1 else "input"

    def on_forward(module: nn.Module, args: tuple[object, ...], output: object) -> None:
        if next(module.children(), None) is not None or id(module) not in paths:
            return
        path = paths[id(module)] or type(module).__name__
        count = call_counts[path] = call_counts.get(path, 0) + 1
        call_id = path if count == 1 else f"{path}#{count}"
        in_tensors = _tensors(args)
        out_tensors = _tensors(output)
        sources = [(producers[id(t)], pos) for pos, t in enumerate(in_tensors) if id(t) in producers]
        calls.append(
            LeafCall(
                id=call_id,
                path=path,
                type_name=type(module).__name__,
                repr=repr(module),
                params=owned[id(module)][0],
                params_trainable=owned[id(module)][1],
                inputs=[_info(t) for t in in_tensors],
                outputs=[_info(t) for t in out_tensors],
                sources=sources,
            )
        )
        for t in out_tensors:
            producers[id(t)] = call_id
            alive.append(t)

    stand_ins = {
        name: torch.empty_like(value, device="meta")
        for name, value in [*model.named_parameters(), *model.named_buffers()]
    }
    handle: RemovableHandle = nn.modules.module.register_module_forward_hook(on_forward)
    try:
        with torch.no_grad():
            torch.func.functional_call(model, stand_ins, tuple(inputs))
    finally:
        handle.remove()
    return LeafTrace(
        model_name=type(model).__name__,
        input_shapes=shapes,
        dtype=str(dtype).removeprefix("torch."),
        calls=calls,
        module_types={name: type(m).__name__ for name, m in model.named_modules()},
        # parameters() yields each tensor once, so weights tied between modules count once
        total_params=sum(p.numel() for p in model.parameters()),
        total_params_trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
    )


def _tensors(value: object) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []


def _info(tensor: torch.Tensor) -> TensorInfo:
    return TensorInfo(tuple(tensor.shape), str(tensor.dtype).removeprefix("torch."))
