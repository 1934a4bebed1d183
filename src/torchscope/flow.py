"""What flowed through a values trace, as the payload and the Python API read it.

A values trace (``trace(..., values=True)``) holds one :class:`~torchscope.trace.records.ValueSummary`
per output tensor of every node and per parameter (see :mod:`torchscope.trace.observe`). This
module is the one place that turns them into:

* **columns** (:data:`COLUMNS`): mean, std, min, max, abs-max and zero fraction of a node's outputs
  (kind ``value``), NaN and Inf counts (kind ``count``). A node with several outputs shows them
  pooled: counts and sums add, extremes are the extremes of all. A group shows what leaves it: the
  outputs of its nodes that a node outside the group reads, or the model returns, pooled the same
  way;
* **per-node values** (``node["values"]``): one histogram per output, and a summary with the norm
  and a histogram per parameter, each parameter on the first node that read it;
* **the origin** of non-finite values: the first node in call order whose outputs hold a NaN or an
  Inf (:func:`first_nonfinite`), in ``model["values"]["origin"]``.

Numbers in the payload keep :data:`DIGITS` significant digits, so a node costs a few hundred bytes
whatever the tensor's size; Python (:meth:`ModelGraph.values`) keeps the full float64 figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from torchscope import schema
from torchscope.trace.observe import LINEAR
from torchscope.trace.records import Trace, ValueSummary

DIGITS = 4
COLUMNS: list[schema.Column] = [
    schema.Column(key="value_mean", label="Mean", unit="", kind="value"),
    schema.Column(key="value_std", label="Std", unit="", kind="value"),
    schema.Column(key="value_min", label="Min", unit="", kind="value"),
    schema.Column(key="value_max", label="Max", unit="", kind="value"),
    schema.Column(key="value_absmax", label="Abs max", unit="", kind="value"),
    schema.Column(key="value_zeros", label="Zero fraction", unit="", kind="value"),
    schema.Column(key="value_nan", label="NaNs", unit="", kind="count"),
    schema.Column(key="value_inf", label="Infs", unit="", kind="count"),
]
KEYS = tuple(c["key"] for c in COLUMNS)


@dataclass(frozen=True)
class NodeValues:
    """What one node of a values trace produced and read (``graph.values(node_id)``).

    ``outputs``: one summary per output tensor (None where it is not real-valued);
    ``params``: the parameters this node was the first to read, by their full names.
    """

    outputs: list[ValueSummary | None]
    params: dict[str, ValueSummary] = field(default_factory=dict)

    @property
    def pooled(self) -> ValueSummary | None:
        """All outputs as one summary (what the table's columns show), or None when there are none."""
        return pool(s for s in self.outputs if s is not None)


def node_values(trace: Trace, node_id: str) -> NodeValues:
    """Return the values seen at ``node_id``; raises ValueError for a trace made without ``values=True``."""
    if trace.values is None:
        raise ValueError("this graph was traced without values: trace(..., values=True) records them")
    params = (trace.param_values or {}).get(node_id, {})
    return NodeValues(outputs=list(trace.values.get(node_id, [])), params=dict(params))


def first_nonfinite(trace: Trace) -> str | None:
    """Return the first node in call order whose outputs hold a NaN or an Inf, or None."""
    if trace.values is None:
        raise ValueError("this graph was traced without values: trace(..., values=True) records them")
    for node in trace.nodes:
        if any(s is not None and (s.nan or s.inf) for s in trace.values.get(node.id, [])):
            return node.id
    return None


def pool(summaries: Iterable[ValueSummary]) -> ValueSummary | None:
    """Several tensors as one: counts and sums added, extremes of all (no histogram, no sketch)."""
    found = list(summaries)
    if not found:
        return None
    lows = [s.min for s in found if s.min is not None]
    highs = [s.max for s in found if s.max is not None]
    return ValueSummary(
        count=sum(s.count for s in found),
        finite=sum(s.finite for s in found),
        total=sum(s.total for s in found),
        squares=sum(s.squares for s in found),
        min=min(lows) if lows else None,
        max=max(highs) if highs else None,
        absmax=max(s.absmax for s in found),
        zeros=sum(s.zeros for s in found),
        nan=sum(s.nan for s in found),
        inf=sum(s.inf for s in found),
    )


def stats_of(summary: ValueSummary | None) -> dict[str, schema.StatValue]:
    """Return the value columns of one (pooled) summary, rounded for the wire."""
    if summary is None:
        return {}
    return {
        "value_mean": _round(summary.mean),
        "value_std": _round(summary.std),
        "value_min": _round(summary.min),
        "value_max": _round(summary.max),
        "value_absmax": _round(summary.absmax),
        "value_zeros": _round(summary.zero_fraction),
        "value_nan": summary.nan,
        "value_inf": summary.inf,
    }


def node_stats(trace: Trace, node_id: str) -> dict[str, schema.StatValue]:
    """Return the value columns of a node (empty for a trace without values, or an output node)."""
    if trace.values is None:
        return {}
    return stats_of(pool(s for s in trace.values.get(node_id, []) if s is not None))


def group_stats(trace: Trace, inside: list[str]) -> dict[str, schema.StatValue]:
    """Return the value columns of a group whose nodes are ``inside``, pooled over what leaves it."""
    return stats_of(pool(s for s in group_outputs(trace, inside) if s is not None))


def group_outputs(trace: Trace, inside: list[str]) -> list[ValueSummary | None]:
    """Return what leaves a group whose nodes are ``inside``: its outputs, as far as values tell.

    That is every output of each node inside that hands a tensor to a node outside (or to the
    model's output), in call order; empty for a trace without values.
    """
    if trace.values is None:
        return []
    members = set(inside)
    leaving = {e.source for e in trace.edges if e.source in members and e.target not in members}
    return [s for node in inside if node in leaving for s in trace.values.get(node, [])]


def payload_values(trace: Trace, node_id: str) -> schema.NodeValues | None:
    """Return the ``values`` field of a node: its output histograms, its parameters' summaries."""
    if trace.values is None or node_id not in trace.values:
        return None
    params = (trace.param_values or {}).get(node_id, {})
    return schema.NodeValues(
        outputs=[None if s is None else _histogram(s) for s in trace.values[node_id]],
        params=[_param(name, s) for name, s in params.items()],
    )


def values_info(trace: Trace) -> schema.ValuesInfo | None:
    """Return ``model["values"]``: the scale, the seed of made inputs, the origin of NaN/Inf."""
    if trace.values is None:
        return None
    return schema.ValuesInfo(linear=LINEAR, seed=trace.values_seed, origin=first_nonfinite(trace))


def _histogram(summary: ValueSummary) -> schema.Histogram:
    return schema.Histogram(absmax=_round(summary.absmax) or 0.0, counts=list(summary.histogram))


def _param(name: str, summary: ValueSummary) -> schema.ParamValues:
    return schema.ParamValues(
        name=name,
        mean=_round(summary.mean),
        std=_round(summary.std),
        min=_round(summary.min),
        max=_round(summary.max),
        zeros=_round(summary.zero_fraction),
        nan=summary.nan,
        inf=summary.inf,
        norm=_round(summary.norm) or 0.0,
        absmax=_round(summary.absmax) or 0.0,
        counts=list(summary.histogram),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.{DIGITS}g}")
