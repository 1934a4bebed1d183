"""Charging ATen ops to nodes: the dispatch mode that counts, and meta fast paths.

PyTorch computes the meta results of many ops (element-wise arithmetic, activations, norms,
pooling) through Python reference implementations that take 20-600 µs a call, far more than the
bookkeeping around them. Two fast paths avoid them on meta, charging the registry's cost all the
same:

* an op whose result is trivially shaped like its input is answered directly;
* an op that returns fresh tensors (no aliasing, no mutation) is remembered by its arguments'
  metadata (shapes, strides, dtypes and the other arguments): the same call later in the pass
  (the next of 12 identical blocks) gets new empty tensors with the remembered metadata and the
  remembered cost, without running the meta kernel again. On meta a result's metadata is all
  there is, and it depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from torchscope import costs
from torchscope.trace.values import meta_like

if TYPE_CHECKING:
    from torchscope.trace.recorder import Recorder


def _meta_batch_norm(
    args: tuple[object, ...], kwargs: Mapping[str, object]
) -> tuple[torch.Tensor, costs.OpCost] | None:
    """``F.batch_norm`` on meta: the same output, without the slow Python meta kernel.

    PyTorch computes BatchNorm's meta result through a Python decomposition that costs more
    than the rest of a ResNet's meta pass together; the output is simply shaped like the input.
    The cost charged is the registry's for ``native_batch_norm``: one FLOP per element.
    """
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or x.device.type != "meta" or x.dim() < 2:
        return None
    # statistics and affine parameters of the wrong size are an error the real kernel reports:
    # leave those calls to it
    per_channel = [*args[1:5], *(kwargs.get(k) for k in ("running_mean", "running_var", "weight", "bias"))]
    if any(isinstance(t, torch.Tensor) and t.numel() != x.shape[1] for t in per_channel):
        return None
    return meta_like(x), costs.OpCost(flops=x.numel())


META_SHORTCUTS: dict[
    object, Callable[[tuple[object, ...], Mapping[str, object]], tuple[torch.Tensor, costs.OpCost] | None]
] = {
    torch.nn.functional.batch_norm: _meta_batch_norm,
}


class CostCounter(TorchDispatchMode):  # type: ignore[no-untyped-call]  # untyped in torch
    """Sees every ATen op of the pass and charges its cost to the recorder's current node."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # untyped in torch
        self.recorder = recorder
        # (op, arguments' metadata) → (each result's shape, strides, dtype; its cost), this pass only
        self.memo: dict[tuple[object, ...], tuple[list[_Spec], costs.OpCost]] = {}

    def __torch_dispatch__(
        self,
        func: Any,  # noqa: ANN401  # an ATen OpOverload
        types: object,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the op returns
        del types
        kwargs = kwargs or {}
        key = _memo_key(func, args, kwargs)
        if key is not None and (known := self.memo.get(key)) is not None:
            specs, cost = known
            self.recorder.charge(func, cost)
            made = [torch.empty_strided(*spec[:2], dtype=spec[2], device="meta") for spec in specs]
            return made[0] if len(made) == 1 else tuple(made)
        _check_operand_dtypes(func, args)
        out = _meta_unary(func, args)
        if out is None:
            out = _meta_binary(func, args)
        if out is None:
            out = _kernel(func, args, kwargs)
        cost = costs.cost_of(func, args, kwargs, out)
        if key is not None and (made_specs := _specs(out, args)) is not None:
            self.memo[key] = (made_specs, cost)
        self.recorder.charge(func, cost)
        return out


def _kernel(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:  # noqa: ANN401  # an ATen op
    # its own frame, so that a profile shows what the real (or meta) kernels cost
    return func(*args, **kwargs)


_Spec = tuple[tuple[int, ...], tuple[int, ...], torch.dtype]
_FRESH: dict[object, bool] = {}  # OpOverload → whether it returns only fresh tensors
# argument types whose value, with its type, is its whole key (1, 1.0 and True differ in result dtype)
_PLAIN = frozenset(
    {int, float, bool, str, type(None), torch.dtype, torch.device, torch.memory_format, torch.layout}
)


_NO_KEY = object()  # an argument whose metadata is not known to be all that matters


def _memo_key(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[object, ...] | None:  # noqa: ANN401
    """Return the call's metadata when its results can be remembered (fresh tensors from meta inputs)."""
    fresh = _FRESH.get(func)
    if fresh is None:
        fresh = _FRESH[func] = _returns_fresh_tensors(func)
    if not fresh or not _has_tensor(args):
        return None
    arguments = _key(args)
    options = _key(tuple(kwargs.items())) if kwargs else None
    if arguments is _NO_KEY or options is _NO_KEY:
        return None
    return (func, arguments, options)


def _returns_fresh_tensors(func: Any) -> bool:  # noqa: ANN401  # an ATen OpOverload
    schema = getattr(func, "_schema", None)
    if schema is None or schema.is_mutable or not schema.returns:
        return False
    return all(isinstance(r.type, torch.TensorType) and r.alias_info is None for r in schema.returns)


def _key(value: object) -> object:
    kind = type(value)
    if kind is torch.Tensor or kind is torch.nn.Parameter:
        tensor: torch.Tensor = value  # type: ignore[assignment]  # checked just above
        if tensor.device.type != "meta" or tensor.layout != torch.strided or tensor.is_complex():
            return _NO_KEY
        return (tensor.shape, tensor.stride(), tensor.dtype)
    if kind in _PLAIN:
        return (kind, value)
    if kind is tuple or kind is list:
        keys = []
        for item in value:  # type: ignore[attr-defined]  # a tuple or list
            key = _key(item)
            if key is _NO_KEY:
                return _NO_KEY
            keys.append(key)
        return (kind, tuple(keys))
    return _NO_KEY


def _has_tensor(args: tuple[Any, ...]) -> bool:
    # a factory's result depends on global defaults (the default dtype): only ops on tensors
    return any(
        isinstance(a, torch.Tensor)
        or (isinstance(a, list | tuple) and any(isinstance(t, torch.Tensor) for t in a))
        for a in args
    )


def _specs(out: object, args: tuple[Any, ...]) -> list[_Spec] | None:
    """Each result's metadata, or None when the results are not plain new meta tensors."""
    results = list(out) if isinstance(out, tuple | list) else [out]
    specs: list[_Spec] = []
    for result in results:
        if type(result) is not torch.Tensor or result.device.type != "meta" or result.storage_offset() != 0:
            return None
        # a kernel that hands an input back is not making a fresh tensor, whatever its schema says
        if any(result is a for a in args):
            return None
        specs.append((tuple(result.shape), result.stride(), result.dtype))
    return specs


def _check_operand_dtypes(func: Any, args: tuple[Any, ...]) -> None:  # noqa: ANN401  # an ATen op
    """Refuse, on meta, the mixed-dtype matmuls and convolutions that real kernels refuse.

    The meta kernels of ``mm``, ``addmm``, ``convolution``... only check shapes: an ``int64``
    input to a float ``Linear`` would trace on meta, although no real run can do it. Raising the
    error the real kernel would raise keeps a meta trace honest about what the model can run.
    """
    positions = _SAME_DTYPE_OPERANDS.get(str(getattr(func, "overloadpacket", "")))
    if positions is None:
        return
    first, second = (args[i] if i < len(args) else None for i in positions)
    if (
        isinstance(first, torch.Tensor)
        and isinstance(second, torch.Tensor)
        and first.device.type == "meta"
        and first.dtype != second.dtype
    ):
        a, b = (str(t.dtype).removeprefix("torch.") for t in (first, second))
        raise RuntimeError(
            f"{func.overloadpacket}: expected both operands to have the same dtype, but got {a} and {b}"
        )


# matmul- and convolution-like ops: the argument positions whose dtypes the real kernels require equal
_SAME_DTYPE_OPERANDS = {
    "aten.mm": (0, 1),
    "aten.bmm": (0, 1),
    "aten.mv": (0, 1),
    "aten.dot": (0, 1),
    "aten.addmm": (1, 2),
    "aten.baddbmm": (1, 2),
    "aten.addbmm": (1, 2),
    "aten.addmv": (1, 2),
    "aten.convolution": (0, 1),
    "aten._convolution": (0, 1),
}


def _meta_unary(func: Any, args: tuple[Any, ...]) -> torch.Tensor | None:  # noqa: ANN401  # an ATen op
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


def _meta_binary(func: Any, args: tuple[Any, ...]) -> torch.Tensor | None:  # noqa: ANN401  # an ATen op
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
