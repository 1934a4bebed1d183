"""Per-layer statistics of a traced model, as a table: ``model_stats`` returns a StatsTable.

Foundation slice: one row per leaf-module call with its output shape and parameter counts;
totals come from the model's unique parameters (tied weights count once). The stats issue adds
MACs, FLOPs, memory and latency from the ATen-level cost registry.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from torchscope import schema

StatRow = dict[str, str | int]


@dataclass
class StatsTable:
    """Rows of per-layer statistics with stable column keys and a totals row."""

    rows: list[StatRow]
    totals: StatRow
    columns: list[str]

    @classmethod
    def from_payload(cls, payload: schema.Payload) -> StatsTable:
        """Build the table from a payload, so the table and the widget show the same numbers."""
        rows: list[StatRow] = []
        for node in payload["nodes"]:
            if node["kind"] not in ("module", "function"):
                continue
            stats = node["stats"]
            rows.append(
                {
                    "name": node["id"],
                    "type": node["op"],
                    "output_shapes": _shapes(node["outputs"]),
                    "params": _int(stats.get("params")),
                    "params_trainable": _int(stats.get("params_trainable")),
                }
            )
        totals: StatRow = {
            "name": "total",
            "type": "",
            "output_shapes": "",
            "params": _int(payload["totals"].get("params")),
            "params_trainable": _int(payload["totals"].get("params_trainable")),
        }
        return cls(rows, totals, ["name", "type", "output_shapes", "params", "params_trainable"])

    def to_csv(self, path: str | Path) -> None:
        """Write the rows and the totals row as CSV with the stable column keys as header."""
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows([*self.rows, self.totals])

    def __str__(self) -> str:
        table = [[_humanise(row[c]) for c in self.columns] for row in [*self.rows, self.totals]]
        header = self.columns
        widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))

        def line(cells: Sequence[str]) -> str:
            return "  ".join(
                c.rjust(w) if i >= 3 else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        body = [line(r) for r in table[:-1]]
        return "\n".join([line(header), rule, *body, rule, line(table[-1])])

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_humanise(row[c]))}</td>" for c in self.columns) + "</tr>"
            for row in [*self.rows, self.totals]
        )
        return f"<table class='torchscope-stats'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _shapes(metas: list[schema.TensorMeta]) -> str:
    return ", ".join("[" + ", ".join(str(d) for d in m["shape"]) + "]" for m in metas)


def _humanise(value: str | int) -> str:
    if isinstance(value, str):
        return value
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f} {unit}"
    return str(value)
