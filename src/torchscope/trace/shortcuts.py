"""Whole-function meta shortcuts: torch functions answered before they reach ATen.

On torch 2.14 most meta kernels are Python reference code (a convolution ~80 µs, ``relu``
~250 µs, ``batch_norm`` ~600 µs a call), and every ATen call that reaches the cost counter's
dispatch mode pays ~15 µs more to enter Python. The recorder's torch-function mode sees a call
first, for ~2 µs: where the call is a common op on plain meta tensors with plainly valid
arguments, a shortcut here answers it with an empty meta tensor of the right shape, dtype and
strides (:mod:`.shapes`), and charges the registry's cost (:func:`torchscope.costs.cost_of`) of
the very ATen op the call would have reached, so what is counted never changes.

Anything unusual (a tensor subclass, a tensor that needs grad, a real device, an integer dtype,
an argument of an unexpected type, a size that would not fit) is declined with None: the call
then runs as before, through PyTorch's own kernels, which raise their own errors. So a meta pass
fails exactly where it did. ``tests/test_shortcuts.py`` compares each answer with PyTorch's
meta kernel over randomised arguments, and traces with the shortcuts on and off.

Views and reshapes have fast C++ meta kernels and cost nothing: those run as they are, past the
dispatch mode (:func:`_free`), so that only the entry into Python is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812  # torch's own spelling

from torchscope import costs
from torchscope.trace import shapes

_aten = torch.ops.aten

# (the result, the ATen op it stands for, that op's registry cost), or None: not answered here
Answer = tuple[Any, object, costs.OpCost]
Shortcut = Callable[[tuple[object, ...], Mapping[str, object]], Answer | None]
FLOATS = frozenset({torch.float32, torch.float64, torch.float16, torch.bfloat16})


def plain(value: object) -> bool:
    """Tell a plain meta tensor that needs no grad: the only kind a shortcut answers for."""
    return (
        type(value) in _PLAIN_TYPES
        and value.is_meta  # type: ignore[attr-defined]  # a tensor, checked above
        and not value.requires_grad  # type: ignore[attr-defined]
    )


_PLAIN_TYPES = (torch.Tensor, torch.nn.Parameter)


def empty(shape: tuple[int, ...], dtype: torch.dtype, strides: tuple[int, ...] | None = None) -> torch.Tensor:
    """Make a meta tensor past the dispatch mode (which would add ~20 µs to say it costs 0)."""
    with torch._C._DisableTorchDispatch():  # noqa: SLF001  # the one switch torch offers for this
        if strides is None:
            return torch.empty(shape, dtype=dtype, device="meta")
        return torch.empty_strided(shape, strides, dtype=dtype, device="meta")


def layout(x: torch.Tensor) -> tuple[int, ...] | None:
    """Strides an element-wise result of ``x`` gets: ``x``'s when it is contiguous or channels-last."""
    strides = x.stride()
    shape = tuple(x.shape)
    if strides == shapes.contiguous_strides(shape):
        return strides
    if len(shape) == 4 and strides == shapes.channels_last_strides(shape):
        return strides
    return None


def elementwise_layout(x: torch.Tensor) -> tuple[int, ...] | None:
    """Return the strides an element-wise result of ``x`` alone gets, or None when unsure.

    :func:`layout`'s; for a :func:`row_major` slice with gaps (``x[..., :n]``), row-major
    strides of its own shape. A dense tensor with odd strides on its size-1 dims is left alone:
    some kernels keep those strides and some do not.
    """
    strides = layout(x)
    if strides is not None or not row_major(x):
        return strides
    shape = tuple(x.shape)
    span = 1 + sum((size - 1) * stride for size, stride in zip(shape, x.stride(), strict=True))
    return shapes.contiguous_strides(shape) if span > x.numel() else None


def row_major(x: torch.Tensor) -> bool:
    """Tell a tensor whose dims (those longer than one) have strictly falling positive strides.

    Such a tensor (dense, or a slice of a dense one) gives PyTorch's element-wise kernels and
    ``cat`` nothing to reorder: their results are contiguous.
    """
    previous = None
    for size, stride in zip(x.shape, x.stride(), strict=True):
        if size == 1:
            continue
        if stride < 1 or (previous is not None and stride >= previous):
            return False
        previous = stride
    return True


def bind(
    args: tuple[object, ...],
    kwargs: Mapping[str, object],
    names: tuple[str, ...],
    defaults: Mapping[str, object],
) -> dict[str, object] | None:
    """Name the arguments of a call; None for a call the signature does not fit (its own error)."""
    if len(args) > len(names):
        return None
    given = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in defaults or key in given:
            return None
        given[key] = value
    for key, value in defaults.items():
        given.setdefault(key, value)
    return given if len(given) == len(names) else None


