"""Estimates: a meta pass through data-dependent ops, for a model that exists only on meta.

A model built under ``torch.device("meta")`` has no values to fall back to when its forward
asks for one (a mixture-of-experts loop ``for e in experts: idx = where(mask == e)``, a
``histc``-driven split, a padding check). :class:`Estimator` runs such a pass on meta all the
same, tracking values where they can be known:

* **known values**: the example inputs (unless they are meta tensors themselves), constants, and
  whatever is computed from known values alone, such as positions, masks and expert indices. Such
  values are computed on the CPU next to their meta tensors, when they are small (at most
  :data:`LIMIT` elements): the sizes of everything downstream follow exactly;
* **assumed values**: where an op picks by values nobody has (a router's ``topk``), or its size
  depends on them (``nonzero`` of activations), a stated assumption from :mod:`.assumptions`
  stands in.

Every op whose cost rests on an assumption (its input's size came from one, or control flow
read an assumed value) is charged with the assumption's sentence: those nodes are *estimated*.
A pass on real tensors never estimates, and a model with real weights falls back to one.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import torch
from torch.utils import _pytree as pytree
from torch.utils.weak import WeakIdKeyDictionary

from torchscope.trace.assumptions import all_true_mask, route, upper_bound
from torchscope.trace.metakernels import run_kernel

LIMIT = 1 << 22  # elements: larger tensors are activations or weights, not sizes or indices
_aten = torch.ops.aten
Notes = tuple[str, ...]
V = TypeVar("V")


class _ByTensor(Generic[V]):
    """A typed map keyed by tensor identity that keeps no tensor alive."""

    def __init__(self) -> None:
        self._items = WeakIdKeyDictionary()

    def __contains__(self, tensor: object) -> bool:
        return tensor in self._items

    def __getitem__(self, tensor: torch.Tensor) -> V:
        return self._items[tensor]  # type: ignore[no-any-return]  # what __setitem__ stored

    def __setitem__(self, tensor: torch.Tensor, value: V) -> None:
        self._items[tensor] = value

    def get(self, tensor: torch.Tensor, default: V) -> V:
        return self._items.get(tensor, default)  # type: ignore[no-any-return,no-untyped-call]  # untyped in torch

    def forget(self, tensor: torch.Tensor) -> None:
        self._items.pop(tensor, None)  # type: ignore[no-untyped-call]  # untyped in torch


class Estimator:
    """The values known or assumed for the meta tensors of one pass, and what rests on assumptions."""

    def __init__(self) -> None:
        self.values: _ByTensor[torch.Tensor] = _ByTensor()  # meta tensor → CPU tensor of its values
        self.value_notes: _ByTensor[Notes] = _ByTensor()  # meta tensor → what its values assume
        self.shape_notes: _ByTensor[Notes] = _ByTensor()  # meta tensor → what its size assumes

    def know(self, tensor: torch.Tensor, values: torch.Tensor) -> None:
        """Record the values of the meta tensor ``tensor`` (an input whose real value is known)."""
        if values.device.type != "meta" and values.numel() <= LIMIT:
            self.values[tensor] = values.detach().to("cpu")

    def run(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Notes]:  # noqa: ANN401
        """Run one ATen call; return its result and the assumptions its cost rests on."""
        tensors = [t for t in pytree.tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        shape_notes = _union(self.shape_notes, tensors)
        value_notes = _union(self.value_notes, tensors)
        if all(self._known(t) for t in tensors):
            done = self._on_values(func, args, kwargs, tensors, (shape_notes, value_notes))
            if done is not None:
                return done
        try:
            out = run_kernel(func, args, kwargs)
            made: Notes = ()
        except (NotImplementedError, RuntimeError) as error:
            out, made = self._without_values(func, args, kwargs, error)
        if (routed := route(func, args, out)) is not None:
            indices, values, note = routed
            self.values[indices] = values
            self.value_notes[indices] = (note,)
            made = (*made, note)
        self._forget_written(func, args)
        self._mark(out, tensors, _merge(shape_notes, made))
        return out, _merge(shape_notes, made)

    def _known(self, tensor: torch.Tensor) -> bool:
        return tensor.device.type != "meta" or tensor in self.values

    def _on_values(
        self,
        func: Any,  # noqa: ANN401  # an ATen op
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        tensors: list[torch.Tensor],
        notes: tuple[Notes, Notes],
    ) -> tuple[Any, Notes] | None:
        """Run a call whose inputs all have known values, on those values; None to run it on meta only."""
        shape_notes, value_notes = notes
        try:
            out = run_kernel(func, args, kwargs)
        except (NotImplementedError, RuntimeError):
            out = None  # its size (or its result, `.item()`) depends on the values
        if out is not None and (
            any(t.numel() > LIMIT for t in _results(out)) or (not tensors and not _deterministic(func))
        ):
            return None  # activations or weights, or random numbers: sizes never come from those
        real_args, real_kwargs = self._real((args, kwargs))
        try:
            computed = func(*real_args, **real_kwargs)
        except Exception:  # noqa: BLE001  # no CPU kernel, or not on these values: meta alone then
            return None
        dependent = out is None
        rests_on = _merge(shape_notes, value_notes) if dependent else shape_notes
        if dependent:
            if not _results(computed) or _leaves_meta(kwargs):
                return computed, _merge(shape_notes, value_notes)  # a number, or a copy off meta
            out = pytree.tree_map_only(torch.Tensor, _meta_of, computed)
        elif _leaves_meta(kwargs):
            return computed, shape_notes
        for made, real in zip(_results(out), _results(computed), strict=False):
            if made.numel() <= LIMIT:
                self.values[made] = real
                if value_notes:
                    self.value_notes[made] = value_notes
        self._mark(out, tensors, rests_on)
        return out, rests_on

    def _without_values(
        self,
        func: Any,  # noqa: ANN401  # an ATen op
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        error: Exception,
    ) -> tuple[Any, Notes]:
        """Answer a value-dependent call whose values are partly known, or assume the upper bound."""
        if func in _INDEXING:
            indices, note = self._expand_masks(args[1])
            return run_kernel(func, (args[0], indices, *args[2:]), kwargs), note
        if func is _aten.masked_select.default and args[1] in self.values:
            mask = self.values[args[1]].expand(torch.broadcast_shapes(args[0].shape, args[1].shape))  # type: ignore[no-untyped-call]
            return torch.empty((int(mask.count_nonzero()),), dtype=args[0].dtype, device="meta"), ()
        if func is _aten.repeat_interleave.self_Tensor and args[1] in self.values:
            total = int(self.values[args[1]].sum())
            return run_kernel(func, args, {**kwargs, "output_size": total}), ()
        bounded = upper_bound(func, args)
        if bounded is None:
            raise error  # no assumption covers it: the meta kernel's error stands
        return bounded[0], (bounded[1],)

    def _expand_masks(self, indices: list[torch.Tensor | None]) -> tuple[list[torch.Tensor | None], Notes]:
        """Boolean masks in an index list, as the integer indices they select (known or all)."""
        expanded: list[torch.Tensor | None] = []
        notes: Notes = ()
        for index in indices:
            if index is None or index.dtype not in (torch.bool, torch.uint8):
                expanded.append(index)
                continue
            if index in self.values:
                mask = self.values[index]
            else:
                mask, note = all_true_mask(index)
                notes = (*notes, note)
            notes = _merge(notes, self.value_notes.get(index, ()))
            for position in mask.bool().nonzero().unbind(1):
                meta = torch.empty(position.shape, dtype=torch.long, device="meta")
                self.values[meta] = position
                expanded.append(meta)
        return expanded, notes

    def _real(self, value: object) -> Any:  # noqa: ANN401  # the same structure
        def real(t: torch.Tensor) -> torch.Tensor:
            return self.values.get(t, t)

        def device(d: torch.device) -> torch.device:
            return torch.device("cpu") if d.type == "meta" else d

        return pytree.tree_map_only(torch.device, device, pytree.tree_map_only(torch.Tensor, real, value))

    def _forget_written(self, func: Any, args: tuple[Any, ...]) -> None:  # noqa: ANN401
        """Forget the values of a tensor written with unknown values (and of its view's base)."""
        schema = getattr(func, "_schema", None)
        if schema is None or not schema.is_mutable:
            return
        for argument, value in zip(schema.arguments, args, strict=False):
            written = argument.alias_info is not None and argument.alias_info.is_write
            if written and isinstance(value, torch.Tensor):
                for tensor in (value, value._base):  # noqa: SLF001  # a view's base is written too
                    if tensor is not None:
                        self.values.forget(tensor)

    def _mark(self, out: object, inputs: list[torch.Tensor], notes: Notes) -> None:
        """Results whose size rests on an assumption carry it on (a tensor changed in place keeps its own)."""
        if not notes:
            return
        for result in _results(out):
            if result.device.type == "meta" and not any(result is t for t in inputs):
                self.shape_notes[result] = _merge(self.shape_notes.get(result, ()), notes)


_INDEXING = frozenset({_aten.index.Tensor, _aten.index_put.default, _aten.index_put_.default})
_RANDOM = frozenset({"rand", "randn", "randint", "randperm", "normal", "uniform", "bernoulli", "empty"})


def _deterministic(func: Any) -> bool:  # noqa: ANN401
    name = str(getattr(func, "overloadpacket", "")).removeprefix("aten.").rstrip("_")
    return not any(name.startswith(r) for r in _RANDOM)


def _results(value: object) -> list[torch.Tensor]:
    return [t for t in pytree.tree_leaves(value) if isinstance(t, torch.Tensor)]


def _leaves_meta(kwargs: dict[str, Any]) -> bool:
    """Whether the call copies to a real device (``x.cpu()``, ``.tolist()``): then it gets real values."""
    device = kwargs.get("device")
    return isinstance(device, torch.device) and device.type != "meta"


def _meta_of(real: torch.Tensor) -> torch.Tensor:
    return torch.empty_strided(real.shape, real.stride(), dtype=real.dtype, device="meta")


def _union(notes: _ByTensor[Notes], tensors: list[torch.Tensor]) -> Notes:
    found: Notes = ()
    for tensor in tensors:
        found = _merge(found, notes.get(tensor, ()))
    return found


def _merge(first: Notes, second: Notes) -> Notes:
    return first + tuple(n for n in second if n not in first)
