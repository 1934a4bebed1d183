"""Charging ATen ops to nodes: the dispatch mode that sees every op and counts it.

Each op's cost comes from the registry (:mod:`torchscope.costs`) and goes to whatever
:class:`Charges` it was given (the recorder, which knows the node running now). On meta, two
things keep this fast without changing a count:

* an op whose result is trivially shaped like its input is answered by :mod:`.fastpaths`
  (and one whose meta kernel disagrees with the real ones is handled by :mod:`.metakernels`);
* an op that returns fresh tensors (no aliasing, no mutation) is remembered by its arguments'
  metadata (shapes, strides, dtypes and the other arguments): the same call later in the pass
  (the next of 12 identical blocks) gets new empty tensors with the remembered metadata and the
  remembered cost, without running the meta kernel again. On meta a result's metadata is all
  there is, and it depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from torchscope import costs
from torchscope.trace.estimates import Estimator
from torchscope.trace.fastpaths import meta_binary, meta_unary
from torchscope.trace.metakernels import check_operand_dtypes, run_kernel


class Charges(Protocol):
    """Where the ATen ops' costs go: the recorder, which knows the node running now."""

    def charge(self, func: object, cost: costs.OpCost, estimated: Sequence[str] = ()) -> None:
        """Charge one ATen call's cost, and the assumptions it rests on (none: it is exact)."""


class CostCounter(TorchDispatchMode):  # type: ignore[no-untyped-call]  # untyped in torch
    """Sees every ATen op of the pass and charges its cost to ``recorder``'s current node."""

    def __init__(self, recorder: Charges, estimator: Estimator | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # untyped in torch
        self.recorder = recorder
        # set for a meta pass over a model with no values: every op then goes through it
        self.estimator = estimator
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
        if self.estimator is not None:
            check_operand_dtypes(func, args)
            out, assumed = self.estimator.run(func, args, kwargs)
            self.recorder.charge(func, costs.cost_of(func, args, kwargs, out), assumed)
            return out
        key = _memo_key(func, args, kwargs)
        if key is not None and (known := self.memo.get(key)) is not None:
            specs, cost = known
            self.recorder.charge(func, cost)
            made = [torch.empty_strided(*spec[:2], dtype=spec[2], device="meta") for spec in specs]
            return made[0] if len(made) == 1 else tuple(made)
        check_operand_dtypes(func, args)
        out = meta_unary(func, args)
        if out is None:
            out = meta_binary(func, args)
        if out is None:
            out = _kernel(func, args, kwargs)
        cost = costs.cost_of(func, args, kwargs, out)
        if key is not None and (made_specs := _specs(out, args)) is not None:
            self.memo[key] = (made_specs, cost)
        self.recorder.charge(func, cost)
        return out


def _kernel(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:  # noqa: ANN401  # an ATen op
    # its own frame, so that a profile shows what the real (or meta) kernels cost
    return run_kernel(func, args, kwargs)


_Spec = tuple[tuple[int, ...], tuple[int, ...], torch.dtype]
_FRESH: dict[object, bool] = {}  # OpOverload → whether it returns only fresh tensors
# argument types whose value, with its type, is its whole key (1, 1.0 and True differ in result dtype)
_PLAIN = frozenset(
    {int, float, bool, str, type(None), torch.dtype, torch.device, torch.memory_format, torch.layout}
)


NO_KEY = object()  # an argument whose metadata is not known to be all that matters


def _memo_key(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[object, ...] | None:  # noqa: ANN401
    """Return the call's metadata when its results can be remembered (fresh tensors from meta inputs)."""
    fresh = _FRESH.get(func)
    if fresh is None:
        fresh = _FRESH[func] = _returns_fresh_tensors(func)
    if not fresh or not _has_tensor(args):
        return None
    arguments = metadata_key(args)
    options = metadata_key(tuple(kwargs.items())) if kwargs else None
    if arguments is NO_KEY or options is NO_KEY:
        return None
    return (func, arguments, options)


def _returns_fresh_tensors(func: Any) -> bool:  # noqa: ANN401  # an ATen OpOverload
    schema = getattr(func, "_schema", None)
    if schema is None or schema.is_mutable or not schema.returns:
        return False
    return all(isinstance(r.type, torch.TensorType) and r.alias_info is None for r in schema.returns)


def metadata_key(value: object) -> object:
    """Return what a call's result on meta can depend on in ``value``, or :data:`NO_KEY`.

    A meta tensor's shape, strides and dtype; a number, string, dtype or device with its type;
    the same of each item of a tuple or list. Anything else (a real tensor, an object) has no key.
    """
    kind = type(value)
    if kind is torch.Tensor or kind is torch.nn.Parameter:
        tensor: torch.Tensor = value  # type: ignore[assignment]  # checked just above
        if tensor.device.type != "meta" or tensor.layout != torch.strided or tensor.is_complex():
            return NO_KEY
        return (tensor.shape, tensor.stride(), tensor.dtype)
    if kind in _PLAIN:
        return (kind, value)
    if kind is tuple or kind is list:
        keys = []
        for item in value:  # type: ignore[attr-defined]  # a tuple or list
            key = metadata_key(item)
            if key is NO_KEY:
                return NO_KEY
            keys.append(key)
        return (kind, tuple(keys))
    return NO_KEY


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