def _conv(dims: int) -> Shortcut:
    """``torch.conv{1,2,3}d`` of a batched input: the shape of ``aten.convolution``'s contiguous result."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    defaults = {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}

    def answer(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
        given = bind(args, kwargs, names, defaults)
        if given is None:
            return None
        x, w, b = given["input"], given["weight"], given["bias"]
        if not (plain(x) and plain(w)) or x.dtype not in FLOATS or w.dtype != x.dtype or x.dim() != dims + 2:  # type: ignore[attr-defined]
            return None
        x_, w_ = tuple(x.shape), tuple(w.shape)  # type: ignore[attr-defined]
        if b is not None and not (plain(b) and b.dtype == x.dtype and tuple(b.shape) == w_[:1]):  # type: ignore[attr-defined]
            return None
        stride, padding, dilation = given["stride"], given["padding"], given["dilation"]
        shape = shapes.conv(x_, w_, stride, padding, dilation, given["groups"])
        if shape is None:
            return None
        out = empty(shape, x.dtype)  # type: ignore[attr-defined]
        native = (x, w, b, stride, padding, dilation, False, [0] * dims, given["groups"])
        return out, _CONVOLUTION, costs.cost_of(_CONVOLUTION, native, {}, out)

    return answer


_CONVOLUTION = _aten.convolution.default


def _linear(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:  # noqa: PLR0911  # one refusal per rule
    """``F.linear``: ``addmm`` (with a bias) or ``mm`` over the input's rows, as ATen folds it."""
    given = bind(args, kwargs, ("input", "weight", "bias"), {"bias": None})
    if given is None:
        return None
    x, w, b = given["input"], given["weight"], given["bias"]
    if not (plain(x) and plain(w)) or x.dtype not in FLOATS or w.dtype != x.dtype:  # type: ignore[attr-defined]
        return None
    if w.dim() != 2 or x.dim() < 2 or x.shape[-1] != w.shape[1] or min(x.shape) < 1:  # type: ignore[attr-defined]
        return None
    if x.dim() > 2 and not x.is_contiguous():  # type: ignore[attr-defined]
        return None  # ATen's own folding of a strided input: the kernel's business
    if b is not None and not (plain(b) and b.dtype == x.dtype and tuple(b.shape) == (w.shape[0],)):  # type: ignore[attr-defined]
        return None
    out = empty((*x.shape[:-1], w.shape[0]), x.dtype)  # type: ignore[attr-defined]
    with torch._C._DisableTorchDispatch():  # noqa: SLF001  # views for the formula only
        rows, columns = x.reshape(-1, x.shape[-1]), w.t()  # type: ignore[attr-defined]
    if b is None:
        return out, _MM, costs.cost_of(_MM, (rows, columns), {}, out)
    return out, _ADDMM, costs.cost_of(_ADDMM, (b, rows, columns), {}, out)


_MM, _ADDMM = _aten.mm.default, _aten.addmm.default


