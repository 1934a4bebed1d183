"""The checks of a schema-2 wire (:mod:`torchscope.wire`) that its columns hold together.

What makes the columns readable at all is checked here: every column is a list of one entry per
member, every number points into its table (strings, types, attrs, members, an edge source's
outputs), the tree is written once. What the entries then say (an op is a string, a statistic
fits its column's kind) is checked by :mod:`torchscope.wire_entries`. A whole column is accepted at
once where its exact types and bounds can be read in C (``_all_indices``); anything else is
checked entry by entry, so an error always names the first bad entry. Each error names the field,
the position and the member (``nodes.op[3]: ... (node 'add#1')``); ``js/wire.ts`` makes the same
checks in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from itertools import chain
from operator import lt
from typing import Any, cast

from torchscope import schema
from torchscope.schema_bulk import exact_types
from torchscope.schema_checks import SchemaError, mapping, sequence, string

_SHAPE_SOURCES = frozenset({"outputs", "inputs"})


def check_wire(value: Mapping[str, object]) -> tuple[list[int | None], list[str]]:
    """Check that a schema-2 wire can be expanded; return its tree (as :func:`member_ids`).

    Raises
    ------
    SchemaError
        naming the first field that is wrong, its position and the member it belongs to.
    """
    strings = sequence(value.get("strings"), "strings")
    for i, item in enumerate(strings):
        string(item, f"strings[{i}]")
    for i, item in enumerate(sequence(value.get("attrs"), "attrs")):
        mapping(item, f"attrs[{i}]")
    for i, item in enumerate(sequence(value.get("types"), "types")):
        pair = sequence(item, f"types[{i}]")
        if len(pair) != 2 or not isinstance(pair[0], list) or not _index(pair[1], len(strings)):
            raise SchemaError(f"types[{i}]: expected [shape, dtype string number], got {item!r}")
    nodes, groups = mapping(value.get("nodes"), "nodes"), mapping(value.get("groups"), "groups")
    n_nodes = len(sequence(nodes.get("name"), "nodes.name"))
    n_groups = len(sequence(groups.get("name"), "groups.name"))
    members = n_groups + n_nodes
    names = _Members(value, n_groups)
    for part, count in (("groups", n_groups), ("nodes", n_nodes)):
        for i, name in enumerate(_column(value, part, "name", count)):
            if not isinstance(name, str):
                raise SchemaError(f"{part}.name[{i}]: expected a string, got {type(name).__name__}")
    for i, kids in enumerate(_column(value, "groups", "children", n_groups)):
        _numbers(kids, members, f"groups.children[{i}]", partial(names.of, i))
    _numbers(value.get("roots"), members, "roots")
    _numbers(value.get("absolute"), members, "absolute")
    tree = member_ids(value)
    _check_nodes(value, nodes, n_nodes, names, len(strings))
    _check_groups(groups, n_groups, names, len(strings))
    return tree


def member_ids(wire: Mapping[str, Any], *, strict: bool = True) -> tuple[list[int | None], list[str]]:
    """Return each member's parent number (None at the top) and whole id, from the tree.

    Not ``strict`` (for naming members in errors), entries that break the tree are passed over and
    a member not reached keeps its name.

    Raises
    ------
    SchemaError
        when a member is listed twice among the children and roots, or not reached from the roots.
    """
    names = [*wire["groups"]["name"], *wire["nodes"]["name"]]
    children, absolute = wire["groups"]["children"], set(wire["absolute"])
    parent: list[int | None] = [None] * len(names)
    ids: list[str | None] = [None] * len(names)
    reached: list[int] = []
    for root in wire["roots"]:
        if not strict and not (_index(root, len(names)) and ids[root] is None):
            continue
        if ids[root] is not None:
            raise SchemaError(f"roots: member {root} ({names[root]!r}) is listed twice")
        ids[root] = str(names[root])
        reached.append(root)
    for member in reached:  # grows as groups are reached: each member is visited once
        for child in children[member] if member < len(children) else ():
            if not strict and not (_index(child, len(names)) and ids[child] is None):
                continue
            if ids[child] is not None:
                raise SchemaError(
                    f"groups.children[{member}]: member {child} ({names[child]!r}) is listed twice "
                    f"(group {ids[member]!r})"
                )
            parent[child] = member
            ids[child] = str(names[child]) if child in absolute else f"{ids[member]}.{names[child]}"
            reached.append(child)
    if strict and len(reached) != len(names):
        missing = ids.index(None)
        raise SchemaError(f"roots: member {missing} ({names[missing]!r}) is not reached from the roots")
    return parent, [str(names[i]) if found is None else found for i, found in enumerate(ids)]


class _Members:
    """Names members in errors: `` (node 'add#1')``, by whole id as far as the tree can be read."""

    def __init__(self, wire: Mapping[str, Any], n_groups: int) -> None:
        self._wire, self._n_groups = wire, n_groups
        self._ids: list[str] | None = None

    def of(self, group: int) -> str:
        return self._say("group", group)

    def node(self, node: int) -> str:
        return self._say("node", self._n_groups + node)

    def _say(self, what: str, member: int) -> str:
        if self._ids is None:
            self._ids = member_ids(self._wire, strict=False)[1]
        return f" ({what} {self._ids[member]!r})" if member < len(self._ids) else ""


def _check_nodes(
    wire: Mapping[str, Any], part: Mapping[str, Any], count: int, names: _Members, n_strings: int
) -> None:
    n_types, n_attrs = len(wire["types"]), len(wire["attrs"])
    for field, bound in (
        ("kind", len(schema.NODE_KINDS)),
        ("op", n_strings),
        ("attrs", n_attrs),
        ("repr", n_strings),
    ):
        column = _column(wire, "nodes", field, count)
        if _all_indices(column, bound):
            continue
        for i, number in enumerate(column):
            if not _index(number, bound):
                raise SchemaError(
                    f"nodes.{field}[{i}]: {number!r} is not a number below {bound}{names.node(i)}"
                )
    outputs = _column(wire, "nodes", "outputs", count)
    if not (exact_types(outputs) <= {list} and _all_indices(list(chain.from_iterable(outputs)), n_types)):
        for i, slot_types in enumerate(outputs):
            _numbers(slot_types, n_types, f"nodes.outputs[{i}]", partial(names.node, i))
    for i, slot_types in _sparse(part, "inputs", count, "nodes").items():
        _numbers(slot_types, n_types, f"nodes.inputs.{i}", partial(names.node, i))
    for field in ("label", "module_path", "uncounted", "error", "estimated", "values"):
        _sparse(part, field, count, "nodes")
    _check_stats(part.get("stats"), count, "nodes", _SHAPE_SOURCES)
    _check_edges(wire, outputs, count, names)


def _check_edges(wire: Mapping[str, Any], outputs: Sequence[Any], count: int, names: _Members) -> None:
    n_types = len(wire["types"])
    edges = mapping(wire.get("edges"), "edges")
    ends = [sequence(edges.get(end), f"edges.{end}") for end in ("source", "target", "slot")]
    if len({len(column) for column in ends}) != 1:
        raise SchemaError(
            f"edges: source, target and slot differ in length ({', '.join(str(len(c)) for c in ends)})"
        )
    if _edges_hold(cast("list[Sequence[int]]", ends), outputs, count, n_types):
        return
    for i, (source, target, slot) in enumerate(zip(*ends, strict=True)):
        for end, node in (("source", source), ("target", target)):
            if not _index(node, count):
                raise SchemaError(f"edges.{end}[{i}]: {node!r} is not a node number below {count}")
        slots = len(outputs[source])
        if not isinstance(slot, int) or isinstance(slot, bool) or not -n_types <= slot < slots:
            raise SchemaError(
                f"edges.slot[{i}]: {slot!r} is neither one of the source's {slots} outputs nor -1 - a type "
                f"number{names.node(source)}"
            )


def _edges_hold(ends: list[Sequence[int]], outputs: Sequence[Any], count: int, n_types: int) -> bool:
    """Tell at once (in C) that every edge's ends are nodes and its slot fits; False: look closer."""
    sources, targets, slots = ends
    return (
        _all_indices(sources, count)
        and _all_indices(targets, count)
        and exact_types(slots) <= {int}
        and all(map(lt, slots, map(len, map(outputs.__getitem__, sources))))
        and min(slots, default=0) >= -n_types
    )


