"""Whole-function meta shortcuts for the norms: ``F.batch_norm`` and ``F.layer_norm``.

Their meta kernels are PyTorch's slowest Python decompositions (``native_batch_norm`` ~600 µs a
call); the output is shaped like the input. The rules are those of :mod:`.shortcuts`: plain meta
tensors and plainly valid arguments only, the registry's cost of the ATen op reached, anything
else declined to PyTorch's own kernel. Tested in ``tests/test_shortcuts.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F  # noqa: N812  # torch's own spelling

from torchscope import costs
from torchscope.trace.shortcuts import FLOATS, Answer, Shortcut, bind, dense, empty, layout, plain

_aten = torch.ops.aten


def _batch_norm(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``F.batch_norm``: the output is shaped like the input; the cost is ``native_batch_norm``'s."""
    given = {**dict(zip(_BATCH_NORM_ARGS, args, strict=False)), **kwargs}
    x = given.get("input")
    if not plain(x) or x.dim() < 2:  # type: ignore[attr-defined]
        return None
    # statistics and affine parameters of the wrong size are an error the real kernel reports:
    # leave those calls to it
    per_channel = [given.get(k) for k in _PER_CHANNEL]
    if any(isinstance(t, torch.Tensor) and t.numel() != x.shape[1] for t in per_channel):  # type: ignore[attr-defined]
        return None
    # evaluation needs running statistics, and eps is checked by F.batch_norm after we are asked
    eps = given.get("eps", 1e-5)
    if (
        given.get("training", False) is not False
        or given.get("running_mean") is None
        or given.get("running_var") is None
    ):
        return None
    if type(eps) not in (int, float) or eps < 0:  # type: ignore[operator]
        return None
    strides = layout(x)  # type: ignore[arg-type]
    if strides is None:
        return None
    out = empty(tuple(x.shape), x.dtype, strides)  # type: ignore[attr-defined]
    op = _aten.native_batch_norm.default
    # the ATen op's own argument order: input, weight, bias, running_mean, running_var, ...
    native = tuple(given.get(k, _BATCH_NORM_DEFAULTS.get(k)) for k in _NATIVE_BATCH_NORM_ARGS)
    return out, op, costs.cost_of(op, native, {}, (out,))


_BATCH_NORM_ARGS = ("input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps")
_NATIVE_BATCH_NORM_ARGS = (
    "input", "weight", "bias", "running_mean", "running_var", "training", "momentum", "eps",
)  # fmt: skip
_BATCH_NORM_DEFAULTS: dict[str, object] = {"training": False, "momentum": 0.1, "eps": 1e-5}
_PER_CHANNEL = ("running_mean", "running_var", "weight", "bias")


def _layer_norm(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:  # noqa: PLR0911
    """``F.layer_norm`` of a contiguous float tensor over its last dims: ``native_layer_norm``'s output."""
    names = ("input", "normalized_shape", "weight", "bias", "eps")
    given = bind(args, kwargs, names, {"weight": None, "bias": None, "eps": 1e-5})
    if given is None:
        return None
    x, normalized = given["input"], given["normalized_shape"]
    if not plain(x) or x.dtype not in FLOATS or not dense(x) or type(given["eps"]) not in (int, float):  # type: ignore[arg-type, attr-defined]
        return None
    if type(normalized) not in (tuple, list, torch.Size) or not normalized:
        return None
    shape = tuple(x.shape)  # type: ignore[attr-defined]
    last: tuple[int, ...] = tuple(normalized)  # type: ignore[arg-type]  # checked above
    if (
        len(last) > len(shape)
        or shape[len(shape) - len(last) :] != last
        or not all(type(n) is int for n in last)
    ):
        return None
    for affine in (given["weight"], given["bias"]):
        if affine is None:
            continue
        if not isinstance(affine, torch.Tensor) or not plain(affine) or affine.dtype != x.dtype:  # type: ignore[attr-defined]
            return None
        if tuple(affine.shape) != last:
            return None
    out = empty(shape, x.dtype)  # type: ignore[attr-defined]
    op = _aten.native_layer_norm.default
    return (
        out,
        op,
        costs.cost_of(op, (x, list(last), given["weight"], given["bias"], given["eps"]), {}, (out,)),
    )


NORMS: dict[object, Shortcut] = {F.batch_norm: _batch_norm, F.layer_norm: _layer_norm}
