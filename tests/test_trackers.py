"""The running-module trackers report exactly what PyTorch's stock MemTracker and FSDPMemTracker do."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
from torch.distributed._tools.mem_tracker import MemTracker
from torch.distributed.tensor import DTensor
from torch.distributed.tensor._sharding_prop import ShardingPropagator

import torchscope
from torchscope.parallel import trace_parallel
from torchscope.trace import trackers
from torchscope.trace.inputs import Example


def _nested() -> nn.Module:
    """Blocks in blocks, one module called twice: running sets that change at every depth."""
    torch.manual_seed(0)
    shared = nn.Linear(32, 32)
    inner = lambda: nn.Sequential(nn.Linear(32, 32), nn.GELU(), shared)  # noqa: E731
    return nn.Sequential(
        *(nn.Sequential(inner(), nn.LayerNorm(32), inner()) for _ in range(3)), nn.Linear(32, 4)
    )


def _module_peaks(kind: type[Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """One real CPU AdamW step under ``kind``: each module's peaks and snapshots, and the global peak."""
    model = _nested()
    optimizer = torch.optim.AdamW(model.parameters(), foreach=False)
    tracker = kind()
    tracker.track_external(model, optimizer)
    with tracker:
        model(torch.randn(16, 32)).square().mean().backward()
        optimizer.step()
    per_module = {
        stats.mod_fqn: (stats.local_peak, {str(k): v for k, v in stats.snapshots.items()})
        for stats in tracker.memory_tracking.values()
    }
    return per_module, tracker.get_tracker_snapshot("peak")[torch.device("cpu")]


def test_every_module_peak_matches_the_stock_memtracker() -> None:
    stock, stock_peak = _module_peaks(MemTracker)
    ours, our_peak = _module_peaks(trackers.RunningMemTracker)
    assert our_peak == stock_peak
    assert ours.keys() == stock.keys()
    assert len(ours) >= 10
    for name, (peak, snapshots) in stock.items():
        assert ours[name][0] == peak, name
        assert ours[name][1] == snapshots, name


def _stock_peak_through(phases: int) -> dict[str, int]:
    """The stock MemTracker's peak over the first ``phases`` phases of one real CPU step of ``_nested``."""
    model = _nested()
    optimizer = torch.optim.AdamW(model.parameters(), foreach=False)
    tracker = MemTracker()
    tracker.track_external(model, optimizer)
    with tracker:
        loss = model(torch.randn(16, 32)).square().mean()
        if phases > 1:
            loss.backward()
        if phases > 2:
            optimizer.step()
    peak = tracker.get_tracker_snapshot("peak")[torch.device("cpu")]
    return {str(getattr(k, "value", k)): v for k, v in peak.items()}


def test_each_phase_peak_is_the_stock_peak_up_to_its_end() -> None:
    model = _nested()
    optimizer = torch.optim.AdamW(model.parameters(), foreach=False)
    tracker = trackers.RunningMemTracker()
    tracker.track_external(model, optimizer)
    with tracker:
        loss = model(torch.randn(16, 32)).square().mean()
        tracker.phase = "backward"
        loss.backward()
        tracker.phase = "optimizer"
        optimizer.step()
    phases = [tracker.phase_peak(p, torch.device("cpu")) for p in ("forward", "backward", "optimizer")]
    stock = [_stock_peak_through(n) for n in (1, 2, 3)]
    assert stock[0]["Total"] < stock[1]["Total"] < stock[2]["Total"]  # each phase adds a new peak
    for n in range(3):
        so_far = max(phases[: n + 1], key=lambda snap: snap["Total"])  # type: ignore[arg-type, return-value]
        assert so_far == stock[n], n


class _Layers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 64)) for _ in range(3)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = x + layer(x)
        return x


class _StockFSDP(trackers.PhasePeaks, FSDPMemTracker):  # type: ignore[misc]
    """The stock tracker, which only learns to keep each phase's peak beside its own."""


class _Stock(trackers.PhasePeaks, MemTracker):  # type: ignore[misc]
    """The same for the stock MemTracker."""


@pytest.mark.parametrize(
    ("parallel", "stock_name", "stock"),
    [
        (torchscope.FSDP(4), "RunningFSDPMemTracker", _StockFSDP),
        (torchscope.FSDP(3, reshard_after_forward=False), "RunningFSDPMemTracker", _StockFSDP),
        (
            torchscope.TP(2, plan={"layers.*.0": "colwise", "layers.*.2": "rowwise"}),
            "RunningMemTracker",
            _Stock,
        ),
    ],
)
def test_a_parallel_pass_reads_as_under_the_stock_tracker(
    parallel: torchscope.FSDP | torchscope.TP,
    stock_name: str,
    stock: type[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ours on a cold DTensor (it meets every op signature for the first time), theirs on a warm one.

    On a cold DTensor the stock trackers also count the global-shape tensors its shape propagation
    makes; warm, it makes none. So this checks both what ours skips and that it skips nothing else.
    """
    example = Example((torch.randn(8, 64),), {})
    spec = torchscope.Training(precision="bf16-mixed")
    _cold_dtensor()
    ours = trace_parallel(_Layers(), example, spec, parallel, groups=[])
    monkeypatch.setattr(trackers, stock_name, stock)
    theirs = trace_parallel(_Layers(), example, spec, parallel, groups=[])
    assert ours.peak_bytes > ours.param_bytes > 0
    assert (ours.peak_bytes, ours.peak_split) == (theirs.peak_bytes, theirs.peak_split)


def _cold_dtensor() -> None:
    """Forget every output sharding and shape DTensor has worked out in this process."""
    ShardingPropagator._propagate_tensor_meta_cached.cache_clear()  # noqa: SLF001
    DTensor._op_dispatcher.sharding_propagator.propagate_op_sharding.cache_clear()  # noqa: SLF001
