"""What one traced training step leaves behind, beside the forward's :class:`~.records.Trace`.

Plain data, no torch objects: per-node saved activations and backward costs, per-module gradient
and optimizer-state bytes, and the step's memory timeline with its peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torchscope.trace.records import CostRecord

# the categories of memory a step holds, in the order they are stacked in a timeline
CATEGORIES = ("params", "buffers", "grads", "optimizer", "saved", "temporaries")


@dataclass(frozen=True)
class TimelinePoint:
    """Bytes alive, by category, right after a forward node or the backward of one finished."""

    node: str
    phase: str  # "forward", "backward" or "optimizer"
    bytes: dict[str, int]

    @property
    def total(self) -> int:
        """All the bytes alive at this point."""
        return sum(self.bytes.values())


@dataclass(frozen=True)
class Peak:
    """The most bytes alive at once in the step, what they were, and whose activations they held."""

    bytes: int
    split: dict[str, int]
    phase: str
    # the node whose forward or backward was running when the peak was reached ("" outside any)
    node: str
    # saved activations alive at the peak, by the node that produced them, largest first
    saved_by_node: list[tuple[str, int]]
    # the timeline point taken when that node finished: where a chart of the timeline marks the peak
    point: int = 0


@dataclass(frozen=True)
class OwnedState:
    """Gradient and optimizer-state bytes of one module's trainable parameters."""

    grad_bytes: int
    optimizer_bytes: int
    total_grad_bytes: int  # the module's whole subtree, each tensor once
    total_optimizer_bytes: int


@dataclass
class StepRecord:
    """The training step of a trace: its spec in words and what the backward and optimizer cost."""

    optimizer: str
    precision: str
    loss: str
    checkpointed: list[str]
    saved_bytes: dict[str, int] = field(default_factory=dict)  # node id → bytes it produced and autograd kept
    saved_unattributed: int = 0  # saved tensors no node produced (casts of parameters, say)
    backward: dict[str, CostRecord] = field(default_factory=dict)  # forward node id → its gradient's cost
    backward_unattributed: CostRecord = field(default_factory=CostRecord)  # the loss's own backward, say
    optimizer_cost: CostRecord = field(default_factory=CostRecord)  # the optimizer's step
    owned: dict[str, OwnedState] = field(default_factory=dict)  # module path → its parameters' state
    timeline: list[TimelinePoint] = field(default_factory=list)
    peak: Peak | None = None
    peak_inference: int = 0  # the peak of a forward under no_grad in eval mode