def _unary(op: Any, in_place: Any, names: tuple[str, ...] = ("input", "inplace")) -> Shortcut:  # noqa: ANN401
    """Answer an element-wise activation of a float tensor: laid out like it (it, in place)."""
    defaults: dict[str, object] = {"inplace": False} if "inplace" in names else {}
    if "approximate" in names:
        defaults["approximate"] = "none"

    def answer(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
        given = bind(args, kwargs, names, defaults)
        if given is None:
            return None
        x = given["input"]
        if not plain(x) or x.dtype not in FLOATS or given.get("approximate", "none") not in ("none", "tanh"):  # type: ignore[attr-defined]
            return None
        inplace = given.get("inplace", False)
        if inplace is True:
            return x, in_place, costs.cost_of(in_place, (x,), {}, x)
        strides = elementwise_layout(x)  # type: ignore[arg-type]
        if inplace is not False or strides is None:
            return None
        out = empty(tuple(x.shape), x.dtype, strides)  # type: ignore[attr-defined]
        return out, op, costs.cost_of(op, (x,), {}, out)

    return answer


def _binary(op: Any, *, in_place: bool) -> Shortcut:  # noqa: ANN401  # an ATen op
    """``x + y``, ``x * y``... where the result is plainly shaped like ``x`` or ``y``, contiguous.

    ``x`` is a contiguous float tensor and ``y`` a Python number, or a contiguous meta tensor of
    ``x``'s dtype where one of the two broadcasts to the other's shape: then neither broadcasting,
    type promotion nor layout can change anything.
    """

    def answer(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
        if len(args) != 2 or kwargs:
            return None
        x, y = args
        if not plain(x) or x.dtype not in FLOATS or not dense(x):  # type: ignore[arg-type, attr-defined]
            return None
        shape = tuple(x.shape)  # type: ignore[attr-defined]
        if isinstance(y, torch.Tensor):
            if not plain(y) or y.dtype != x.dtype or not dense(y):  # type: ignore[attr-defined]
                return None
            if not shapes.broadcasts_to(tuple(y.shape), shape):
                # ``scale * x`` (a squeeze-excitation): shaped like ``y``, but never in place
                if in_place or not shapes.broadcasts_to(shape, tuple(y.shape)):
                    return None
                shape = tuple(y.shape)
        elif type(y) not in (int, float):
            return None
        out = x if in_place else empty(shape, x.dtype)  # type: ignore[attr-defined]
        return out, op, costs.cost_of(op, (x, y), {}, out)

    return answer


def dense(x: torch.Tensor) -> bool:
    """Row-major strides exactly (``is_contiguous`` also takes any stride for a size-1 dimension)."""
    return x.stride() == shapes.contiguous_strides(tuple(x.shape))


def _adaptive_avg_pool2d(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``F.adaptive_avg_pool2d``: a mean over H and W for a 1×1 output (as ATen does), else the pool."""
    given = bind(args, kwargs, ("input", "output_size"), {})
    if given is None:
        return None
    x, size = given["input"], shapes.ints(given["output_size"], 2)
    if not plain(x) or x.dtype not in FLOATS or x.dim() not in (3, 4) or not x.is_contiguous():  # type: ignore[attr-defined]
        return None
    if size is None or min(size) < 1 or min(x.shape[-3:]) < 1:  # type: ignore[attr-defined]
        return None
    out = empty((*x.shape[:-2], *size), x.dtype)  # type: ignore[attr-defined]
    if size == (1, 1):
        return out, _MEAN, costs.cost_of(_MEAN, (x, [-1, -2], True), {}, out)
    return out, _ADAPTIVE, costs.cost_of(_ADAPTIVE, (x, list(size)), {}, out)


_MEAN, _ADAPTIVE = _aten.mean.dim, _aten._adaptive_avg_pool2d.default  # noqa: SLF001


def _max_pool2d(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``F.max_pool2d`` without indices: ``max_pool2d_with_indices``'s values, laid out like the input."""
    names = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
    defaults = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}
    given = bind(args, kwargs, names, defaults)
    if given is None or given["return_indices"] is not False:
        return None
    x = given["input"]
    if not plain(x) or x.dtype not in FLOATS:  # type: ignore[attr-defined]
        return None
    strides = layout(x)  # type: ignore[arg-type]
    kernel, stride, padding, dilation = (given[k] for k in names[1:5])
    shape = shapes.pool(tuple(x.shape), kernel, stride, padding, dilation, ceil_mode=given["ceil_mode"])  # type: ignore[attr-defined]
    if shape is None or strides is None:
        return None
    out = empty(shape, x.dtype, _like(strides, x, shape))  # type: ignore[arg-type, attr-defined]
    native = (x, kernel, stride or [], padding, dilation, given["ceil_mode"])
    return out, _MAX_POOL, costs.cost_of(_MAX_POOL, native, {}, (out, out))


def _avg_pool2d(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
    """``F.avg_pool2d`` without a divisor override, laid out like the input."""
    names = (
        "input",
        "kernel_size",
        "stride",
        "padding",
        "ceil_mode",
        "count_include_pad",
        "divisor_override",
    )
    defaults = {
        "stride": None,
        "padding": 0,
        "ceil_mode": False,
        "count_include_pad": True,
        "divisor_override": None,
    }
    given = bind(args, kwargs, names, defaults)
    if given is None or given["divisor_override"] is not None or type(given["count_include_pad"]) is not bool:
        return None
    x = given["input"]
    if not plain(x) or x.dtype not in FLOATS:  # type: ignore[attr-defined]
        return None
    strides = layout(x)  # type: ignore[arg-type]
    kernel, stride, padding = given["kernel_size"], given["stride"], given["padding"]
    shape = shapes.pool(tuple(x.shape), kernel, stride, padding, 1, ceil_mode=given["ceil_mode"])  # type: ignore[attr-defined]
    if shape is None or strides is None:
        return None
    out = empty(shape, x.dtype, _like(strides, x, shape))  # type: ignore[arg-type, attr-defined]
    native = (x, kernel, stride or [], padding, given["ceil_mode"], given["count_include_pad"], None)
    return out, _AVG_POOL, costs.cost_of(_AVG_POOL, native, {}, out)


_MAX_POOL, _AVG_POOL = _aten.max_pool2d_with_indices.default, _aten.avg_pool2d.default


def _like(strides: tuple[int, ...], x: torch.Tensor, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape``'s strides in ``x``'s layout (channels-last stays channels-last)."""
    if len(shape) == 4 and strides != shapes.contiguous_strides(tuple(x.shape)):
        return shapes.channels_last_strides(shape)
    return shapes.contiguous_strides(shape)


def _free(func: Callable[..., Any]) -> Shortcut:
    """Run a view or reshape of a plain meta tensor: PyTorch's own C++ kernel, past the dispatch mode.

    Every ATen op these reach (``view``, ``transpose``, ``permute``, ``_unsafe_view``, ``clone``...)
    moves no data and is free in the registry, so nothing is charged; the result, its strides and
    its ``_base`` are PyTorch's own.
    """

    def answer(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Answer | None:
        if not args or not plain(args[0]) or any(isinstance(a, torch.Tensor) for a in args[1:]):
            return None
        if any(isinstance(v, torch.Tensor) for v in kwargs.values()):
            return None
        with torch._C._DisableTorchDispatch():  # noqa: SLF001  # the kernel is C++; our mode adds only time
            result = func(*args, **kwargs)
        return result, _VIEW, costs.ZERO

    return answer


_VIEW = _aten.view.default


def _activations() -> dict[object, Shortcut]:
    table: dict[object, Shortcut] = {}
    with_inplace: tuple[tuple[object, str], ...] = (
        (F.relu, "relu"), (F.hardswish, "hardswish"), (F.hardsigmoid, "hardsigmoid"), (F.silu, "silu"),
        (F.relu6, "hardtanh"),
    )  # fmt: skip
    for func, name in with_inplace:
        table[func] = _unary(getattr(_aten, name).default, getattr(_aten, f"{name}_").default)
    plain_ones: tuple[tuple[object, str], ...] = (
        (torch.sigmoid, "sigmoid"), (torch.tanh, "tanh"), (torch.relu, "relu"), (torch.neg, "neg"),
        (torch.rsqrt, "rsqrt"), (torch.sqrt, "sqrt"), (torch.exp, "exp"), (torch.cos, "cos"),
        (torch.sin, "sin"),
    )  # fmt: skip
    for func, name in plain_ones:
        one = _unary(getattr(_aten, name).default, None, names=("input",))
        table[func] = one
        table[getattr(torch.Tensor, name)] = one
    table[torch.Tensor.__neg__] = table[torch.neg]
    table[F.gelu] = _unary(_aten.gelu.default, None, names=("input", "approximate"))
    return table


def _arithmetic() -> dict[object, Shortcut]:
    table: dict[object, Shortcut] = {}
    for name in ("add", "sub", "mul", "div"):
        op, in_place = getattr(_aten, name).Tensor, getattr(_aten, f"{name}_").Tensor
        fresh = _binary(op, in_place=False)
        for func in (getattr(torch.Tensor, name), getattr(torch.Tensor, f"__{name}__"), getattr(torch, name)):
            table[func] = fresh
        table[getattr(torch.Tensor, f"{name}_")] = _binary(in_place, in_place=True)
    table[torch.Tensor.__truediv__] = table[torch.Tensor.div]
    table[torch.Tensor.__radd__] = table[torch.Tensor.add]
    table[torch.Tensor.__rmul__] = table[torch.Tensor.mul]
    table[torch.Tensor.__iadd__] = table[torch.Tensor.add_]
    table[torch.Tensor.__imul__] = table[torch.Tensor.mul_]
    return table


_VIEWS = (
    torch.Tensor.view, torch.Tensor.reshape, torch.reshape, torch.Tensor.transpose, torch.transpose,
    torch.Tensor.permute, torch.permute, torch.Tensor.flatten, torch.flatten, torch.Tensor.unsqueeze,
    torch.unsqueeze, torch.Tensor.squeeze, torch.squeeze, torch.Tensor.expand, torch.Tensor.t, torch.t,
    torch.Tensor.contiguous,
)  # fmt: skip

SHORTCUTS: dict[object, Shortcut] = {
    torch.conv1d: _conv(1),
    torch.conv2d: _conv(2),
    torch.conv3d: _conv(3),
    F.linear: _linear,
    F.adaptive_avg_pool2d: _adaptive_avg_pool2d,
    F.max_pool2d: _max_pool2d,
    F.avg_pool2d: _avg_pool2d,
    **_activations(),
    **_arithmetic(),
    **{view: _free(view) for view in _VIEWS},
}