def _check_groups(part: Mapping[str, Any], count: int, names: _Members, n_strings: int) -> None:
    for i, number in enumerate(_column_of(part, "groups", "op", count)):
        if not _index(number, n_strings):
            raise SchemaError(f"groups.op[{i}]: {number!r} is not a number below {n_strings}{names.of(i)}")
    for i, repeat in _sparse(part, "repeat_of", count, "groups").items():
        if not _index(repeat, count):
            raise SchemaError(
                f"groups.repeat_of.{i}: {repeat!r} is not a group number below {count}{names.of(i)}"
            )
    for field in ("label", "estimated", "attrs", "kind"):
        _sparse(part, field, count, "groups")
    _check_stats(part.get("stats"), count, "groups", frozenset())


def _check_stats(value: object, count: int, where: str, shape_sources: frozenset[str]) -> None:
    """Key sets, a set per member, one list per written column, derived columns that resolve."""
    stats = mapping(value, f"{where}.stats")
    sets = [
        sequence(keys, f"{where}.stats.sets[{i}]")
        for i, keys in enumerate(sequence(stats.get("sets"), f"{where}.stats.sets"))
    ]
    chosen = sequence(stats.get("set"), f"{where}.stats.set")
    if len(chosen) != count:
        raise SchemaError(f"{where}.stats.set: {len(chosen)} entries for {count} {where}")
    _numbers(chosen, len(sets), f"{where}.stats.set")
    values = mapping(stats.get("values"), f"{where}.stats.values")
    for key, column in values.items():
        if len(sequence(column, f"{where}.stats.values.{key}")) != count:
            raise SchemaError(f"{where}.stats.values.{key}: {len(column)} values for {count} {where}")  # type: ignore[arg-type]  # a list
    derived = mapping(stats.get("derived"), f"{where}.stats.derived")
    for key, source in derived.items():
        if key in values or not (source in shape_sources or source in values):
            raise SchemaError(
                f"{where}.stats.derived.{key}: {source!r} is not a written column or a side's shapes"
            )
    for i, keys in enumerate(sets):
        for name in keys:
            if name not in values and name not in derived:
                raise SchemaError(f"{where}.stats.sets[{i}]: {name!r} is neither written nor derived")
            base = derived.get(name)  # type: ignore[call-overload]  # a key, or not found
            if base in values and base not in keys:
                raise SchemaError(
                    f"{where}.stats.sets[{i}]: {name!r} is derived from {base!r}, which it lacks"
                )


