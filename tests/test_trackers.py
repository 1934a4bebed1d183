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


@pytest.mark.parametrize(
    ("parallel", "stock_name", "stock"),
    [
        (torchscope.FSDP(4), "RunningFSDPMemTracker", FSDPMemTracker),
        (torchscope.FSDP(3, reshard_after_forward=False), "RunningFSDPMemTracker", FSDPMemTracker),
        (
            torchscope.TP(2, plan={"layers.*.0": "colwise", "layers.*.2": "rowwise"}),
            "RunningMemTracker",
            MemTracker,
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
    ours = trace_parallel(_Layers(), example, spec, parallel)
    monkeypatch.setattr(trackers, stock_name, stock)
    theirs = trace_parallel(_Layers(), example, spec, parallel)
    assert ours.peak_bytes > ours.param_bytes > 0
    assert (ours.peak_bytes, ours.peak_split) == (theirs.peak_bytes, theirs.peak_split)


def _cold_dtensor() -> None:
    """Forget every output sharding and shape DTensor has worked out in this process."""
    ShardingPropagator._propagate_tensor_meta_cached.cache_clear()  # noqa: SLF001
    DTensor._op_dispatcher.sharding_propagator.propagate_op_sharding.cache_clear()  # noqa: SLF001
