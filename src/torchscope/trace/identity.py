"""A map keyed by tensor identity for the length of one pass, without holding the tensors alive.

It does what ``torch.utils.weak.WeakIdKeyDictionary`` does for the recorder at a fraction of the
cost: that class builds a Python ``WeakIdRef`` object (with a callback) for every store and every
lookup, several microseconds per call, and the recorder looks tensors up a few times per op. Here
an entry is the tensor's ``id`` with a plain weak reference, and an entry is only trusted while
its reference still points at the very tensor asked about: once a tensor dies, its ``id`` may name
a new tensor, which then finds nothing. Dead entries are not swept; the map lives one pass.
"""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

import torch

V = TypeVar("V")


class TensorMap(Generic[V]):
    """Values by tensor identity; a tensor that has died, or was never stored, has none."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ReferenceType[torch.Tensor], V]] = {}

    def get(self, tensor: torch.Tensor) -> V | None:
        """Return the value stored for ``tensor``, or None."""
        entry = self._entries.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            return None
        return entry[1]

    def __contains__(self, tensor: torch.Tensor) -> bool:
        entry = self._entries.get(id(tensor))
        return entry is not None and entry[0]() is tensor

    def __getitem__(self, tensor: torch.Tensor) -> V:
        entry = self._entries.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            raise KeyError(f"tensor {tuple(tensor.shape)} was not stored")
        return entry[1]

    def __setitem__(self, tensor: torch.Tensor, value: V) -> None:
        self._entries[id(tensor)] = (weakref.ref(tensor), value)
