"""How far the values moved between two values traces: the relative L2 change of each node's outputs.

For a pair of aligned members with outputs ``a`` (in graph a) and ``b`` (in graph b), the change is
``‖b − a‖ / ‖a‖`` over all their output elements together. A node's outputs are its output
tensors; a group's are what leaves it (:func:`torchscope.flow.group_outputs`), so a block, or a
layer that became a module of its own (a float ``Linear`` against its dynamically quantized
counterpart, see :attr:`~torchscope.diff.align.Alignment.replaced`), is measured too. What each side recorded
(:class:`~torchscope.trace.records.ValueSummary`) decides what is exact:

* ``‖a‖`` and ``‖b‖`` are exact (float64 sums of squares of the finite elements);
* ``‖b − a‖`` needs both tensors at once, which no trace keeps. Each side keeps a CountSketch of
  :data:`~torchscope.trace.observe.SKETCH` buckets with the same seeded hash for tensors of the
  same size on the same kind of device, and the sketch is linear: the sketch of ``b − a`` is the
  difference of the two sketches. Its squared norm is an unbiased estimate of ``‖b − a‖²``, with a
  relative standard deviation of at most ``sqrt(2 / 256) ≈ 8.8 %`` (≈ 4.4 % on the norm) — relative
  to the change itself, so a small change is measured as finely as a large one, and two identical
  runs give exactly 0. The estimate is then kept inside the exact bounds
  ``|‖b‖ − ‖a‖| ≤ ‖b − a‖ ≤ ‖a‖ + ‖b‖``.

Non-finite elements count as zero on both sides (their counts are columns of their own). There is
no change for a pair whose outputs differ in number or size, for traces run on different kinds of
device (their hashes differ), or where ``‖a‖ = 0`` and ``b`` is not zero too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from torchscope import flow, schema, stats
from torchscope.trace.records import Trace, ValueSummary

COLUMN = schema.Column(key="value_change", label="Rel. L2 change", unit="", kind="value")


def relative_change(a: list[ValueSummary | None], b: list[ValueSummary | None]) -> float | None:
    """Return ``‖b − a‖ / ‖a‖`` of two nodes' outputs (see the module docstring), or None."""
    if len(a) != len(b) or not a:
        return None
    moved = norm_a = norm_b = 0.0
    for x, y in zip(a, b, strict=True):
        if x is None or y is None or x.count != y.count or len(x.sketch) != len(y.sketch):
            return None
        moved += sum((q - p) ** 2 for p, q in zip(x.sketch, y.sketch, strict=True))
        norm_a += x.squares
        norm_b += y.squares
    low, high = abs(math.sqrt(norm_b) - math.sqrt(norm_a)), math.sqrt(norm_a) + math.sqrt(norm_b)
    change = min(max(math.sqrt(moved), low), high)
    if norm_a == 0:
        return 0.0 if change == 0 else None
    return change / math.sqrt(norm_a)


def changes(trace_a: Trace, trace_b: Trace, pairs: Mapping[str, tuple[str, str]]) -> dict[str, float | None]:
    """Return the relative change of every paired member with values: merged id → change or None.

    ``pairs`` maps a merged id to the ids of its two sides, nodes or groups (either kind each).
    """
    if trace_a.values is None or trace_b.values is None:
        raise ValueError("both graphs must be traced with values=True to compare their values")
    outputs_a, outputs_b = _Outputs(trace_a), _Outputs(trace_b)
    # output nodes hold no values of their own (their producers do), nor do empty groups
    summarised = {m: (outputs_a(a), outputs_b(b)) for m, (a, b) in pairs.items()}
    summarised = {m: pair for m, pair in summarised.items() if pair[0] and pair[1]}
    if trace_a.device.split(":")[0] != trace_b.device.split(":")[0]:
        return dict.fromkeys(summarised)
    return {member: relative_change(a, b) for member, (a, b) in summarised.items()}


class _Outputs:
    """The output summaries of a trace's nodes and groups, by id."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._groups = {g.id: g for g in trace.groups}
        self._subtrees = stats.Subtrees(self._groups)

    def __call__(self, member: str) -> list[ValueSummary | None]:
        values = self._trace.values or {}
        if member in values:
            return values[member]
        group = self._groups.get(member)
        if group is None:
            return []
        return flow.group_outputs(self._trace, self._subtrees.nodes(group))
