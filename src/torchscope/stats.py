"""Per-node, per-group and total statistics of a trace, and the table ``model_stats`` returns.

One computation feeds both views: :func:`node_stats`, :func:`group_stats` and :func:`totals`
fill the payload the widget draws, and :class:`StatsTable` is built from that payload.

* params / params_trainable / param_bytes / buffer_bytes: what the node's module owns (read from
  the real model, in its real dtypes). A module called twice shows them on its first call only,
  and a group shows its module's whole subtree, each tensor once. Totals come from the model's
  unique parameters, so tied weights count once.
* macs / flops: the ATen ops charged to the node (see :mod:`torchscope.costs`); a group sums its
  subtree; the totals add ops that ran outside every node.
* activation_bytes = write_bytes: the bytes of the node's outputs; read_bytes: the bytes of its
  inputs plus the parameters and buffers it owns.
* estimated: the assumptions (in words) that a node's counts rest on, for a model estimated on
  meta (see :mod:`torchscope.trace.estimates`); a group lists its nodes', the totals all of them.
  The text, Markdown and HTML tables mark such counts ``≈``.
"""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from torchscope import flow, schema, stats_training
from torchscope.cells import human, markdown_cell, markdown_escape, markdown_row, plain

if TYPE_CHECKING:
    from torchscope.trace.records import GroupRecord, NodeRecord, TensorMeta, Trace

COLUMNS: list[schema.Column] = [
    schema.Column(key="params", label="Params", unit="", kind="count"),
    schema.Column(key="params_trainable", label="Trainable params", unit="", kind="count"),
    schema.Column(key="macs", label="MACs", unit="", kind="count"),
    schema.Column(key="flops", label="FLOPs", unit="", kind="count"),
    schema.Column(key="param_bytes", label="Param memory", unit="B", kind="bytes"),
    schema.Column(key="buffer_bytes", label="Buffer memory", unit="B", kind="bytes"),
    schema.Column(key="activation_bytes", label="Activations", unit="B", kind="bytes"),
    schema.Column(key="read_bytes", label="Read", unit="B", kind="bytes"),
    schema.Column(key="write_bytes", label="Write", unit="B", kind="bytes"),
    schema.Column(key="input_shapes", label="Input shapes", unit="", kind="shape"),
    schema.Column(key="output_shapes", label="Output shapes", unit="", kind="shape"),
]
LATENCY = schema.Column(key="latency_ms", label="Latency", unit="ms", kind="count")
ADDITIVE = ("macs", "flops", "activation_bytes", "read_bytes", "write_bytes")
OWNED = ("params", "params_trainable", "param_bytes", "buffer_bytes")
_SUMMED = (*ADDITIVE, *stats_training.ADDITIVE)  # what a group and the totals add up over nodes

Stats = dict[str, schema.StatValue]


def node_stats(node: NodeRecord, trace: Trace) -> Stats:
    """Statistics of one node."""
    if node.kind not in ("module", "function"):
        return {}
    owned = dict.fromkeys(OWNED, 0)
    info = trace.modules.get(node.module_path) if node.kind == "module" else None
    # a module called again owns nothing new: its parameters were shown on its first call
    first_call = "#" not in node.id.removeprefix(node.module_path)
    if info is not None and first_call:
        owned = {
            "params": info.params,
            "params_trainable": info.params_trainable,
            "param_bytes": info.param_bytes,
            "buffer_bytes": info.buffer_bytes,
        }
    written = _tensor_bytes(node.outputs)
    latency: Stats = {}
    if trace.latency_ms is not None:
        latency["latency_ms"] = trace.latency_ms.get(node.id)
    return {
        **latency,
        **owned,
        **stats_training.node_stats(node, trace, first_call=first_call),
        "macs": node.cost.macs,
        "flops": node.cost.flops,
        "activation_bytes": written,
        "read_bytes": _tensor_bytes(node.inputs) + int(owned["param_bytes"]) + int(owned["buffer_bytes"]),
        "write_bytes": written,
        "input_shapes": [list(t.shape) for t in node.inputs],
        "output_shapes": [list(t.shape) for t in node.outputs],
    }


