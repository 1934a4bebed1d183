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
    del kwargs
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or x.device.type != "meta" or x.dim() < 2:
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
        out = _meta_unary(func, args)
        if out is None:
            out = func(*args, **kwargs)
        self.recorder.charge(func, costs.cost_of(func, args, kwargs, out))
        return out


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
