"""PyTorch's memory trackers, less two costs that are not the rank's: a search, and DTensor's scratch.

* **The peak update.** After every dispatched op, ``MemTracker._update_peak_stats`` (and so
  ``FSDPMemTracker``'s) walks every module it has seen to find those now running (``mod_fqn in
  parents``), so a step costs ops × modules: quadratic in depth. The running modules change only
  at module boundaries, so :class:`ActivePeaks` keeps their statistics in a list, rebuilt by the
  same rule only when the set of running modules or the number of tracked ones has changed.
* **Phases.** Beside the step's peak, :class:`PhasePeaks` keeps each phase's own (``phase`` is
  set by whoever runs the step: forward, backward, optimizer), by the same rule, so that the peak
  of a short replica can be extended phase by phase (:mod:`~torchscope.trace.stacks`).
* **Shape propagation.** The first time DTensor meets an op signature, it works out the output's
  shape by running the op on fake tensors of the *global* shapes (then caches the answer). Under a
  tracker those tensors count as the rank's memory: an unsharded copy of a weight in the middle of
  the optimizer's step, on the first pass in a process only. :func:`untracked_propagation` runs
  that work with the tracker looking away.

Every figure is PyTorch's own (``tests/test_trackers.py`` compares each module's peaks with the
stock trackers', and a first pass with a warm one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import TYPE_CHECKING, Any

from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
from torch.distributed._tools.mem_tracker import MemTracker

if TYPE_CHECKING:
    from collections.abc import Hashable

_TOTAL = "Total"  # the key of a snapshot's sum, as both trackers spell it


class ActivePeaks:
    """Mixin for a ``MemTracker``: the peak update visits only the running modules.

    Nothing is tracked while :attr:`looking_away` (see :func:`untracked_propagation`).
    """

    looking_away = False

    memory_tracking: Any
    _mod_tracker: Any
    _curr_mem_snap: dict[Any, dict[Any, int]]
    _peak_mem: dict[Any, int]
    _peak_mem_snap: dict[Any, dict[Any, int]]

    def _running(self) -> list[Any]:
        """Return the statistics of the tracked modules now running (``MemTracker``'s own test)."""
        parents = self._mod_tracker.parents
        key = (len(self.memory_tracking), frozenset(parents))
        if getattr(self, "_running_key", None) != key:
            self._running_key: Hashable = key
            self._running_stats = [s for s in self.memory_tracking.values() if s.mod_fqn in parents]
        return self._running_stats

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:  # noqa: ANN401  # torch's signature
        if self.looking_away:
            return func(*args, **(kwargs or {}))
        return super().__torch_dispatch__(func, types, args, kwargs)  # type: ignore[misc]  # the tracker's

    def _update_peak_stats(self, peak_state: Any) -> None:  # noqa: ANN401  # the tracker's state enum
        current = self._curr_mem_snap
        for stats in self._running():
            if peak_state not in stats.snapshots:
                continue
            for device, snap in current.items():
                if stats.local_peak.get(device, 0) < snap[_TOTAL]:
                    stats.local_peak[device] = snap[_TOTAL]
                    stats.snapshots[peak_state][-1][device] = deepcopy(snap)
        for device, snap in current.items():
            if self._peak_mem.get(device, 0) < snap[_TOTAL]:
                self._peak_mem[device] = snap[_TOTAL]
                self._peak_mem_snap[device] = deepcopy(snap)


class PhasePeaks:
    """Mixin for a ``MemTracker``: beside the step's peak, each phase's own, by the same rule.

    Whoever runs the step sets :attr:`phase` as each phase starts (see ``fake_world.run_step``).
    """

    phase = "forward"

    _depth: int
    _curr_mem_snap: dict[Any, dict[Any, int]]
    _peak_mem_snap: dict[Any, dict[Any, int]]

    def __enter__(self) -> Any:  # noqa: ANN401  # the tracker itself
        entered = super().__enter__()  # type: ignore[misc]  # the tracker's
        if self._depth == 1:  # the snapshot taken on entry is the first instant of the first phase
            self.phase_peaks: dict[str, dict[Any, dict[Any, int]]] = {
                self.phase: deepcopy(self._peak_mem_snap)
            }
        return entered

    def phase_peak(self, phase: str, device: Any) -> dict[str, int] | None:  # noqa: ANN401  # torch.device
        """Return ``phase``'s peak snapshot on ``device`` (category name → bytes, with ``"Total"``)."""
        snap = self.phase_peaks.get(phase, {}).get(device)
        return None if snap is None else {str(getattr(k, "value", k)): int(v) for k, v in snap.items()}

    def _update_peak_stats(self, peak_state: Any) -> None:  # noqa: ANN401  # the tracker's state enum
        super()._update_peak_stats(peak_state)  # type: ignore[misc]  # the tracker's
        phase = self.phase_peaks.setdefault(self.phase, {})
        for device, snap in self._curr_mem_snap.items():
            if device not in phase or phase[device][_TOTAL] < snap[_TOTAL]:
                phase[device] = deepcopy(snap)


class RunningMemTracker(PhasePeaks, ActivePeaks, MemTracker):  # type: ignore[no-untyped-call]  # torch leaves it untyped
    """``MemTracker`` with :class:`ActivePeaks`' peak update and :class:`PhasePeaks`."""


class RunningFSDPMemTracker(PhasePeaks, ActivePeaks, FSDPMemTracker):  # type: ignore[no-untyped-call]  # torch leaves it untyped
    """``FSDPMemTracker`` with :class:`ActivePeaks`' peak update and :class:`PhasePeaks`."""


@contextmanager
def untracked_propagation(tracker: ActivePeaks) -> Iterator[None]:
    """While open, DTensor's shape propagation on global-shape fake tensors escapes ``tracker``."""
    from torch.distributed.tensor._sharding_prop import ShardingPropagator  # noqa: PLC0415  # DTensor's

    propagate = ShardingPropagator._propagate_tensor_meta_non_cached  # noqa: SLF001  # the one place it runs

    def looking_away(self: ShardingPropagator, schema: Any) -> Any:  # noqa: ANN401  # DTensor's types
        tracker.looking_away = True
        try:
            return propagate(self, schema)
        finally:
            tracker.looking_away = False

    ShardingPropagator._propagate_tensor_meta_non_cached = looking_away  # type: ignore[method-assign, assignment]  # noqa: SLF001
    try:
        yield
    finally:
        ShardingPropagator._propagate_tensor_meta_non_cached = propagate  # type: ignore[method-assign]  # noqa: SLF001
