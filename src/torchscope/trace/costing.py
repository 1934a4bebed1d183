"""Charging ATen ops to nodes: the dispatch mode that counts, and meta fast paths.

PyTorch computes the meta results of some ops through Python reference implementations that cost
more than the rest of a meta pass; where the result is trivially shaped like the input, it is made
directly and the registry's cost is charged all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from torchscope import costs

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
    return torch.empty_like(x), costs.OpCost(flops=x.numel())


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

    def __torch_dispatch__(
        self,
        func: Any,  # noqa: ANN401  # an ATen OpOverload
        types: object,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the op returns
        del types
        kwargs = kwargs or {}
        _check_operand_dtypes(func, args)
        out = _meta_unary(func, args)
        if out is None:
            out = func(*args, **kwargs)
        self.recorder.charge(func, costs.cost_of(func, args, kwargs, out))
        return out


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
    if name.rstrip("_") not in _UNARY_SAME_DTYPE or x.dtype.is_complex:
        return None
    return x if name.endswith("_") else torch.empty_like(x)


# element-wise ops whose result has exactly their first input's shape and dtype
_UNARY_SAME_DTYPE = frozenset({
    "relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "silu", "gelu", "sigmoid", "tanh", "elu",
    "selu", "celu", "leaky_relu", "mish", "softplus", "clamp", "clamp_min", "clamp_max", "neg", "exp",
    "log", "sqrt", "rsqrt", "reciprocal",
})  # fmt: skip