class Subtrees:
    """Each group's nodes, however deep, and their additive sums: built bottom-up, once per payload.

    A group's sums are its children's, so each node is added once rather than once per enclosing
    group (a 440-layer Llama nests its 20,000 nodes four deep).
    """

    def __init__(self, groups: dict[str, GroupRecord], per_node: dict[str, Stats] | None = None) -> None:
        self._groups = groups
        self._per_node = per_node or {}
        self._nodes: dict[str, list[str]] = {}
        self._sums: dict[str, dict[str, int]] = {}

    def nodes(self, group: GroupRecord) -> list[str]:
        """Ids of the nodes inside ``group``, however deep, in call order."""
        found = self._nodes.get(group.id)
        if found is None:
            found = []
            for child in group.children:
                inner = self._groups.get(child)
                if inner is None:
                    found.append(child)
                else:
                    found.extend(self.nodes(inner))
            self._nodes[group.id] = found
        return found

    def sums(self, group: GroupRecord) -> dict[str, int]:
        """Return the integer statistics of ``group``'s nodes, summed (a key a node lacks counts 0)."""
        found = self._sums.get(group.id)
        if found is None:
            found = dict.fromkeys(_SUMMED, 0)
            for child in group.children:
                inner = self._groups.get(child)
                part = self.sums(inner) if inner is not None else self._per_node.get(child, {})
                for key in _SUMMED:
                    found[key] += _count(part, key)
            self._sums[group.id] = found
        return found


def group_stats(group: GroupRecord, trace: Trace, subtrees: Subtrees) -> Stats:
    """Statistics of one group: its module's subtree for what it owns, sums of its nodes for the rest."""
    sums = subtrees.sums(group)
    latency: Stats = {}
    if trace.latency_ms is not None:
        times = [trace.latency_ms.get(n) for n in subtrees.nodes(group)]
        latency["latency_ms"] = sum(t for t in times if t is not None)
    # a structure (a returned cache) owns no module: module_path "" would name the whole model
    info = trace.modules.get(group.module_path) if group.kind == "module" else None
    owned = (
        {
            "params": info.total_params,
            "params_trainable": info.total_params_trainable,
            "param_bytes": info.total_param_bytes,
            "buffer_bytes": info.total_buffer_bytes,
        }
        if info is not None
        else dict.fromkeys(OWNED, 0)
    )
    step = stats_training.group_stats(group, trace, sums)
    return {**owned, **{k: v for k, v in sums.items() if k in ADDITIVE}, **step, **latency}


def totals(trace: Trace, per_node: dict[str, Stats]) -> Stats:
    """Whole-model statistics: unique parameters, every ATen op (also those outside nodes)."""
    sums = dict.fromkeys(_SUMMED, 0)
    for stats in per_node.values():
        for key in sums:
            sums[key] += _count(stats, key)
    step = stats_training.totals(trace, sums)
    sums = {k: v for k, v in sums.items() if k in ADDITIVE}
    sums["macs"] += trace.unattributed.macs
    sums["flops"] += trace.unattributed.flops
    root = trace.modules[""]
    latency: Stats = {} if trace.total_latency_ms is None else {"latency_ms": trace.total_latency_ms}
    return {
        **latency,
        "params": root.total_params,
        "params_trainable": root.total_params_trainable,
        "param_bytes": root.total_param_bytes,
        "buffer_bytes": root.total_buffer_bytes,
        **sums,
        **step,
    }


ESTIMATED = schema.Column(key="estimated", label="Estimated", unit="", kind="text")
ESTIMATES_JOINED = "; "  # how the totals list the assumptions in one text cell


def estimated(assumptions: Iterable[Sequence[str]]) -> list[str]:
    """Every assumption in ``assumptions`` once, in the order first met."""
    found: list[str] = []
    for listed in assumptions:
        found.extend(a for a in listed if a not in found)
    return found


