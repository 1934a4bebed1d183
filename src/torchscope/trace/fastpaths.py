"""Meta fast paths: shape answers of ours for common ops whose meta kernels are slow Python code.

PyTorch computes the meta results of many ops (element-wise arithmetic, activations, norms,
pooling) through Python reference implementations that take 20-600 µs a call, far more than the
bookkeeping around them. Where the result is plainly shaped like an input, these answer it
directly; the cost charged is still the registry's (:mod:`torchscope.costs`), so a fast path
changes the time a trace takes, never what it counts. Each answer is tested against PyTorch's own
meta kernel (``tests/test_costing.py``).

* :data:`META_SHORTCUTS`: torch functions answered before they reach ATen (convolutions,
  ``F.linear``, norms, pooling, activations, arithmetic, views: :mod:`.shortcuts`; indexing,
  ``cat``, powers, means and casts: :mod:`.shortcuts_sequence`), each naming
  the ATen op whose registry cost it charges;
* :func:`meta_unary` and :func:`meta_binary`: ATen-level answers for activations and arithmetic.
"""

from __future__ import annotations

from typing import Any

import torch

from torchscope.trace.shortcuts import SHORTCUTS, Answer, Shortcut
from torchscope.trace.shortcuts_norms import NORMS
from torchscope.trace.shortcuts_sequence import SEQUENCE_SHORTCUTS
from torchscope.trace.values import meta_like

# torch functions answered whole, before they reach ATen (see :mod:`.shortcuts`)
META_SHORTCUTS: dict[object, Shortcut] = {**SHORTCUTS, **NORMS, **SEQUENCE_SHORTCUTS}
__all__ = ["META_SHORTCUTS", "Answer", "Shortcut", "meta_binary", "meta_unary"]


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
