"""The merged payload: graph b with what only a had drawn into it, and the ``diff`` section.

* Ids: a pair and an added member keep b's id; a removed member keeps a's id, or ``a:`` + it
  where b uses that id for something else.
* Places: b's hierarchy, with each removed member inside the counterpart of its group in a, after
  the counterpart of what came before it in a (in call order). A member a wraps and b does not
  (a removed wrapper) is drawn inside that wrapper; a wrapper left empty is not drawn.
* Edges: b's, plus a's edges that touch a removed node.
* Statistics: b's (a's for a removed member), plus a ``delta_<key>`` column per number: b − a
  (+b for an added member, −a for a removed one), present only where it is not zero.
* ``diff``: both models, both totals, which column is the delta of which, and for every merged
  node and group its status, the ids on each side, what changed (with both values) and whether it
  is a wrapper. The details panel reads both sides from there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from torchscope import schema
from torchscope.diff.compare import Entry
from torchscope.diff.tree import Side

DELTA_PREFIX = "delta_"
_NUMERIC_KINDS = ("count", "bytes")


def merged_ids(entries: list[Entry]) -> list[str]:
    """Return the merged id of every entry (in the same order)."""
    taken = {e.b for e in entries if e.b is not None}
    ids: list[str] = []
    for entry in entries:
        if entry.b is not None:
            ids.append(entry.b)
            continue
        assert entry.a is not None  # noqa: S101  # an entry has at least one side
        candidate = entry.a
        while candidate in taken:
            candidate = f"a:{candidate}"
        taken.add(candidate)
        ids.append(candidate)
    return ids


class Merger:
    """Builds the merged payload from two sides and their entries."""

    def __init__(self, a: Side, b: Side, entries: list[Entry], names: tuple[str, str]) -> None:
        self.a, self.b, self.names = a, b, names
        self.entries: dict[str, Entry] = dict(zip(merged_ids(entries), entries, strict=True))
        self.id_a = {e.a: i for i, e in self.entries.items() if e.a is not None}
        self.id_b = {e.b: i for i, e in self.entries.items() if e.b is not None}
        self.parent = {i: self._parent(e) for i, e in self.entries.items()}
        self.sequence = {member: n for n, member in enumerate(self._sequence())}
        self.columns = _columns(a.payload["columns"], b.payload["columns"])
        self.deltas = {
            f"{DELTA_PREFIX}{c['key']}": c["key"] for c in self.columns if c["kind"] in _NUMERIC_KINDS
        }

    def payload(self) -> schema.Payload:
        """Return the merged payload, ``diff`` section included."""
        children = self._children()
        drawn = {i for i, e in self.entries.items() if not e.is_group or children.get(i)}
        ordered = sorted(drawn, key=self.sequence.__getitem__)
        groups = [i for i in ordered if self.entries[i].is_group]
        groups.sort(key=lambda g: (self._depth(g), self.sequence[g]))
        totals_a, totals_b = self.a.payload["totals"], self.b.payload["totals"]
        return schema.Payload(
            schema=schema.SCHEMA_VERSION,
            model=schema.ModelInfo(**{**self.b.payload["model"], "name": " → ".join(self.names)}),
            columns=[*self.columns, *self._delta_columns()],
            nodes=[self._node(i) for i in ordered if not self.entries[i].is_group],
            groups=[self._group(g, [c for c in children[g] if c in drawn]) for g in groups],
            edges=self._edges(drawn),
            roots=[i for i in ordered if self.parent[i] is None],
            totals={**totals_b, **_deltas(totals_a, totals_b, self.deltas)},
            diff=schema.DiffSection(
                a=self.a.payload["model"],
                b=self.b.payload["model"],
                names=list(self.names),
                totals={"a": totals_a, "b": totals_b},
                deltas=self.deltas,
                items={i: self._item(i) for i in ordered},
            ),
        )

    # -- places ---------------------------------------------------------------------------------

    def _parent(self, entry: Entry) -> str | None:
        parent_a = self.a.members[entry.a].parent if entry.a is not None else None
        if entry.b is None:
            return None if parent_a is None else self.id_a[parent_a]
        parent_b = self.b.members[entry.b].parent
        wrapped_in_a = parent_a is not None and self.entries[self.id_a[parent_a]].status == "removed"
        wrapped_in_b = parent_b is not None and self.entries[self.id_b[parent_b]].wrapper
        if wrapped_in_a and not wrapped_in_b:
            return self.id_a[parent_a]  # type: ignore[index]  # checked just above
        return None if parent_b is None else self.id_b[parent_b]

    def _sequence(self) -> list[str]:
        """Every merged member in drawing order: b's, with a's removed ones after their predecessor."""
        after: dict[str | None, list[str]] = defaultdict(list)
        previous: str | None = None
        for member in self.a.order:  # a dict in drawing order
            merged = self.id_a[member]
            if self.entries[merged].b is None:
                after[previous].append(merged)
            previous = merged
        walk: list[str] = []

        def emit(member: str | None) -> None:
            if member is not None:
                walk.append(member)
            for follower in after.pop(member, []):
                emit(follower)

        emit(None)
        for member in self.b.order:
            emit(member)
        return walk

    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = defaultdict(list)
        for member in sorted(self.entries, key=self.sequence.__getitem__):
            parent = self.parent[member]
            if parent is not None:
                children[parent].append(member)
        # a group with nothing left to hold is not drawn, and then neither is a parent it emptied
        empty = {g for g, e in self.entries.items() if e.is_group and not children.get(g)}
        while empty:
            for group in empty:
                children.pop(group, None)
            for members in children.values():
                members[:] = [m for m in members if m not in empty]
            empty = {g for g, e in self.entries.items() if e.is_group and g in children and not children[g]}
        return children

    def _depth(self, member: str) -> int:
        depth, parent = 0, self.parent[member]
        while parent is not None:
            depth, parent = depth + 1, self.parent[parent]
        return depth

    # -- records ------------------------------------------------------------------------------

    def _side(self, member: str) -> tuple[Side, str]:
        entry = self.entries[member]
        return (self.b, entry.b) if entry.b is not None else (self.a, entry.a)  # type: ignore[return-value]

    def _stats(self, member: str) -> dict[str, schema.StatValue]:
        entry = self.entries[member]
        stats_a, stats_b = sides(self.a, self.b, entry)
        own = stats_b if entry.b is not None else stats_a
        return {**(own or {}), **_deltas(stats_a, stats_b, self.deltas)}

    def _node(self, member: str) -> schema.Node:
        side, own = self._side(member)
        # the record is copied whole; only its id, parent and statistics are the merged graph's
        node = schema.Node(**side.nodes[own])
        node["id"], node["parent"], node["stats"] = member, self.parent[member], self._stats(member)
        return node

    def _group(self, member: str, children: list[str]) -> schema.Group:
        side, own = self._side(member)
        record = side.groups[own]
        group = schema.Group(
            id=member,
            op=record["op"],
            label=record["label"],
            parent=self.parent[member],
            children=children,
            stats=self._stats(member),
        )
        if "kind" in record:
            group["kind"] = record["kind"]
        repeat = record.get("repeat_of")
        if repeat is not None:
            target = (self.id_b if side is self.b else self.id_a).get(repeat)
            if target is not None and self.parent.get(target) == group["parent"]:
                group["repeat_of"] = target
        return group

    def _edges(self, drawn: set[str]) -> list[schema.Edge]:
        edges: dict[tuple[str, str], schema.Edge] = {}
        for edge in self.b.payload["edges"]:
            ends = (self.id_b[edge["source"]], self.id_b[edge["target"]])
            edges[ends] = schema.Edge(**{**edge, "source": ends[0], "target": ends[1]})
        for edge in self.a.payload["edges"]:
            ends = (self.id_a[edge["source"]], self.id_a[edge["target"]])
            removed = any(self.entries[e].b is None for e in ends)
            if removed and ends[0] != ends[1] and ends not in edges:
                edges[ends] = schema.Edge(**{**edge, "source": ends[0], "target": ends[1]})
        return [e for e in edges.values() if e["source"] in drawn and e["target"] in drawn]

    def _item(self, member: str) -> schema.DiffItem:
        entry = self.entries[member]
        item = schema.DiffItem(status=entry.status, a=entry.a, b=entry.b)
        if entry.changes:
            item["changes"] = [schema.DiffChange(field=c.field, a=c.a, b=c.b) for c in entry.changes]
        if entry.wrapper:
            item["wrapper"] = True
        return item

    def _delta_columns(self) -> list[schema.Column]:
        by_key = {c["key"]: c for c in self.columns}
        return [
            schema.Column(
                key=delta,
                label=f"Δ {by_key[base]['label']}",
                unit=by_key[base]["unit"],
                kind=by_key[base]["kind"],
            )
            for delta, base in self.deltas.items()
        ]


def sides(
    a: Side, b: Side, entry: Entry
) -> tuple[Mapping[str, schema.StatValue] | None, Mapping[str, schema.StatValue] | None]:
    """Return the two statistics a delta is taken between (a wrapper's counterpart for its absent side)."""
    stats_a = a.stats(entry.a) if entry.a is not None else entry.wrapped
    stats_b = b.stats(entry.b) if entry.b is not None else entry.wrapped
    return stats_a, stats_b


def _columns(columns_a: list[schema.Column], columns_b: list[schema.Column]) -> list[schema.Column]:
    """Return the columns of b, with any only a has (latency measured on one side) before the text ones."""
    known = {c["key"] for c in columns_b}
    extra = [c for c in columns_a if c["key"] not in known]
    numbers = [c for c in columns_b if c["kind"] != "text"]
    texts = [c for c in columns_b if c["kind"] == "text"]
    return [
        *numbers,
        *[c for c in extra if c["kind"] != "text"],
        *texts,
        *[c for c in extra if c["kind"] == "text"],
    ]


def _deltas(
    a: Mapping[str, schema.StatValue] | None,
    b: Mapping[str, schema.StatValue] | None,
    deltas: Mapping[str, str],
) -> dict[str, schema.StatValue]:
    """``delta_<key>`` for every number that changed."""
    found: dict[str, schema.StatValue] = {}
    for name, base in deltas.items():
        value = delta(a, b, base)
        if value:
            found[name] = value
    return found


def delta(
    a: Mapping[str, schema.StatValue] | None, b: Mapping[str, schema.StatValue] | None, key: str
) -> int | float | None:
    """Return b − a of one statistic; an absent side counts 0 (None when a present side lacks it)."""
    x = 0 if a is None else _number(a.get(key))
    y = 0 if b is None else _number(b.get(key))
    return None if x is None or y is None else y - x


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