def uncounted(costs: Iterable[dict[str, int]]) -> list[str]:
    """``["aten.foo ×3", ...]`` from per-op counts, most frequent first."""
    merged: dict[str, int] = {}
    for counts in costs:
        for op, n in counts.items():
            merged[op] = merged.get(op, 0) + n
    return [f"{op} ×{n}" for op, n in sorted(merged.items(), key=lambda item: (-item[1], item[0]))]


def _count(stats: Mapping[str, object], key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) else 0


def _tensor_bytes(metas: Sequence[TensorMeta]) -> int:
    return sum(math.prod(m.shape) * _itemsize(m.dtype) for m in metas)


def _itemsize(dtype: str) -> int:
    value = getattr(torch, dtype, None)
    return value.itemsize if isinstance(value, torch.dtype) else 0


# -- the table ---------------------------------------------------------------------------------

TABLE_KEYS = [
    "name", "type", "input_shapes", "output_shapes", "params", "params_trainable", "macs", "flops",
    "param_bytes", "buffer_bytes", "activation_bytes", "read_bytes", "write_bytes",
    *stats_training.KEYS, "latency_ms", *flow.KEYS, "uncounted", "estimated",
]  # fmt: skip
_VALUES = flow.KEYS
# the columns of a trace that took no measurement / made no estimate / traced no step / saw no
# values leave these out
_OPTIONAL = (
    {"latency_ms": "latency_ms", "estimated": "estimated"}
    | {k: k for k in stats_training.KEYS}
    | {k: k for k in _VALUES}
)
_TEXT_COLUMNS = ["name", "type", "output_shapes", "params", "macs", "flops", "activation_bytes"]
# what a values trace adds to the text, Markdown and HTML tables (CSV and pandas get every column)
_TEXT_VALUES = ["value_mean", "value_std", "value_absmax", "value_zeros", "value_nan", "value_inf"]
_NUMERIC = {*OWNED, *ADDITIVE, "latency_ms", *stats_training.KEYS, *_VALUES}
_MARKDOWN_LABELS = {"name": "Name", "type": "Type"} | {
    c["key"]: c["label"] for c in [*COLUMNS, LATENCY, *stats_training.COLUMNS, *flow.COLUMNS]
}
TENSORWATCH_KEYS = [
    "module name", "input shape", "output shape", "params", "memory(MB)", "MAdd", "Flops",
    "MemRead(B)", "MemWrite(B)",
]  # fmt: skip

Row = dict[str, Any]