def _column(wire: Mapping[str, Any], part: str, field: str, count: int) -> Sequence[Any]:
    return _column_of(wire[part], part, field, count)


def _column_of(part: Mapping[str, Any], where: str, field: str, count: int) -> Sequence[Any]:
    column = sequence(part.get(field), f"{where}.{field}")
    if len(column) != count:
        raise SchemaError(f"{where}.{field}: {len(column)} entries for {count} {where}")
    return column


def _sparse(part: Mapping[str, Any], field: str, count: int, where: str) -> dict[int, Any]:
    """Return an optional field's {position: value} object, its positions checked."""
    found: dict[int, Any] = {}
    for key, item in mapping(part.get(field), f"{where}.{field}").items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and int(key) < count):
            raise SchemaError(f"{where}.{field}.{key}: {key!r} is not a position below {count}")
        found[int(key)] = item
    return found


def _numbers(value: object, bound: int, where: str, who: Callable[[], str] = str) -> None:
    if _all_indices(sequence(value, where), bound):
        return
    for j, number in enumerate(sequence(value, where)):
        if not _index(number, bound):
            raise SchemaError(f"{where}[{j}]: {number!r} is not a number below {bound}{who()}")


def _all_indices(column: Sequence[object], bound: int) -> bool:
    """Tell at once (in C) that every entry is an ``int`` in ``[0, bound)``; False means "look closer"."""
    return exact_types(column) <= {int} and (not column or (min(column) >= 0 and max(column) < bound))  # type: ignore[type-var, operator]  # ints


def _index(value: object, bound: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < bound
