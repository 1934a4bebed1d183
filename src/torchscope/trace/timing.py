"""Wall-clock marks for measured latency, on the CPU or a CUDA stream."""

from __future__ import annotations

import time

import torch


class Timer:
    """Wall-clock marks: ``perf_counter_ns`` on the CPU, recorded CUDA events on a GPU."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def mark(self) -> object:
        """Return a point in time (an event on the current stream, for CUDA)."""
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]  # untyped in torch
            event.record()
            return event
        return time.perf_counter_ns()

    def elapsed_ms(self, start: object, end: object) -> float:
        """Milliseconds between two marks; call after ``torch.cuda.synchronize()`` on a GPU."""
        if isinstance(start, torch.cuda.Event) and isinstance(end, torch.cuda.Event):
            return float(start.elapsed_time(end))
        if isinstance(start, int) and isinstance(end, int):
            return (end - start) / 1e6
        raise TypeError("marks of different clocks")
