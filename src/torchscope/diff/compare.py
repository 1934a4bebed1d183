"""What changed between two aligned members, and the status of every node and group.

A pair of nodes is ``changed`` when any of these differ: the name (for pairs found by position or
shapes), the kind, the op type, an attribute, the input or output tensors (shape or dtype), the
module's ``repr``, the error, or a statistic. A pair of groups is ``changed`` when its type or a
statistic differs, or when anything inside it (on either side) is not ``same``: groups roll up
what changed below them. Measured latency never decides a status (two timings always differ), but
its delta is still reported; nor do the values a run saw (``values=True``): their relative change
is a column of its own (:mod:`torchscope.diff.values`). A member only in b is ``added``, only in a
``removed``, with all it holds; a wrapper (see :mod:`torchscope.diff.align`) is added or removed
and marked as one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from torchscope import flow, schema
from torchscope.diff.align import Alignment
from torchscope.diff.tree import Side, key

Status = Literal["same", "changed", "added", "removed"]
STATUSES: tuple[Status, ...] = ("same", "changed", "added", "removed")

# statistics that never make a member "changed": a timing differs on every run, so do the values
# a run saw (their change has a column of its own), and the shapes are compared as the node's
# tensors (with their dtypes)
_NOT_COMPARED = frozenset({"latency_ms", "input_shapes", "output_shapes", *flow.KEYS})
# the field that says a group changed because of what it holds, not of its own facts
CONTENTS = "contents"


@dataclass(frozen=True)
class Change:
    """One fact that differs; ``field`` is ``op``, ``attrs.kernel_size``, ``outputs``, ``macs``, etc."""

    field: str
    a: object
    b: object


@dataclass
class Entry:
    """One aligned pair, or one member found on a single side."""

    a: str | None
    b: str | None
    is_group: bool
    status: Status = "same"
    changes: list[Change] = field(default_factory=list)
    wrapper: bool = False
    # a wrapper's counterpart: the other side's statistics of what it holds, summed; its deltas are
    # taken against these (a LoRA wrapper adds its adapters, not the base layer it wraps)
    wrapped: dict[str, schema.StatValue] | None = None


def compare(a: Side, b: Side, alignment: Alignment) -> list[Entry]:
    """One entry per pair and per unpaired member, with statuses rolled up into groups."""
    entries: list[Entry] = []
    by_a: dict[str, Entry] = {}
    by_b: dict[str, Entry] = {}
    for x, y in alignment.pairs.items():
        entry = Entry(x, y, x in a.groups)
        entry.changes = _changes(a, x, b, y, renamed=alignment.how[x] in ("position", "shape"))
        entry.status = "changed" if entry.changes else "same"
        entries.append(entry)
        by_a[x] = by_b[y] = entry
    for x in a.members:
        if x not in by_a:
            by_a[x] = Entry(x, None, x in a.groups, "removed", wrapper=x in alignment.wrappers_a)
            entries.append(by_a[x])
    for y in b.members:
        if y not in by_b:
            by_b[y] = Entry(None, y, y in b.groups, "added", wrapper=y in alignment.wrappers_b)
            entries.append(by_b[y])
    _roll_up(a, b, [e for e in entries if e.is_group and e.status in ("same", "changed")], by_a, by_b)
    for entry in entries:
        if entry.wrapper:
            entry.wrapped = _wrapped_stats(a, b, entry, by_a, by_b)
    return entries


def _wrapped_stats(
    a: Side, b: Side, wrapper: Entry, by_a: dict[str, Entry], by_b: dict[str, Entry]
) -> dict[str, schema.StatValue]:
    """Sum the other side's statistics of what ``wrapper`` holds (its pairs, its inner wrappers)."""
    side, own, entries, other = (a, wrapper.a, by_a, b) if wrapper.a is not None else (b, wrapper.b, by_b, a)
    total: dict[str, schema.StatValue] = {}
    for child in side.children(own):
        entry = entries[child]
        counterpart = entry.b if side is a else entry.a
        if counterpart is not None:
            stats: Mapping[str, schema.StatValue] = other.stats(counterpart)
        elif entry.wrapper:
            stats = _wrapped_stats(a, b, entry, by_a, by_b)
        else:
            continue
        for k, v in stats.items():
            if isinstance(v, int | float) and k not in _NOT_COMPARED:
                total[k] = total.get(k, 0) + v  # type: ignore[operator]  # numbers only
    return total


