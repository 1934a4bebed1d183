"""Meta fast paths: shape answers of ours for common ops whose meta kernels are slow Python code.

PyTorch computes the meta results of many ops (element-wise arithmetic, activations, norms,
pooling) through Python reference implementations that take 20-600 µs a call, far more than the
bookkeeping around them. Where the result is plainly shaped like an input, these answer it
directly; the cost charged is still the registry's (:mod:`torchscope.costs`), so a fast path
changes the time a trace takes, never what it counts. Each answer is tested against PyTorch's own
meta kernel (``tests/test_costing.py``).

* :data:`META_SHORTCUTS`: torch functions answered before they reach ATen (``F.batch_norm``),
  each naming the ATen op whose registry cost it charges;
* :func:`meta_unary` and :func:`meta_binary`: ATen-level answers for activations and arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchscope import costs
from torchscope.trace.values import meta_like

_aten = torch.ops.aten

# (the result, the ATen op it stands for, that op's registry cost), or None: not answered here
Answer = tuple[torch.Tensor, object, costs.OpCost]
Shortcut = Callable[[tuple[object, ...], Mapping[str, object]], Answer | None]


def _meta_batch_norm(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``F.batch_norm`` on meta: the same output, without the slow Python meta kernel.

    PyTorch computes BatchNorm's meta result through a Python decomposition that costs more
    than the rest of a ResNet's meta pass together; the output is simply shaped like the input.
    The cost is what the registry charges the ATen op the call reaches, ``native_batch_norm``.
    """
    given = {**dict(zip(_BATCH_NORM_ARGS, args, strict=False)), **kwargs}
    x = given.get("input")
    if not isinstance(x, torch.Tensor) or x.device.type != "meta" or x.dim() < 2:
        return None
    # statistics and affine parameters of the wrong size are an error the real kernel reports:
    # leave those calls to it
    per_channel = [given.get(k) for k in _PER_CHANNEL]
    if any(isinstance(t, torch.Tensor) and t.numel() != x.shape[1] for t in per_channel):
        return None
    out = meta_like(x)
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


META_SHORTCUTS: dict[object, Shortcut] = {
    torch.nn.functional.batch_norm: _meta_batch_norm,
}


def meta_unary(func: Any, args: tuple[Any, ...]) -> torch.Tensor | None:  # noqa: ANN401  # an ATen op
    """Return an element-wise activation's result on meta, without its slow Python meta kernel.

    PyTorch computes the meta result of ops such as ``hardswish`` or ``clamp`` through Python
    reference implementations, which cost more than everything else in a MobileNet's meta pass.
    Their result has the input's shape, dtype and layout: in place, it is the input itself.
    """
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or x.device.type != "meta":
        return None
    name = str(getattr(func, "overloadpacket", "")).removeprefix("aten.")
    # integer inputs promote to float in some of them (exp, sigmoid): those take the real kernel
    if name.rstrip("_") not in _UNARY_SAME_DTYPE or not x.dtype.is_floating_point:
        return None
    return x if name.endswith("_") else meta_like(x)


def meta_binary(func: Any, args: tuple[Any, ...]) -> torch.Tensor | None:  # noqa: ANN401  # an ATen op
    """Return ``x + y``, ``x * y``... on meta when the result is plainly shaped like ``x``.

    The meta kernels of element-wise arithmetic run Python reference code for broadcasting, type
    promotion and output strides (~100 µs a call: the residual adds and squeeze-excitation
    products of a mobile network). When ``x`` is a contiguous float tensor, and ``y`` a number or
    a contiguous tensor of ``x``'s dtype that broadcasts to ``x``'s shape, none of that can
    change anything: the result is a contiguous tensor shaped like ``x`` (``x`` itself in place).
    """
    if len(args) < 2 or str(getattr(func, "overloadpacket", "")).removeprefix("aten.") not in _BINARY:
        return None
    x, y = args[0], args[1]
    if (
        type(x) is not torch.Tensor
        or x.device.type != "meta"
        or not x.dtype.is_floating_point
        or x.stride() != _contiguous_strides(x.shape)
    ):
        return None
    if isinstance(y, torch.Tensor):
        if (
            y.device.type != "meta"
            or y.dtype != x.dtype
            or not y.is_contiguous()
            or torch.broadcast_shapes(x.shape, y.shape) != x.shape  # type: ignore[no-untyped-call]
        ):
            return None
    elif type(y) not in (int, float):
        return None
    return x if func.overloadpacket.__name__.endswith("_") else meta_like(x)


def _contiguous_strides(shape: torch.Size) -> tuple[int, ...]:
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


# element-wise arithmetic of two operands, in place or not
_BINARY = frozenset({"add", "sub", "mul", "div", "add_", "sub_", "mul_", "div_"})


# element-wise ops whose result has exactly their first input's shape and dtype
_UNARY_SAME_DTYPE = frozenset({
    "relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "silu", "gelu", "sigmoid", "tanh", "elu",
    "selu", "celu", "leaky_relu", "mish", "softplus", "clamp", "clamp_min", "clamp_max", "neg", "exp",
    "log", "sqrt", "rsqrt", "reciprocal",
})  # fmt: skip
