"""Which bytes are alive at each moment of a pass: storages followed from birth to death.

Every tensor an ATen op returns lives in an untyped storage; views and in-place results share
their input's. A storage is counted once, from the op that created it until Python frees it (a
weak reference says when), under one category (:data:`~.step_records.CATEGORIES`): parameters,
buffers and optimizer state are registered up front; a storage the autograd graph saves becomes
``saved``; one that becomes a parameter's gradient becomes ``grads``; everything else is a
temporary. This is the accounting of PyTorch's ``torch.distributed._tools.mem_tracker.MemTracker``
(which tracks the same storages with the same weak references), on meta, where nothing is
allocated: a meta storage still knows its size.

The peak is checked after every op. What the saved activations alive at the peak were, node by
node, is replayed afterwards from a log of saved-storage births and deaths, so that reaching a new
peak (almost every op of a forward) costs no copy.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable

import torch
from torch.utils._pytree import tree_flatten
from torch.utils.weak import WeakIdKeyDictionary

from torchscope.trace.step_records import CATEGORIES, Peak, TimelinePoint

_IGNORED = "ignored"
_IGNORED_SAVED = "ignored, saved"


class _Entry:
    __slots__ = ("category", "nbytes", "producer", "ref")

    def __init__(self, category: str, nbytes: int) -> None:
        self.category = category
        self.nbytes = nbytes
        self.producer: str | None = None  # the node charged with it, once saved
        self.ref: weakref.ref[torch.UntypedStorage] | None = None


SavedEntry = _Entry  # what :meth:`MemoryLog.saved` returns, for the recorder to name its producer


class MemoryLog:
    """Bytes alive by category, the peak, and a timeline of points the caller asks for."""

    def __init__(self) -> None:
        self.alive = dict.fromkeys(CATEGORIES, 0)
        self._entries: WeakIdKeyDictionary = WeakIdKeyDictionary()
        self.peak_bytes = 0
        self.peak_split = dict(self.alive)
        self.peak_phase = ""
        self.peak_node = ""
        self._peak_event = 0
        self._peak_point = 0  # the timeline point the running node will add (see :meth:`point`)
        self.phase = "forward"
        self.node: Callable[[], str] = str  # who is running now, asked only at a new peak
        self._saved_events: list[tuple[_Entry, int]] = []  # (a saved storage, ±bytes), in order
        self.timeline: list[TimelinePoint] = []

    # -- registering storages --------------------------------------------------------------------

    def register(self, tensor: torch.Tensor, category: str) -> None:
        """Count ``tensor``'s storage under ``category`` (moved there if it was counted already)."""
        storage = tensor.untyped_storage()
        entry = self._entries.get(storage)  # type: ignore[no-untyped-call]  # untyped in torch
        if entry is None:
            self._add(storage, category)
        elif entry.category != category:
            self._move(entry, category)

    def ignore(self, tensor: torch.Tensor) -> None:
        """Leave ``tensor``'s storage out of every count (an example input: it exists before the step)."""
        entry = _Entry(_IGNORED, tensor.untyped_storage().nbytes())
        self._entries[tensor.untyped_storage()] = entry

    def saved(self, tensor: torch.Tensor, producer: str | None) -> _Entry | None:
        """Mark ``tensor``'s storage as kept for the backward; returns its entry if it is newly saved.

        A storage saved twice (a view of it, or the same tensor saved by two ops) counts once, and
        stays charged to ``producer`` of its first saving (None: to be named with :meth:`charge`).
        Parameters, buffers, gradients and optimizer state stay what they are.
        """
        storage = tensor.untyped_storage()
        known: _Entry | None = self._entries.get(storage)  # type: ignore[no-untyped-call]  # untyped in torch
        entry = known if known is not None else self._add(storage, "temporaries")
        if entry.category in ("params", "buffers", "optimizer", "grads", "saved", _IGNORED_SAVED):
            return None
        entry.producer = producer
        if entry.category == _IGNORED:
            entry.category = _IGNORED_SAVED  # charged to its producer once, still not counted
            return entry
        self._move(entry, "saved")
        self._saved_events.append((entry, entry.nbytes))
        return entry

    @staticmethod
    def charge(entry: _Entry, producer: str) -> None:
        """Name the producer of a saved storage that had none when it was saved."""
        entry.producer = producer

    def observe(self, out: object) -> None:
        """Count the storages an op returned that are not counted yet, then check the peak."""
        leaves, _ = tree_flatten(out)
        for leaf in leaves:
            if isinstance(leaf, torch.Tensor) and leaf.layout == torch.strided:
                storage = leaf.untyped_storage()
                if storage not in self._entries:
                    self._add(storage, "temporaries")
        self.check_peak()

    def check_peak(self) -> None:
        """Remember the bytes alive now if they are the most so far."""
        total = sum(self.alive.values())
        if total > self.peak_bytes:
            self.peak_bytes = total
            self.peak_split = dict(self.alive)
            self.peak_phase = self.phase
            self.peak_node = self.node()
            self._peak_event = len(self._saved_events)
            self._peak_point = len(self.timeline)

    def point(self, node: str) -> None:
        """Add a timeline point for ``node`` (merged with the last one if that was the same node)."""
        point = TimelinePoint(node=node, phase=self.phase, bytes=dict(self.alive))
        if self.timeline and self.timeline[-1].node == node and self.timeline[-1].phase == self.phase:
            if self._peak_point == len(self.timeline):  # the peak's point is the one merged into
                self._peak_point -= 1
            self.timeline[-1] = point
        else:
            self.timeline.append(point)

    def peak(self) -> Peak:
        """Return the peak, with the saved activations alive at it, by the node that produced them."""
        by_node: dict[str, int] = {}
        for entry, delta in self._saved_events[: self._peak_event]:
            producer = entry.producer or ""
            by_node[producer] = by_node.get(producer, 0) + delta
        ranked = sorted(((n, b) for n, b in by_node.items() if b > 0), key=lambda item: -item[1])
        return Peak(
            bytes=self.peak_bytes,
            split=dict(self.peak_split),
            phase=self.peak_phase,
            node=self.peak_node,
            saved_by_node=ranked,
            # a peak after the last point (an optimizer step that takes none) is marked at the last
            point=min(self._peak_point, max(0, len(self.timeline) - 1)),
        )

    # -- internals -------------------------------------------------------------------------------

    def _add(self, storage: torch.UntypedStorage, category: str) -> _Entry:
        entry = _Entry(category, storage.nbytes())
        entry.ref = weakref.ref(storage, functools.partial(self._died, entry))
        self._entries[storage] = entry
        self.alive[category] += entry.nbytes
        return entry

    def _move(self, entry: _Entry, category: str) -> None:
        if entry.category in (_IGNORED, _IGNORED_SAVED):
            return
        self.alive[entry.category] -= entry.nbytes
        self.alive[category] += entry.nbytes
        entry.category = category

    def _died(self, entry: _Entry, ref: object) -> None:
        del ref
        if entry.category in (_IGNORED, _IGNORED_SAVED):
            return
        self.alive[entry.category] -= entry.nbytes
        if entry.category == "saved":
            self._saved_events.append((entry, -entry.nbytes))