def _roll_up(a: Side, b: Side, groups: list[Entry], by_a: dict[str, Entry], by_b: dict[str, Entry]) -> None:
    """Mark a paired group changed when anything inside it differs; innermost groups first."""

    def depth(entry: Entry) -> int:
        return len(a.ancestors(entry.a)) if entry.a is not None else 0

    for entry in sorted(groups, key=depth, reverse=True):
        assert entry.a is not None  # noqa: S101  # paired groups have both sides
        assert entry.b is not None  # noqa: S101
        inside = [by_a[m] for m in a.descendants(entry.a)] + [by_b[m] for m in b.descendants(entry.b)]
        if any(e.status != "same" for e in inside):
            entry.changes.append(Change(CONTENTS, None, None))
            entry.status = "changed"


def _changes(a: Side, x: str, b: Side, y: str, *, renamed: bool) -> list[Change]:
    found: list[Change] = []
    if renamed:
        found.append(Change("name", key(x, a.members[x].parent), key(y, b.members[y].parent)))
    if a.members[x].kind != b.members[y].kind:
        found.append(Change("kind", a.members[x].kind, b.members[y].kind))
    if a.members[x].op != b.members[y].op:
        found.append(Change("op", a.members[x].op, b.members[y].op))
    if x in a.nodes and y in b.nodes:
        found += _node_changes(a.nodes[x], b.nodes[y])
    found += _stat_changes(a.stats(x), b.stats(y))
    return found


def _node_changes(x: schema.Node, y: schema.Node) -> list[Change]:
    found: list[Change] = []
    attrs_x = _scoped_parameters(x)
    attrs_y = _scoped_parameters(y)
    names = [*attrs_x, *(k for k in attrs_y if k not in attrs_x)]
    found += [
        Change(f"attrs.{n}", attrs_x.get(n), attrs_y.get(n))
        for n in names
        if attrs_x.get(n) != attrs_y.get(n)
    ]
    for side in ("inputs", "outputs"):
        tensors_x, tensors_y = _tensors(x[side]), _tensors(y[side])
        if tensors_x != tensors_y:
            found.append(Change(side, tensors_x, tensors_y))
    if x["repr"] != y["repr"]:
        found.append(Change("repr", x["repr"], y["repr"]))
    if x.get("error") != y.get("error"):
        found.append(Change("error", x.get("error"), y.get("error")))
    return found


def _stat_changes(x: Mapping[str, schema.StatValue], y: Mapping[str, schema.StatValue]) -> list[Change]:
    keys = [*x, *(k for k in y if k not in x)]
    return [Change(k, x.get(k), y.get(k)) for k in keys if k not in _NOT_COMPARED and x.get(k) != y.get(k)]


def _tensors(metas: list[schema.TensorMeta]) -> list[list[object]]:
    return [[list(m["shape"]), m["dtype"]] for m in metas]


def _scoped_parameters(node: schema.Node) -> dict[str, object]:
    """Return the node's attributes, with the parameters a function reads named below its group.

    A function names the parameters it reads by their full path (``h.0.attn.c_attn.weight``),
    which a wrapper lengthens (``base_model.model.h.0...``) without changing what is read.
    """
    attrs: dict[str, object] = dict(node["attrs"])
    names = attrs.get("parameters")
    if isinstance(names, str) and node["parent"] is not None:
        attrs["parameters"] = ", ".join(key(n.strip(), node["parent"]) for n in names.split(","))
    return attrs
