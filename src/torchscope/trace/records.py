"""What one traced forward pass leaves behind: plain dataclasses, no torch objects kept alive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from torchscope.schema import NodeKind

if TYPE_CHECKING:
    from torchscope.parallel import RankRecord
    from torchscope.roofline import Hardware
    from torchscope.trace.step_records import StepRecord

# a module call, or a structure (a cache, a ModelOutput) passed in or returned
GroupKind = Literal["module", "structure"]
AttrValue = str | int | float | bool | list[int] | None


@dataclass(frozen=True)
class TensorMeta:
    """Shape and dtype of one tensor crossing a node boundary."""

    shape: tuple[int, ...]
    dtype: str


@dataclass
class CostRecord:
    """What the ATen ops charged to one node cost; ``uncounted`` names ops with no formula."""

    macs: int = 0
    flops: int = 0
    uncounted: dict[str, int] = field(default_factory=dict)
    # the assumptions, in words, that some of these counts rest on (a meta-only estimate)
    estimated: list[str] = field(default_factory=list)

    def add(self, other: CostRecord) -> None:
        """Add ``other``'s counts to these."""
        self.macs += other.macs
        self.flops += other.flops
        for op, count in other.uncounted.items():
            self.uncounted[op] = self.uncounted.get(op, 0) + count
        self.note(other.estimated)

    def note(self, assumptions: Sequence[str]) -> None:
        """Record that these counts rest on ``assumptions`` (each listed once)."""
        self.estimated.extend(a for a in assumptions if a not in self.estimated)


@dataclass
class NodeRecord:
    """One node: a graph input, a leaf-module call, a functional op outside leaves, or an output."""

    id: str
    kind: NodeKind
    op: str
    label: str
    parent: str | None
    module_path: str = ""
    attrs: dict[str, AttrValue] = field(default_factory=dict)
    repr: str = ""
    inputs: list[TensorMeta] = field(default_factory=list)
    outputs: list[TensorMeta] = field(default_factory=list)
    cost: CostRecord = field(default_factory=CostRecord)
    error: str | None = None


@dataclass
class GroupRecord:
    """One call of a module that has children: a container in the diagram."""

    id: str
    op: str
    label: str
    parent: str | None
    module_path: str
    children: list[str] = field(default_factory=list)
    repeat_of: str | None = None
    # what the diagram says of the module beyond its type: an experts module's E, top-k and
    # parameters per expert (see trace/experts.py); empty for most groups
    attrs: dict[str, AttrValue] = field(default_factory=dict)
    kind: GroupKind = "module"


@dataclass(frozen=True)
class EdgeRecord:
    """One tensor flowing from ``source`` to ``target``."""

    source: str
    target: str
    tensor: TensorMeta


@dataclass(frozen=True)
class ModuleInfo:
    """Parameters and buffers of one module: its own, and its whole subtree's (each tensor once)."""

    params: int
    params_trainable: int
    param_bytes: int
    buffer_bytes: int
    total_params: int
    total_params_trainable: int
    total_param_bytes: int
    total_buffer_bytes: int
    # other modules holding one of this module's own parameters (tied weights)
    shared_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValueSummary:
    """What one real tensor held, summarised on its device (see :mod:`torchscope.trace.observe`).

    Exact counts and float64 sums over the finite elements, from which the mean, the (population)
    standard deviation and the L2 norm follow; ``histogram`` counts the finite elements in bins of
    equal width on a symmetric log scale over ``[-absmax, absmax]``; ``sketch`` is a seeded
    CountSketch of the finite values, kept in Python only, from which two runs' difference can be
    estimated (see :mod:`torchscope.values`).
    """

    count: int
    finite: int
    total: float
    squares: float
    min: float | None
    max: float | None
    absmax: float
    zeros: int
    nan: int
    inf: int
    histogram: tuple[int, ...] = ()
    sketch: tuple[float, ...] = field(default=(), repr=False)

    @property
    def mean(self) -> float | None:
        """Mean of the finite elements (None when there are none)."""
        return self.total / self.finite if self.finite else None

    @property
    def std(self) -> float | None:
        """Population standard deviation of the finite elements (None when there are none)."""
        if not self.finite:
            return None
        mean = self.total / self.finite
        return float(max(0.0, self.squares / self.finite - mean * mean) ** 0.5)

    @property
    def norm(self) -> float:
        """L2 norm of the finite elements."""
        return float(self.squares**0.5)

    @property
    def zero_fraction(self) -> float | None:
        """Fraction of elements that are exactly zero (None for an empty tensor)."""
        return self.zeros / self.count if self.count else None


@dataclass
class Trace:
    """Everything one pass recorded, in call order."""

    model_name: str
    device: str
    dtype: str
    input_shapes: list[tuple[int, ...]]
    nodes: list[NodeRecord]
    groups: list[GroupRecord]
    edges: list[EdgeRecord]
    # the members without a parent (inputs, top-level groups and nodes, outputs), in call order
    top_level: list[str]
    module_types: dict[str, str]
    # what each module owns, read from the real model; the pass itself only sees stand-ins
    modules: dict[str, ModuleInfo]
    # ATen ops that ran outside every node (e.g. inside a `.item()` call): in the totals only
    unattributed: CostRecord = field(default_factory=CostRecord)
    error: str | None = None
    # measured wall time (median of repeats) of each node's own work, and of the whole forward;
    # None unless latency was measured: a meta pass has no time to report
    latency_ms: dict[str, float] | None = None
    total_latency_ms: float | None = None
    latency_device: str | None = None
    # what the reader should know about how the model was drawn (e.g. unwrapped from torch.compile)
    notes: list[str] = field(default_factory=list)
    # the training step (backward, optimizer, memory timeline) when one was traced
    step: StepRecord | None = None
    # the accelerator a roofline estimate is made for, when one was asked for
    hardware: Hardware | None = None
    # one rank's share of the step under FSDP or TP, when parallel= asked for it
    parallel: RankRecord | None = None
    # with values=True: each node's output summaries (one per output tensor, None where it is not
    # a real-valued tensor) and the parameters it was the first to read, by their full names
    values: dict[str, list[ValueSummary | None]] | None = None
    param_values: dict[str, dict[str, ValueSummary]] | None = None
    values_seed: int | None = None
