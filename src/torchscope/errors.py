"""The errors torchscope raises on purpose."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchscope.graph import ModelGraph
    from torchscope.trace.records import Trace


class TraceError(RuntimeError):
    """The model's forward pass raised while being traced.

    The message names the module path and op that failed and the shapes that reached it; the
    original exception is chained as ``__cause__``. :attr:`graph` holds what was traced up to the
    failure, with the failing node marked, and can be drawn like any other graph.
    """

    def __init__(self, message: str, trace: Trace) -> None:
        super().__init__(message)
        self.trace = trace

    @property
    def graph(self) -> ModelGraph:
        """The partial graph traced before the failure."""
        from torchscope.graph import ModelGraph  # noqa: PLC0415  # graph.py builds on this module

        return ModelGraph(self.trace)


class TraceWarning(UserWarning):
    """A drawing shows a partial graph because the forward pass failed."""