@dataclass
class StatsTable:
    """Rows of per-layer statistics with stable column keys, and the totals with the same keys.

    ``str(table)`` is a fixed-width text table, ``_repr_html_`` an HTML one for notebooks and
    :meth:`to_markdown` a GitHub-flavoured one for READMEs; :meth:`to_csv` and :meth:`to_pandas`
    give every column, and :meth:`to_pandas` adds tensorwatch's (torchstat's) column names too.
    """

    rows: list[Row]
    totals: Row
    columns: list[str] = field(default_factory=lambda: list(TABLE_KEYS))

    @classmethod
    def from_payload(cls, payload: schema.Payload, depth: int | None = None) -> StatsTable:
        """Build the table from a payload: the numbers the widget shows, one row per node.

        With ``depth``, each group ``depth`` levels down (1 = top-level modules) is one row
        carrying its subtree's sums, instead of the nodes inside it.
        """
        if depth is not None and depth < 1:
            raise ValueError(f"depth must be at least 1 (the top-level modules), got {depth}")
        groups = {g["id"]: g for g in payload["groups"]}
        nodes = {n["id"]: n for n in payload["nodes"]}
        rows: list[Row] = []

        def visit(member: str, level: int) -> None:
            if member in groups:
                group = groups[member]
                if depth is not None and level >= depth:
                    assumed = group.get("estimated", [])
                    rows.append(_row(group["id"], group["op"], group["stats"], [], assumed))
                    return
                for child in group["children"]:
                    visit(child, level + 1)
            elif member in nodes and nodes[member]["kind"] in ("module", "function"):
                node = nodes[member]
                rows.append(
                    _row(node["id"], node["op"], node["stats"], node["uncounted"], node.get("estimated", []))
                )

        for member in schema.top_level_members(payload):
            visit(member, 1)
        listed = str(payload["totals"].get("uncounted") or "")
        assumed = str(payload["totals"].get("estimated") or "")
        declared = {c["key"] for c in payload["columns"]}
        columns = [k for k in TABLE_KEYS if k not in _OPTIONAL or _OPTIONAL[k] in declared]
        totals = _row(
            "total",
            "",
            payload["totals"],
            listed.split(", ") if listed else [],
            assumed.split(ESTIMATES_JOINED) if assumed else [],
        )
        return cls(rows, totals, columns)

    def to_csv(self, path: str | Path) -> None:
        """Write the rows and the totals row as CSV, with the stable column keys as header."""
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            for row in [*self.rows, self.totals]:
                writer.writerow({k: plain(row.get(k)) for k in self.columns})

    def to_pandas(self) -> Any:  # noqa: ANN401  # a pandas.DataFrame; pandas is optional
        """Return the rows as a ``pandas.DataFrame`` (the totals are in :attr:`totals`).

        The columns are ours (:data:`TABLE_KEYS`) followed by tensorwatch's ``model_stats`` names
        (torchstat's report), so code written against tensorwatch keeps working. Those are derived
        from our exact counts; where torchstat's own formulas differ, ours are kept:

        * ``module name``: the row name. ``input shape`` / ``output shape``: the first input /
          output tensor's full shape as a tuple, batch included (``None`` for a folded group).
        * ``params``: the parameters the module owns (as ours; torchstat counts them the same way).
        * ``memory(MB)``: ``activation_bytes / 2**20``, the outputs in their real dtype
          (torchstat assumes 4 bytes per element).
        * ``MAdd``: torchstat counts a multiply and an add as two operations (``K`` multiplies and
          ``K - 1`` adds per dot product, plus the bias), i.e. about ``2 × MACs``; that is our
          ``flops``: ``2 × macs`` + one per element-wise op and bias element. torchstat counts per
          sample (it runs batch 1) and skips Linear's bias; ours is the whole batch, every op.
        * ``Flops``: torchstat counts a multiply-accumulate as one operation plus one per element
          of activations, norms and biases, i.e. ``flops - macs`` here (torchstat skips Linear's
          bias; we count it).
        * ``MemRead(B)`` / ``MemWrite(B)``: ``read_bytes`` (inputs + owned parameters and
          buffers) / ``write_bytes`` (outputs), in bytes. torchstat multiplies the parameters by
          the batch size and ignores buffers; we read each parameter once.
        """
        try:
            import pandas as pd  # noqa: PLC0415  # optional dependency
        except ImportError as error:
            raise ImportError("StatsTable.to_pandas() needs pandas: pip install pandas") from error
        # `params` means the same in both, so it appears once
        extra = [k for k in TENSORWATCH_KEYS if k not in self.columns]
        records = [{**{k: row.get(k) for k in self.columns}, **tensorwatch_columns(row)} for row in self.rows]
        return pd.DataFrame(records, columns=[*self.columns, *extra])

    def to_markdown(self) -> str:
        """Return a GitHub-flavoured Markdown table of the rows and the totals, for a README.

        The columns of ``str(table)``, numbers humanised (``1.23 M``, ``4.00 MiB``); user strings
        (module names, types) have Markdown's active characters backslash-escaped, ``|``
        included, so a name cannot break the table or turn into a link or HTML.
        """
        header = [_MARKDOWN_LABELS.get(c, c) for c in self._shown()]
        align = ["---:" if c in _NUMERIC else ":---" for c in self._shown()]
        lines = [markdown_row(header), markdown_row(align)]
        lines += [markdown_row([_cell(c, row, markdown_cell) for c in self._shown()]) for row in self.rows]
        total = [_cell(c, self.totals, markdown_cell) for c in self._shown()]
        lines.append(markdown_row(["**total**", *total[1:]]))
        if self.totals.get("uncounted"):
            lines += ["", "Uncounted ops: " + markdown_escape(", ".join(self.totals["uncounted"]))]
        if self.totals.get("estimated"):
            lines += ["", "≈ Estimated, assuming " + markdown_escape("; ".join(self.totals["estimated"]))]
        lines += [
            line for summary in stats_training.summary(self.totals) for line in ("", markdown_escape(summary))
        ]
        return "\n".join(lines) + "\n"

    def sorted_by(self, key: str, *, descending: bool = True) -> StatsTable:
        """Return a copy whose rows are ordered by the numeric column ``key`` (largest first).

        Rows without a value for ``key`` go last; ties keep their call order.
        """
        sortable = [c for c in self.columns if c in _NUMERIC]
        if key not in sortable:
            raise ValueError(f"cannot sort by {key!r}; choose one of {', '.join(sortable)}")
        with_value = [r for r in self.rows if isinstance(r.get(key), int | float)]
        without = [r for r in self.rows if not isinstance(r.get(key), int | float)]
        with_value.sort(key=lambda r: r[key], reverse=descending)
        return StatsTable([*with_value, *without], self.totals, list(self.columns))

    def _shown(self) -> list[str]:
        """Return the columns of the text, Markdown and HTML tables (a values trace adds some)."""
        return _TEXT_COLUMNS + [k for k in _TEXT_VALUES if k in self.columns]

    def __str__(self) -> str:
        cells = [[_cell(c, row, human) for c in self._shown()] for row in [*self.rows, self.totals]]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(self._shown())]

        def line(values: Sequence[str]) -> str:
            return "  ".join(
                v.rjust(w) if i >= 3 else v.ljust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            ).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        text = [line(self._shown()), rule, *(line(r) for r in cells[:-1]), rule, line(cells[-1])]
        if self.totals.get("uncounted"):
            text.append("uncounted: " + ", ".join(self.totals["uncounted"]))
        if self.totals.get("estimated"):
            text.append("≈ estimated, assuming " + "; ".join(self.totals["estimated"]))
        text += stats_training.summary(self.totals)
        return "\n".join(text)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self._shown())
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(c, row, human))}</td>" for c in self._shown()) + "</tr>"
            for row in [*self.rows, self.totals]
        )
        note = ""
        if self.totals.get("estimated"):
            assumed = html.escape("; ".join(self.totals["estimated"]))
            note = f"<p class='torchscope-estimated'>≈ estimated, assuming {assumed}</p>"
        table = f"<table class='torchscope-stats'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return table + note


