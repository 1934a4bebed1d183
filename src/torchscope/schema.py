"""The contract between the kernel and the front end: the layout of the expanded *document*.

The document (schema 1) is what ``ModelGraph.to_json()`` returns, what ``ModelView.document`` gives
and what Python code and tests read; it is also how a payload travelled before schema 2, so a page
or file saved then is a document. What travels now is the compact *wire* (schema 2) of
:mod:`torchscope.wire`, which encodes a document and decodes either version back into one:
the widget's ``graph`` trait, the standalone page's state, a payload saved from a page.
This module and its validator (:mod:`torchscope.schema_validate`) are the only Python code that
knows the document's layout (a training step's section lives in :mod:`torchscope.schema_step`);
``js/types.ts`` mirrors it and carries the same :data:`SCHEMA_VERSION`. A golden document
(``tests/golden/payload_v1.json``) and its wire (``payload_v2.json``) are read by both pytest and
vitest, so neither side can drift. Change the layout here, in ``js/types.ts``, in
:mod:`torchscope.wire` and ``js/wire.ts``, and in the golden
files together; a layout old payloads cannot be read in needs a new version.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, get_args

from torchscope.schema_checks import SchemaError
from torchscope.schema_step import (
    STEP_CATEGORIES,
    STEP_PHASES,
    Step,
    StepCategory,
    StepPeak,
    StepPhase,
    StepTimeline,
)

__all__ = [
    "STEP_CATEGORIES",
    "STEP_PHASES",
    "SchemaError",
    "Step",
    "StepCategory",
    "StepPeak",
    "StepPhase",
    "StepTimeline",
    "validate",
]

SCHEMA_VERSION = 1

# Each list of names is declared once, as a Literal; the tuples the checks use are read from it.
# js/types.ts declares the same lists (NODE_KINDS, COLUMN_KINDS, ORIENTATIONS).
NodeKind = Literal["input", "module", "function", "output"]
# how a column's values read: counts and bytes are numbers, shapes lists of shapes, text strings,
# values real numbers of either sign measured in a run (a mean, a std), never shares of a total
ColumnKind = Literal["count", "bytes", "shape", "text", "value"]
# the diagram's direction: top to bottom or left to right
Orientation = Literal["TB", "LR"]
NODE_KINDS: tuple[str, ...] = get_args(NodeKind)
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)
ORIENTATIONS: tuple[str, ...] = get_args(Orientation)

StatValue = int | float | str | list[list[int]] | None


class TensorMeta(TypedDict):
    """Shape and dtype of one tensor crossing a node boundary."""

    shape: list[int]
    dtype: str


class ModelInfo(TypedDict):
    """What was traced: the model's class name, the example inputs, device, dtype, torch version.

    ``notes`` says how the model was drawn where that is not obvious (unwrapped from
    ``torch.compile``, say).
    """

    name: str
    input_shapes: list[list[int]]
    device: str
    dtype: str
    torch_version: str
    notes: NotRequired[list[str]]
    values: NotRequired[ValuesInfo]


class ValuesInfo(TypedDict):
    """How a values trace (``values=True``) was made and read: see :mod:`torchscope.flow`.

    ``linear``: the histograms' linear threshold as a fraction of each tensor's largest magnitude;
    ``seed``: the seed of the inputs made from shapes (None when all were given); ``origin``: the
    first node in call order whose outputs hold a NaN or an Inf, or None.
    """

    linear: float
    seed: int | None
    origin: str | None


class Histogram(TypedDict):
    """Counts of a tensor's finite elements in equal bins of the symmetric log scale over ±absmax."""

    absmax: float
    counts: list[int]


class ParamValues(Histogram):
    """One parameter's summary: the output statistics, its L2 norm, and its histogram."""

    name: str
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    zeros: float | None
    nan: int
    inf: int
    norm: float


class NodeValues(TypedDict):
    """What a values trace saw at a node: a histogram per output, the parameters it first read."""

    outputs: list[Histogram | None]
    params: list[ParamValues]


class Column(TypedDict):
    """A statistic every node and group may carry, with the unit and kind the views format it by."""

    key: str
    label: str
    unit: str
    kind: ColumnKind


class Node(TypedDict):
    """One drawn node: a graph input, a leaf-module call, a functional op, or an output."""

    id: str
    kind: NodeKind
    op: str
    label: str
    parent: str | None
    module_path: str
    attrs: dict[str, str | int | float | bool | list[int] | None]
    repr: str
    inputs: list[TensorMeta]
    outputs: list[TensorMeta]
    stats: dict[str, StatValue]
    uncounted: list[str]
    error: NotRequired[str]
    # the assumptions, in words, its counts rest on: present only for a model estimated on meta
    estimated: NotRequired[list[str]]
    # only in a values trace (its scalar statistics are columns, in ``stats``)
    values: NotRequired[NodeValues]


class Group(TypedDict):
    """One call of a module with children; ``repeat_of`` names an identical earlier sibling.

    ``kind`` is ``"structure"`` for a structure passed in or returned (a cache, a ``ModelOutput``)
    whose tensors are its children; absent for a module call.
    """

    id: str
    op: str
    label: str
    parent: str | None
    children: list[str]
    stats: dict[str, StatValue]
    repeat_of: NotRequired[str]
    # the assumptions its nodes' counts rest on (see Node.estimated)
    estimated: NotRequired[list[str]]
    # what the module is beyond its type: an experts module's experts, top_k, params_per_expert
    attrs: NotRequired[dict[str, str | int | float | bool | list[int] | None]]
    kind: NotRequired[Literal["structure"]]


class Edge(TypedDict):
    """One tensor flowing from ``source`` to ``target``."""

    source: str
    target: str
    shape: list[int]
    dtype: str


DiffStatus = Literal["same", "changed", "added", "removed"]
DIFF_STATUSES: frozenset[str] = frozenset({"same", "changed", "added", "removed"})


class DiffChange(TypedDict):
    """One fact of a pair that differs (``op``, ``attrs.kernel_size``, ``outputs``, ``macs``...)."""

    field: str
    a: object
    b: object


class DiffItem(TypedDict):
    """How one node or group of a merged (diff) payload compares: its status and ids on each side."""

    status: DiffStatus
    a: str | None
    b: str | None
    changes: NotRequired[list[DiffChange]]
    wrapper: NotRequired[bool]


class DiffSection(TypedDict):
    """What a payload drawn from two models adds (see :mod:`torchscope.diff.payload`)."""

    a: ModelInfo
    b: ModelInfo
    names: list[str]
    totals: dict[str, dict[str, StatValue]]
    # delta column key → the column it is the delta of
    deltas: dict[str, str]
    items: dict[str, DiffItem]


class Payload(TypedDict):
    """The whole ``graph`` trait; ``diff`` only when it compares two models, ``step`` for training."""

    schema: int
    model: ModelInfo
    columns: list[Column]
    nodes: list[Node]
    groups: list[Group]
    edges: list[Edge]
    # the members without a parent (inputs, top-level groups and nodes, outputs), in call order:
    # what a group's ``children`` are for the model itself
    roots: list[str]
    totals: dict[str, StatValue]
    diff: NotRequired[DiffSection]
    step: NotRequired[Step]


def top_level_members(payload: Payload) -> list[str]:
    """Ids of the top-level groups and nodes, in call order (as the tracer recorded it)."""
    return list(payload["roots"])


# the validator has a module of its own, which reads this one's names; callers keep using
# ``schema.validate`` (the package imports this module first, so the cycle resolves)
from torchscope.schema_validate import validate  # noqa: E402
