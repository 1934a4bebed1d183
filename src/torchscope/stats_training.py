"""The statistics a traced training step adds to every node, group and the totals.

* saved_bytes: storages autograd kept for the backward that the node produced, each once (see
  :mod:`torchscope.trace.step_recorder`); a group sums its nodes.
* grad_bytes / optimizer_bytes: the gradients and optimizer state of the trainable parameters the
  node's module owns (first call only, as ``params``); a group shows its subtree, each tensor once.
* backward_macs / backward_flops: the backward's ATen ops charged to the forward node whose
  gradient they compute; the totals add the loss's and the optimizer step's own ops.
* peak_bytes / peak_bytes_inference (totals): the step's peak by ``MemTracker``'s accounting, and
  an eval-mode forward's under ``no_grad``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from torchscope import schema
from torchscope.cells import human
from torchscope.trace.step_records import CATEGORIES

if TYPE_CHECKING:
    from torchscope.trace.records import GroupRecord, NodeRecord, Trace

COLUMNS: list[schema.Column] = [
    schema.Column(key="saved_bytes", label="Saved for backward", unit="B", kind="bytes"),
    schema.Column(key="grad_bytes", label="Gradients", unit="B", kind="bytes"),
    schema.Column(key="optimizer_bytes", label="Optimizer state", unit="B", kind="bytes"),
    schema.Column(key="backward_macs", label="Backward MACs", unit="", kind="count"),
    schema.Column(key="backward_flops", label="Backward FLOPs", unit="", kind="count"),
]
TOTALS_ONLY: list[schema.Column] = [
    schema.Column(key="peak_bytes", label="Step peak memory", unit="B", kind="bytes"),
    schema.Column(key="peak_bytes_inference", label="Inference peak memory", unit="B", kind="bytes"),
    schema.Column(key="peak_split", label="At the step's peak", unit="", kind="text"),
    schema.Column(key="peak_layers", label="Most saved at the peak", unit="", kind="text"),
]
# the producers of saved activations the payload names at the peak (the chart labels the first)
KEEP_SAVED = 8
ADDITIVE = ("saved_bytes", "backward_macs", "backward_flops")
KEYS = [c["key"] for c in COLUMNS]

Stats = dict[str, schema.StatValue]


def node_stats(node: NodeRecord, trace: Trace, *, first_call: bool) -> Stats:
    """Return the step's statistics of one module or function node."""
    step = trace.step
    if step is None:
        return {}
    owned = step.owned.get(node.module_path) if node.kind == "module" and first_call else None
    backward = step.backward.get(node.id)
    return {
        "saved_bytes": step.saved_bytes.get(node.id, 0),
        "grad_bytes": owned.grad_bytes if owned is not None else 0,
        "optimizer_bytes": owned.optimizer_bytes if owned is not None else 0,
        "backward_macs": backward.macs if backward is not None else 0,
        "backward_flops": backward.flops if backward is not None else 0,
    }


def group_stats(group: GroupRecord, trace: Trace, sums: dict[str, int]) -> Stats:
    """Return the step's statistics of one group: its nodes' sums and its module subtree's state."""
    step = trace.step
    if step is None:
        return {}
    owned = step.owned.get(group.module_path) if group.kind == "module" else None
    return {
        **{key: sums.get(key, 0) for key in ADDITIVE},
        "grad_bytes": owned.total_grad_bytes if owned is not None else 0,
        "optimizer_bytes": owned.total_optimizer_bytes if owned is not None else 0,
    }


def totals(trace: Trace, sums: dict[str, int]) -> Stats:
    """Return the whole step's: every node's sums, what ran outside them, the root's state, the peaks."""
    step = trace.step
    if step is None:
        return {}
    root = step.owned.get("")
    outside = [step.backward_unattributed]  # the loss; the optimizer step is no backward
    return {
        "saved_bytes": sums.get("saved_bytes", 0) + step.saved_unattributed,
        "grad_bytes": root.total_grad_bytes if root is not None else 0,
        "optimizer_bytes": root.total_optimizer_bytes if root is not None else 0,
        "backward_macs": sums.get("backward_macs", 0) + sum(r.macs for r in outside),
        "backward_flops": sums.get("backward_flops", 0) + sum(r.flops for r in outside),
        "peak_bytes": step.peak.bytes if step.peak is not None else None,
        "peak_bytes_inference": step.peak_inference,
        "peak_split": _split(step.peak.split) if step.peak is not None else None,
        "peak_layers": _layers(step.peak.saved_by_node) if step.peak is not None else None,
    }


def summary(totals: dict[str, object]) -> list[str]:
    """Return the lines a text table adds under its totals for a training step (none without one)."""
    peak = totals.get("peak_bytes")
    if not isinstance(peak, int):
        return []
    lines = [f"training step peak: {human('peak_bytes', peak)} ({totals.get('peak_split')})"]
    if totals.get("peak_layers"):
        lines.append(f"saved activations at the peak, largest first: {totals['peak_layers']}")
    lines.append(f"inference peak: {human('peak_bytes', totals.get('peak_bytes_inference'))}")
    if isinstance(totals.get("step_time_ms"), float):
        lines.append(
            f"step time on {totals.get('hardware')}: at least {totals['step_time_ms']:.3f} ms (roofline)"
        )
    return lines


def _split(split: dict[str, int]) -> str:
    return ", ".join(f"{kind} {human('peak_bytes', n)}" for kind, n in split.items() if n)


def _layers(saved: list[tuple[str, int]], keep: int = 3) -> str:
    return ", ".join(f"{node or '(outside nodes)'} {human('peak_bytes', n)}" for node, n in saved[:keep])


def columns(trace: Trace) -> list[schema.Column]:
    """Return the columns a payload declares for the step (none without one)."""
    return [*COLUMNS, *TOTALS_ONLY] if trace.step is not None else []


def payload_step(trace: Trace, node_index: dict[str, int]) -> schema.Step | None:
    """Return the payload's step section: the memory timeline and its peak (None without a step).

    ``node_index`` maps node ids to their place in the payload's ``nodes``.
    """
    step = trace.step
    if step is None or step.peak is None or not step.timeline:
        return None
    points = step.timeline
    columns: dict[schema.StepCategory, int | list[int]] = {}
    for category in cast("tuple[schema.StepCategory, ...]", CATEGORIES):
        column = [p.bytes[category] for p in points]
        # a category that never changes (parameters, optimizer state) is sent once
        columns[category] = column[0] if len(set(column)) == 1 else column
    peak = step.peak
    return schema.Step(
        optimizer=step.optimizer,
        precision=step.precision,
        timeline=schema.StepTimeline(
            node=[node_index.get(p.node, -1) for p in points],
            phase=[cast("schema.StepPhase", p.phase) for p in points],
            bytes=columns,
        ),
        peak=schema.StepPeak(
            bytes=peak.bytes,
            split=cast("dict[schema.StepCategory, int]", dict(peak.split)),
            phase=cast("schema.StepPhase", peak.phase),
            point=peak.point,
            saved_by_node=[[node_index.get(n, -1), b] for n, b in peak.saved_by_node[:KEEP_SAVED]],
        ),
    )