def _row(
    name: str, op: str, stats: dict[str, schema.StatValue], uncounted_ops: list[str], estimated: list[str]
) -> Row:
    return {"name": name, "type": op, **stats, "uncounted": uncounted_ops, "estimated": list(estimated)}


def _cell(column: str, row: Row, render: Callable[[str, object], str]) -> str:
    """One cell written by ``render``; the counts of an estimated row are marked ``≈``."""
    text = render(column, row.get(column))
    return f"≈{text}" if column in ("macs", "flops") and row.get("estimated") and text else text


def tensorwatch_columns(row: Row) -> Row:
    """Return tensorwatch's (torchstat's) columns for one row; see :meth:`StatsTable.to_pandas`."""

    def first(key: str) -> tuple[int, ...] | None:
        shapes = row.get(key)
        return tuple(shapes[0]) if isinstance(shapes, list) and shapes else None

    def number(key: str) -> int | float | None:
        value = row.get(key)
        return value if isinstance(value, int | float) else None

    macs, flops, activations = number("macs"), number("flops"), number("activation_bytes")
    return {
        "module name": row.get("name"),
        "input shape": first("input_shapes"),
        "output shape": first("output_shapes"),
        "params": number("params"),
        "memory(MB)": None if activations is None else activations / 2**20,
        "MAdd": flops,
        "Flops": None if flops is None or macs is None else flops - macs,
        "MemRead(B)": number("read_bytes"),
        "MemWrite(B)": number("write_bytes"),
    }
