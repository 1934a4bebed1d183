"""Whole-function meta shortcuts for what a transformer block calls besides its layers.

Rotary embeddings slice, negate and concatenate; RMSNorm squares, averages, takes a reciprocal
square root and casts; attention scales and softmaxes. On meta each of these reached PyTorch's
Python reference kernels through the cost counter's dispatch mode (30-400 µs a call). The rules
are those of :mod:`.shortcuts`: plain meta tensors that need no grad, plainly valid arguments,
results laid out as PyTorch lays them out, and the registry cost of the ATen op the call reaches;
anything else is declined and runs as before. ``tests/test_shortcuts.py`` compares each answer
with PyTorch's meta kernel over randomised calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import torch

from torchscope import costs
from torchscope.trace import shapes
from torchscope.trace.shortcuts import (
    FLOATS,
    Answer,
    Shortcut,
    bind,
    dense,
    elementwise_layout,
    empty,
    plain,
    row_major,
)

_aten = torch.ops.aten
_INDEX_TYPES = (int, slice, type(None), type(Ellipsis))


def _basic_index(index: object) -> bool:
    """Tell an index made of ints, slices of ints, ``None`` and ``...`` (a view, never a gather)."""
    parts = cast("tuple[object, ...]", index) if type(index) is tuple else (index,)
    for part in parts:
        if type(part) not in _INDEX_TYPES:  # a bool, a tensor or a list index gathers
            return False
        if type(part) is slice and not all(
            type(b) in (int, type(None)) for b in (part.start, part.stop, part.step)
        ):
            return False
    return True


def _getitem(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``x[..., :n]``, ``x[0]``, ``x[:, None]``: PyTorch's own C++ views, past the dispatch mode."""
    if len(args) != 2 or kwargs or not plain(args[0]) or not _basic_index(args[1]):
        return None
    with torch._C._DisableTorchDispatch():  # noqa: SLF001  # slice/select/unsqueeze: C++, free
        result = cast("torch.Tensor", args[0])[cast("Any", args[1])]  # checked: plain, basic
    return result, _aten.slice.Tensor, costs.ZERO


def _cat(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``torch.cat`` of row-major float tensors (or slices of them) of one dtype and rank: contiguous."""
    given = bind(args, kwargs, ("tensors", "dim"), {"dim": 0})
    if given is None:
        return None
    tensors, dim = given["tensors"], given["dim"]
    if type(tensors) not in (tuple, list) or not tensors or type(dim) is not int:
        return None
    shape = _joined_shape(tensors, dim)  # type: ignore[arg-type]  # a tuple or list, checked above
    if shape is None:
        return None
    out = empty(shape, tensors[0].dtype)  # type: ignore[index]
    return out, _CAT, costs.cost_of(_CAT, (list(tensors), dim), {}, out)  # type: ignore[call-overload]


def _joined_shape(tensors: list[object] | tuple[object, ...], dim: int) -> tuple[int, ...] | None:
    """Return the shape of ``cat(tensors, dim)``, for non-empty dense tensors agreeing on all else."""
    first = tensors[0]
    if not plain(first) or first.dtype not in FLOATS or first.dim() == 0:  # type: ignore[attr-defined]
        return None
    rank, dtype = first.dim(), first.dtype  # type: ignore[attr-defined]
    if not -rank <= dim < rank:
        return None
    axis = dim % rank
    sizes = []
    for t in tensors:
        if not plain(t) or t.dtype != dtype or t.dim() != rank or not row_major(t):  # type: ignore[attr-defined, arg-type]
            return None
        sizes.append(tuple(t.shape))  # type: ignore[attr-defined]
    rest = sizes[0][:axis] + sizes[0][axis + 1 :]
    if any(s[:axis] + s[axis + 1 :] != rest for s in sizes) or min(map(min, sizes)) < 1:
        return None
    return (*sizes[0][:axis], sum(s[axis] for s in sizes), *sizes[0][axis + 1 :])


_CAT = _aten.cat.default


def _pow(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``x ** 2``, ``x.pow(0.5)``: a float tensor to a Python number, laid out like it."""
    if len(args) != 2 or kwargs:
        return None
    x, exponent = args
    if not plain(x) or x.dtype not in FLOATS or type(exponent) not in (int, float):  # type: ignore[attr-defined]
        return None
    strides = elementwise_layout(x)  # type: ignore[arg-type]
    if strides is None:
        return None
    out = empty(tuple(x.shape), x.dtype, strides)  # type: ignore[attr-defined]
    return out, _POW, costs.cost_of(_POW, (x, exponent), {}, out)


_POW = _aten.pow.Tensor_Scalar


def _mean(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``x.mean(-1, keepdim=True)``: a mean over named dims of a dense float tensor, contiguous."""
    given = bind(args, kwargs, ("input", "dim", "keepdim", "dtype"), {"keepdim": False, "dtype": None})
    if given is None or given["dtype"] is not None or type(given["keepdim"]) is not bool:
        return None
    x, dim = given["input"], given["dim"]
    if not plain(x) or x.dtype not in FLOATS or x.dim() == 0 or not dense(x):  # type: ignore[attr-defined, arg-type]
        return None
    shape = tuple(x.shape)  # type: ignore[attr-defined]
    dims = shapes.reduced_dims(dim, len(shape))
    if dims is None or min(shape) < 1:
        return None
    if given["keepdim"]:
        kept = tuple(1 if i in dims else s for i, s in enumerate(shape))
    else:
        kept = tuple(s for i, s in enumerate(shape) if i not in dims)
    out = empty(kept, x.dtype)  # type: ignore[attr-defined]
    native = (x, [dim] if type(dim) is int else list(cast("list[int]", dim)), given["keepdim"])
    return out, _MEAN, costs.cost_of(_MEAN, native, {}, out)


_MEAN = _aten.mean.dim


def _to_dtype(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``x.to(torch.float32)`` between float dtypes: ``x`` itself, or a copy laid out like it."""
    if len(args) != 2 or kwargs or type(args[1]) is not torch.dtype:
        return None
    x, dtype = args
    if not plain(x) or x.dtype not in FLOATS or dtype not in FLOATS:  # type: ignore[attr-defined]
        return None
    if dtype == x.dtype:  # type: ignore[attr-defined]
        return x, _TO_COPY, costs.ZERO  # PyTorch returns the tensor itself, reaching no op
    strides = elementwise_layout(x)  # type: ignore[arg-type]
    if strides is None:
        return None
    out = empty(tuple(x.shape), dtype, strides)  # type: ignore[attr-defined]
    return out, _TO_COPY, costs.cost_of(_TO_COPY, (x,), {"dtype": dtype}, out)


_TO_COPY = _aten._to_copy.default  # noqa: SLF001  # the op Tensor.to reaches


SEQUENCE_SHORTCUTS: dict[object, Shortcut] = {
    torch.Tensor.__getitem__: _getitem,
    torch.cat: _cat,
    torch.concat: _cat,
    torch.concatenate: _cat,
    torch.Tensor.pow: _pow,
    torch.Tensor.__pow__: _pow,
    torch.pow: _pow,
    torch.Tensor.mean: _mean,
    torch.mean: _mean,
    torch.Tensor.to: _to_dtype,
}
