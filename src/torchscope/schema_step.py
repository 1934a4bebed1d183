"""The wire contract's training-step section: the step's memory timeline and its peak.

Part of :mod:`torchscope.schema` (which re-exports these names); ``js/validate-step.ts`` makes the
same checks in the same order, and ``tests/golden/invalid_payloads.json`` breaks each of them.
The timeline is sent column by column, so a 70B model's ~14,000 points stay compact: node
indices, phases, and one list of bytes per category (one int for a category that never changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict, get_args

from torchscope.schema_checks import SchemaError, mapping, sequence, string

# a training step's memory, in the order a chart stacks it, and its phases, in the order they run;
# js/types.ts declares the same lists (STEP_CATEGORIES, STEP_PHASES)
StepCategory = Literal["params", "buffers", "grads", "optimizer", "saved", "temporaries"]
StepPhase = Literal["forward", "backward", "optimizer"]
STEP_CATEGORIES: tuple[str, ...] = get_args(StepCategory)
STEP_PHASES: tuple[str, ...] = get_args(StepPhase)


class StepTimeline(TypedDict):
    """Bytes alive after each forward node, after each node's backward, then after the optimizer.

    One entry per point in each column: ``node`` indexes the payload's ``nodes`` (-1 where no node
    ran: the optimizer's step); ``phase`` runs forward, then backward, then optimizer; ``bytes``
    holds a list per category, or one int for a category that is the same at every point
    (parameters and optimizer state, usually).
    """

    node: list[int]
    phase: list[StepPhase]
    bytes: dict[StepCategory, int | list[int]]


class StepPeak(TypedDict):
    """The most bytes alive at once: the split, the phase, and whose saved activations they held.

    ``point`` is the timeline point taken when the node running at the peak finished, where a chart
    marks it; ``saved_by_node`` lists the largest producers of the saved activations alive then,
    as ``[node index (-1: code outside every node), bytes]``, largest first.
    """

    bytes: int
    split: dict[StepCategory, int]
    phase: StepPhase
    point: int
    saved_by_node: list[list[int]]


class Step(TypedDict):
    """A training step's memory (``trace(..., training=...)``); absent from a forward trace."""

    optimizer: str
    precision: str
    timeline: StepTimeline
    peak: StepPeak


def check_step(value: object, node_count: int) -> None:
    """Check the step section of a payload with ``node_count`` nodes.

    Raises
    ------
    SchemaError
        naming the first field that is wrong, e.g. ``step.timeline.node[3]``.
    """
    step = mapping(value, "step")
    string(step.get("optimizer"), "step.optimizer")
    string(step.get("precision"), "step.precision")
    timeline = mapping(step.get("timeline"), "step.timeline")
    nodes = sequence(timeline.get("node"), "step.timeline.node")
    for i, index in enumerate(nodes):
        _node_index(index, node_count, f"step.timeline.node[{i}]")
    _check_phases(sequence(timeline.get("phase"), "step.timeline.phase"), len(nodes))
    for category, column in _categories(timeline.get("bytes"), "step.timeline.bytes").items():
        where = f"step.timeline.bytes.{category}"
        values = column if isinstance(column, list | tuple) else [column]
        if isinstance(column, list | tuple) and len(column) != len(nodes):
            raise SchemaError(f"{where}: {len(column)} values for {len(nodes)} points")
        if not all(_byte_count(v) for v in values):
            raise SchemaError(f"{where}: expected a non-negative int or a list of them, got {column!r}")
    _check_peak(step.get("peak"), node_count, len(nodes))


def _check_phases(phases: Sequence[object], point_count: int) -> None:
    """One phase per point, each known, in the order they run."""
    if len(phases) != point_count:
        raise SchemaError(f"step.timeline.phase: {len(phases)} phases for {point_count} points")
    reached = 0
    for i, phase in enumerate(phases):
        if phase not in STEP_PHASES:
            raise SchemaError(f"step.timeline.phase[{i}]: {phase!r} is not one of {list(STEP_PHASES)}")
        order = STEP_PHASES.index(phase)
        if order < reached:
            raise SchemaError(f"step.timeline.phase[{i}]: {phase!r} after {STEP_PHASES[reached]!r}")
        reached = order


def _check_peak(value: object, node_count: int, point_count: int) -> None:
    peak = mapping(value, "step.peak")
    if not _byte_count(peak.get("bytes")):
        raise SchemaError(f"step.peak.bytes: expected a non-negative int, got {peak.get('bytes')!r}")
    for category, byte_count in _categories(peak.get("split"), "step.peak.split").items():
        if not _byte_count(byte_count):
            raise SchemaError(f"step.peak.split.{category}: expected a non-negative int, got {byte_count!r}")
    if peak.get("phase") not in STEP_PHASES:
        raise SchemaError(f"step.peak.phase: {peak.get('phase')!r} is not one of {list(STEP_PHASES)}")
    point = peak.get("point")
    if not isinstance(point, int) or not _byte_count(point) or point >= point_count:
        raise SchemaError(f"step.peak.point: {point!r} is not one of the {point_count} timeline points")
    for i, item in enumerate(sequence(peak.get("saved_by_node"), "step.peak.saved_by_node")):
        where = f"step.peak.saved_by_node[{i}]"
        pair = sequence(item, where)
        if len(pair) != 2 or not _byte_count(pair[1]):  # a pair
            raise SchemaError(f"{where}: expected [node index, bytes], got {item!r}")
        _node_index(pair[0], node_count, f"{where}[0]")


def _categories(value: object, where: str) -> Mapping[str, object]:
    """Return the mapping at ``where``, refused unless its keys are exactly the step's categories."""
    found = mapping(value, where)
    for key in found:
        if key not in STEP_CATEGORIES:
            raise SchemaError(f"{where}.{key}: {key!r} is not one of {list(STEP_CATEGORIES)}")
    for category in STEP_CATEGORIES:
        if category not in found:
            raise SchemaError(f"{where}.{category}: missing")
    return found


def _byte_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _node_index(value: object, node_count: int, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not -1 <= value < node_count:
        raise SchemaError(f"{where}: {value!r} is not the index of a node (or -1 for none)")
