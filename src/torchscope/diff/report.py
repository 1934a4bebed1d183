"""ModelDiff as text, Markdown and CSV: the totals side by side, then what differs."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchscope.cells import markdown_escape
from torchscope.exports import shape_text

if TYPE_CHECKING:
    from torchscope.diff.compare import Change
    from torchscope.diff.model import ModelDiff

_BYTES = ("param_bytes", "buffer_bytes", "activation_bytes", "read_bytes", "write_bytes")
_LABELS = {
    "params": "Params", "params_trainable": "Trainable params", "macs": "MACs", "flops": "FLOPs",
    "param_bytes": "Param memory", "buffer_bytes": "Buffer memory", "activation_bytes": "Activations",
    "read_bytes": "Read", "write_bytes": "Write", "latency_ms": "Latency (ms)",
}  # fmt: skip
# the deltas a differences table shows: what people compare models by
_DELTA_KEYS = ("params", "macs", "flops", "activation_bytes")
_SIGNS = {"same": "=", "changed": "~", "added": "+", "removed": "-"}
# at most this many differences in str(); to_markdown and to_csv list them all
_TEXT_LIMIT = 40
_VALUES_LIMIT = 10  # nodes listed by how far their outputs moved


def summary(diff: ModelDiff) -> str:
    """``"3 changed · +8 added · −0 removed nodes · +2 blocks"``: the counts in one line."""
    counts = diff.counts()
    nodes, groups = counts["nodes"], counts["groups"]
    if not any(nodes[s] or groups[s] for s in ("changed", "added", "removed")):
        return "no differences"
    parts = [f"{nodes['changed']} changed · +{nodes['added']} added · −{nodes['removed']} removed nodes"]
    tops = [r for r in diff.differences() if r["kind"] == "group" and r["status"] in ("added", "removed")]
    for label, rows in (
        ("blocks", [r for r in tops if not r["wrapper"]]),
        ("wrappers", [r for r in tops if r["wrapper"]]),
    ):
        added = sum(r["status"] == "added" for r in rows)
        removed = sum(r["status"] == "removed" for r in rows)
        if added or removed:
            parts.append(f"+{added} −{removed} {label}")
    return " · ".join(parts)


def text(diff: ModelDiff) -> str:
    """Return the report ``str(diff)`` prints."""
    name_a, name_b = diff.names
    head = ["", name_a, name_b, "Δ", "ratio"]
    totals = [[_LABELS.get(k, k), *_total_cells(diff, k)] for k in _totalled(diff)]
    lines = [f"{name_a} → {name_b}: {summary(diff)}", "", *_columns([head, *totals], right_from=1)]
    if diff.value_changes is not None:
        moved = [[member, f"{change:.3g}"] for member, change in diff.largest_value_changes(_VALUES_LIMIT)]
        lines += ["", "largest relative L2 change of the outputs:"]
        lines += ["  " + line for line in _columns([["node", "‖b − a‖ / ‖a‖"], *moved], right_from=1)]
    differences = diff.differences()
    if differences:
        lines += ["", f"differences ({len(differences)}):"]
        body = [_difference_cells(diff, row, limit=80) for row in differences[:_TEXT_LIMIT]]
        lines += ["  " + line for line in _columns([_difference_head(), *body], right_from=4)]
        if len(differences) > _TEXT_LIMIT:
            lines.append(
                f"  … {len(differences) - _TEXT_LIMIT} more (to_markdown() or to_csv() lists them all)"
            )
    return "\n".join(lines)


def _totalled(diff: ModelDiff) -> list[str]:
    """Return the numeric columns with a model total on either side (NaN counts have none)."""
    return [k for k in diff.numeric_keys if k in diff.a["totals"] or k in diff.b["totals"]]


def markdown(diff: ModelDiff) -> str:
    """Return the totals and every difference as GitHub-flavoured Markdown tables."""
    name_a, name_b = (markdown_escape(n) for n in diff.names)
    lines = [f"**{name_a} → {name_b}**: {markdown_escape(summary(diff))}", ""]
    lines += [_md_row(["", name_a, name_b, "Δ", "ratio"]), _md_row([":---", "---:", "---:", "---:", "---:"])]
    lines += [_md_row([_LABELS.get(k, k), *_total_cells(diff, k)]) for k in _totalled(diff)]
    if diff.value_changes is not None:
        lines += ["", _md_row(["node", "relative L2 change of the outputs"]), _md_row([":---", "---:"])]
        moved = diff.largest_value_changes(_VALUES_LIMIT)
        lines += [_md_row([markdown_escape(member), f"{change:.3g}"]) for member, change in moved]
    differences = diff.differences()
    if differences:
        head = _difference_head()
        lines += ["", _md_row(head), _md_row([":---"] * 4 + ["---:"] * (len(head) - 4))]
        lines += [_md_row([markdown_escape(c) for c in _difference_cells(diff, row)]) for row in differences]
    return "\n".join(lines) + "\n"


def write_csv(diff: ModelDiff, path: Path) -> Path:
    """Every row, then a ``total`` row, with the row keys as header; lists joined by ``; ``."""
    rows = diff.rows
    fields = list(rows[0]) if rows else ["id", "status"]
    total: dict[str, Any] = {"id": "total", "status": ""}
    for key, values in diff.totals.items():
        for side in ("a", "b", "delta"):
            if f"{key}_{side}" in fields:
                total[f"{key}_{side}"] = values.get(side)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in [*rows, total]:
            writer.writerow({k: _plain(row.get(k)) for k in fields})
    return path


def describe(change: Change) -> str:
    """``kernel_size [3, 3] → [5, 5]``: one change as people read it."""
    name = change.field.removeprefix("attrs.")
    if change.field in ("inputs", "outputs"):
        return f"{name} {_tensors(change.a)} → {_tensors(change.b)}"
    if change.field == "contents":
        return "contents"
    if change.field in _LABELS:
        return f"{_LABELS[change.field]} {_human(change.field, change.a)} → {_human(change.field, change.b)}"
    return f"{name} {_short(change.a)} → {_short(change.b)}"


def _total_cells(diff: ModelDiff, key: str) -> list[str]:
    values = diff.totals[key]
    ratio = values["ratio"]
    return [
        _human(key, values["a"]),
        _human(key, values["b"]),
        _human(key, values["delta"], signed=True),
        "" if ratio is None else f"{ratio:.4g}×",
    ]


def _difference_head() -> list[str]:
    return ["", "id", "type", "changes", *(f"Δ {_LABELS[k]}" for k in _DELTA_KEYS)]


def _difference_cells(diff: ModelDiff, row: dict[str, Any], limit: int | None = None) -> list[str]:
    # the numbers with a column of their own, and those that follow from shapes, are not repeated
    hidden = {*_DELTA_KEYS, "read_bytes", "write_bytes", "param_bytes", "contents"}
    changes = diff.changes_of(row["id"])
    # the repr restates the attributes: shown only when no attribute says what changed
    if any(c.field.startswith("attrs.") for c in changes):
        hidden.add("repr")
    # all parameters trainable on both sides: the trainable count says nothing new
    by_field = {c.field: c for c in changes}
    params, trainable = by_field.get("params"), by_field.get("params_trainable")
    if params is not None and trainable is not None and (params.a, params.b) == (trainable.a, trainable.b):
        hidden.add("params_trainable")
    what = "; ".join(describe(c) for c in changes if c.field not in hidden)
    if row["wrapper"]:
        what = "wrapper" + (f"; {what}" if what else "")
    if limit is not None:
        what = _short(what, limit)
    deltas = [_human(k, row.get(f"{k}_delta"), signed=True) for k in _DELTA_KEYS]
    return [_SIGNS[row["status"]], row["id"], row["type"], what, *deltas]


def _columns(table: Sequence[Sequence[str]], right_from: int) -> list[str]:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return [
        "  ".join(
            c.rjust(w) if i >= right_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in table
    ]


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _human(key: str, value: object, *, signed: bool = False) -> str:
    """Format a count in K/M/G or bytes in KiB/MiB/GiB, with a sign when it is a delta."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else ("−" if value < 0 else "")
    size = abs(value)
    binary = key in _BYTES
    units = (
        ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")) if binary else ((1e9, "G"), (1e6, "M"), (1e3, "K"))
    )
    for scale, unit in units:
        if size >= scale:
            return f"{sign}{size / scale:.2f} {unit}"
    if isinstance(size, float) and not size.is_integer():
        return f"{sign}{size:.3g}"
    return f"{sign}{int(size)}" + (" B" if binary else "")


def _tensors(value: object) -> str:
    if not isinstance(value, list):
        return str(value)
    return ", ".join(shape_text(t[0]) if isinstance(t, list) and t else str(t) for t in value) or "none"


def _short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value
