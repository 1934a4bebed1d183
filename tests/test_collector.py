"""The collector pause: off inside, back on after the outermost pause, left off if it was off."""

from __future__ import annotations

import gc

import pytest
import torch

import torchscope
from torchscope import collector


def test_the_pause_nests_and_restores_the_collector_even_on_an_error() -> None:
    states: list[bool] = []

    def nested() -> None:
        with collector.paused():
            states.append(gc.isenabled())
            with collector.paused():
                states.append(gc.isenabled())
            states.append(gc.isenabled())  # the inner pause ends without turning it back on
            raise ValueError("inner")

    assert gc.isenabled()
    with pytest.raises(ValueError, match="inner"):
        nested()
    assert states == [False, False, False]
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_a_trace_runs_with_the_collector_paused_and_leaves_it_on() -> None:
    seen: list[bool] = []

    class Probe(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(gc.isenabled())
            return x + 1

    graph = torchscope.trace(Probe(), [2, 3])
    graph.to_json()
    assert seen == [False]  # the meta pass
    assert gc.isenabled()
