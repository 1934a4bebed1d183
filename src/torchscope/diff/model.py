"""ModelDiff: two traced models aligned, with a status per node and group and every delta."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchscope import schema
from torchscope.diff import report
from torchscope.diff import values as value_diff
from torchscope.diff.align import align
from torchscope.diff.compare import CONTENTS, Change, Entry, Status, compare
from torchscope.diff.payload import Merger, delta, sides
from torchscope.diff.tree import Side

if TYPE_CHECKING:
    from torchscope.diff.widget import DiffView
    from torchscope.trace.records import Trace

Row = dict[str, Any]
_NUMERIC_KINDS = ("count", "bytes")


class ModelDiff:
    """Graph a against graph b: what was added, removed and changed, and what each costs.

    Build one with :func:`torchscope.diff`. ``str(d)`` is a text report, :meth:`to_markdown` a
    README-ready one, :meth:`to_csv` / :meth:`to_pandas` give every row; in a notebook it displays
    as the merged diagram (:meth:`draw`).
    """

    def __init__(
        self,
        a: schema.Payload,
        b: schema.Payload,
        names: tuple[str, str] | None = None,
        traces: tuple[Trace, Trace] | None = None,
    ) -> None:
        self.a = schema.validate(a)
        self.b = schema.validate(b)
        self.names: tuple[str, str] = names if names is not None else _default_names(a, b)
        side_a, side_b = Side(a), Side(b)
        alignment = align(side_a, side_b)
        entries = compare(side_a, side_b, alignment)
        self._merger = Merger(side_a, side_b, entries, self.names)
        # every entry in merged drawing order (a wrapper left empty has no box, but still a row)
        self._entries = sorted(self._merger.entries.items(), key=lambda item: self._merger.sequence[item[0]])
        self._sides = (side_a, side_b)
        # two values traces: how far each member's outputs moved (see torchscope.diff.values)
        self.value_changes: dict[str, float | None] | None = (
            None if traces is None else value_diff.changes(*traces, self._compared_pairs(alignment.replaced))
        )

    def _compared_pairs(self, replaced: dict[str, str]) -> dict[str, tuple[str, str]]:
        """Return merged id → (a id, b id) of every pair, and of each layer rebuilt as the other kind.

        A replaced layer's change is b's member's: the layer as it now is, against what it was.
        """
        entries = self._merger.entries.items()
        pairs = {m: (e.a, e.b) for m, e in entries if e.a is not None and e.b is not None}
        pairs.update({self._merger.id_b[y]: (x, y) for x, y in replaced.items()})
        return pairs

    @cached_property
    def payload(self) -> schema.Payload:
        """The merged payload the widget draws (b's graph with a's removed members drawn in)."""
        merged = self._merger.payload()
        if self.value_changes is not None:
            merged["columns"].append(value_diff.COLUMN)
            for member in [*merged["nodes"], *merged["groups"]]:
                if (change := self.value_changes.get(member["id"])) is not None:
                    member["stats"][value_diff.COLUMN["key"]] = float(f"{change:.4g}")
        return schema.validate(merged)

    # -- what changed -------------------------------------------------------------------------

    @property
    def changed(self) -> list[str]:
        """Ids (in b) of the pairs that differ, nodes and the groups that roll them up."""
        return [e.b for _, e in self._entries if e.status == "changed" and e.b is not None]

    @property
    def added(self) -> list[str]:
        """Ids (in b) of the nodes and groups only b has."""
        return [e.b for _, e in self._entries if e.status == "added" and e.b is not None]

    @property
    def removed(self) -> list[str]:
        """Ids (in a) of the nodes and groups only a has."""
        return [e.a for _, e in self._entries if e.status == "removed" and e.a is not None]

    def status(self, member: str) -> Status:
        """Return the status of a merged id (b's id, or a's for a removed member)."""
        return self._merger.entries[member].status

    def changes_of(self, member: str) -> list[Change]:
        """Return what differs in the pair ``member`` (a merged id), with both values."""
        return list(self._merger.entries[member].changes)

    def parent_of(self, member: str) -> str | None:
        """Return the merged id of the group around ``member`` in the merged graph (None at the top)."""
        return self._merger.parent[member]

    def pair(self, member: str) -> tuple[str | None, str | None]:
        """Return the ids in a and in b of the merged id ``member`` (None for a side that lacks it)."""
        entry = self._merger.entries[member]
        return entry.a, entry.b

    # -- numbers --------------------------------------------------------------------------------

    @cached_property
    def totals(self) -> dict[str, dict[str, Any]]:
        """For every numeric column: ``{"a", "b", "delta", "ratio"}`` of the model totals.

        ``ratio`` is b / a (None when a is 0); ``uncounted`` lists each side's uncounted ops.
        """
        totals_a, totals_b = self.a["totals"], self.b["totals"]
        result: dict[str, dict[str, Any]] = {}
        for key in self.numeric_keys:
            x, y = _number(totals_a.get(key)), _number(totals_b.get(key))
            delta = None if x is None or y is None else y - x
            ratio = None if x is None or y is None or x == 0 else y / x
            result[key] = {"a": x, "b": y, "delta": delta, "ratio": ratio}
        result["uncounted"] = {"a": totals_a.get("uncounted", ""), "b": totals_b.get("uncounted", "")}
        return result

    @cached_property
    def numeric_keys(self) -> list[str]:
        """The statistic columns that are numbers (params, macs, flops, bytes, latency)."""
        return [c["key"] for c in self._merger.columns if c["kind"] in _NUMERIC_KINDS]

    @cached_property
    def rows(self) -> list[Row]:
        """One row per aligned pair and per member of one side, in the merged drawing order.

        Keys: ``id`` (merged), ``a`` / ``b`` (each side's id or None), ``status``, ``kind``
        (``group`` or the node kind), ``type``, ``wrapper``, ``changes`` (the fields that differ),
        then ``<stat>_a``, ``<stat>_b`` and ``<stat>_delta`` for every number and
        ``output_shapes_a`` / ``output_shapes_b``.
        """
        return [self._row(member, entry) for member, entry in self._entries]

    def _row(self, member: str, entry: Entry) -> Row:
        side_a, side_b = self._sides
        stats_a = side_a.stats(entry.a) if entry.a is not None else {}
        stats_b = side_b.stats(entry.b) if entry.b is not None else {}
        record = side_b.members[entry.b] if entry.b is not None else side_a.members[entry.a]  # type: ignore[index]
        op_change = next((c for c in entry.changes if c.field == "op"), None)
        row: Row = {
            "id": member,
            "a": entry.a,
            "b": entry.b,
            "status": entry.status,
            "kind": record.kind,
            "type": f"{op_change.a} → {op_change.b}" if op_change is not None else record.op,
            "wrapper": entry.wrapper,
            "changes": [c.field for c in entry.changes],
        }
        base_a, base_b = sides(side_a, side_b, entry)
        for key in self.numeric_keys:
            x = _number(stats_a.get(key)) if entry.a is not None else None
            y = _number(stats_b.get(key)) if entry.b is not None else None
            row[f"{key}_a"], row[f"{key}_b"] = x, y
            row[f"{key}_delta"] = delta(base_a, base_b, key)
        row["output_shapes_a"] = stats_a.get("output_shapes") if entry.a is not None else None
        row["output_shapes_b"] = stats_b.get("output_shapes") if entry.b is not None else None
        if self.value_changes is not None:
            row["value_change"] = self.value_changes.get(member)
        return row

    def largest_value_changes(self, count: int = 10) -> list[tuple[str, float]]:
        """Return the ``count`` nodes whose outputs moved most (merged id, relative L2 change).

        Only for a diff of two values traces; raises ``ValueError`` otherwise.
        """
        if self.value_changes is None:
            raise ValueError("diff two graphs traced with values=True to compare their values")
        known = [(m, c) for m, c in self.value_changes.items() if c is not None]
        return sorted(known, key=lambda item: -item[1])[:count]

    def differences(self) -> list[Row]:
        """Return the rows a reader needs: each added or removed subtree once, every changed node.

        A changed group is left out when it only rolls up what changed inside it (its statistics
        are sums over its members); it stays when its own type or name changed, or when its
        statistics changed with nothing inside changing (parameters it holds directly).
        """
        rows = {r["id"]: r for r in self.rows}
        parent = self._merger.parent
        stats = set(self.numeric_keys)
        kept: list[Row] = []
        for row in self.rows:
            status = row["status"]
            up = parent.get(row["id"])
            if status == "same" or (
                status in ("added", "removed") and up is not None and rows[up]["status"] == status
            ):
                continue
            changes = set(row["changes"])
            own = changes - stats - {CONTENTS}
            if status == "changed" and row["kind"] == "group" and not own and CONTENTS in changes:
                continue
            kept.append(row)
        return kept

    def counts(self) -> dict[str, dict[Status, int]]:
        """How many nodes and groups have each status."""
        result: dict[str, dict[Status, int]] = {
            "nodes": dict.fromkeys(("same", "changed", "added", "removed"), 0),
            "groups": dict.fromkeys(("same", "changed", "added", "removed"), 0),
        }
        for _, entry in self._entries:
            result["groups" if entry.is_group else "nodes"][entry.status] += 1
        return result

    # -- output ---------------------------------------------------------------------------------

    def to_pandas(self) -> Any:  # noqa: ANN401  # a pandas.DataFrame; pandas is optional
        """Return :attr:`rows` as a ``pandas.DataFrame`` (the totals are in :attr:`totals`)."""
        try:
            import pandas as pd  # noqa: PLC0415  # optional dependency
        except ImportError as error:
            raise ImportError("ModelDiff.to_pandas() needs pandas: pip install pandas") from error
        return pd.DataFrame(self.rows)

    def to_csv(self, path: str | Path) -> Path:
        """Write every row and a totals row as CSV; returns the path."""
        return report.write_csv(self, Path(path))

    def to_markdown(self) -> str:
        """Return the totals and the differences as GitHub-flavoured Markdown tables."""
        return report.markdown(self)

    def __str__(self) -> str:
        return report.text(self)

    def __repr__(self) -> str:
        return f"<ModelDiff {' → '.join(self.names)}: {report.summary(self)}>"

    def draw(self, orientation: str = "TB") -> DiffView:
        """Return the merged diagram widget (``orientation`` ``"TB"`` or ``"LR"``)."""
        from torchscope.diff.widget import DiffView  # noqa: PLC0415  # widgets only when drawn

        return DiffView(self.payload, orientation=orientation)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:  # noqa: ANN401  # IPython's hook: a bundle or (bundle, metadata)
        # the widget answers for itself, so a diff displays exactly as its diagram
        return self.draw()._repr_mimebundle_(**kwargs)

    def save_html(self, path: str | Path, orientation: str = "TB") -> Path:
        """Write the merged diagram as one self-contained, offline HTML page."""
        return self.draw(orientation).save_html(path)


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _default_names(a: schema.Payload, b: schema.Payload) -> tuple[str, str]:
    name_a, name_b = a["model"]["name"], b["model"]["name"]
    return (name_a, name_b) if name_a != name_b else (f"{name_a} (a)", f"{name_b} (b)")
