"""What a schema-2 wire's entries say, checked on the wire itself (:mod:`torchscope.wire`).

Column by column, each table entry once: a string column holds strings, a statistic fits its
column's kind, a type's shape is a list of non-negative ints. Run after
:func:`~torchscope.wire_checks.check_wire`, these leave the expanded document valid by
construction, so :func:`torchscope.wire.decode` does not check it again. The parts the wire
carries as the document does (model, columns, totals, step, diff) go through the checks of
:mod:`torchscope.schema`. ``js/wire-entries.ts`` makes the same checks in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torchscope import schema_validate
from torchscope.schema_bulk import exact_types
from torchscope.schema_checks import SchemaError, mapping, sequence
from torchscope.schema_step import check_step

_NUMERIC = frozenset({"count", "bytes", "value"})


def check_entries(wire: Mapping[str, Any], ids: Sequence[str]) -> None:
    """Check the entries of a wire whose columns ``check_wire`` accepted; ``ids``: its members'.

    Raises
    ------
    SchemaError
        naming the first field that is wrong, its position and the member it belongs to.
    """
    schema_validate.check_model(wire["model"])  # the document's own checks, shared
    columns = schema_validate.check_columns(wire["columns"])
    n_groups = len(wire["groups"]["name"])

    def who(member: int) -> str:
        return f" ({'group' if member < n_groups else 'node'} {ids[member]!r})"

    _check_unique(ids, n_groups)
    schema_validate.check_origin(wire["model"], set(ids[n_groups:]))
    for t, (shape, _) in enumerate(wire["types"]):
        schema_validate.check_shape(shape, f"types[{t}][0]")

    _check_nodes(wire["nodes"], columns, lambda i: who(n_groups + i))
    _check_groups(wire["groups"], columns, who)
    schema_validate.check_stats(wire.get("totals"), columns, "totals")
    if "step" in wire:
        check_step(wire["step"], len(wire["nodes"]["name"]))
    if "diff" in wire:
        schema_validate.check_diff(wire["diff"], set(ids), columns)


def _check_unique(ids: Sequence[str], n_groups: int) -> None:
    seen: dict[str, int] = {}
    for member, ident in enumerate(ids):
        if ident in seen:
            part, at = ("groups", member) if member < n_groups else ("nodes", member - n_groups)
            raise SchemaError(f"{part}.name[{at}]: the id {ident!r} is also member {seen[ident]}'s")
        seen[ident] = member


def _check_nodes(nodes: Mapping[str, Any], columns: dict[str, str], node: Callable[[int], str]) -> None:
    for field in ("label", "module_path", "error"):
        _sparse_strings(nodes[field], f"nodes.{field}", node)
    for field in ("uncounted", "estimated"):
        _sparse_lists(nodes[field], f"nodes.{field}", node)
    for i, values in nodes["values"].items():
        schema_validate.check_node_values(values, f"nodes[{i}].values")
    _check_stat_columns(nodes["stats"], columns, "nodes", node, shapes=True)


def _check_groups(groups: Mapping[str, Any], columns: dict[str, str], who: Callable[[int], str]) -> None:
    _sparse_strings(groups["label"], "groups.label", who)
    _sparse_lists(groups["estimated"], "groups.estimated", who)
    for i, attrs in groups["attrs"].items():
        mapping(attrs, f"groups.attrs.{i}")
    for i, kind in groups["kind"].items():
        if kind != "structure":
            raise SchemaError(f"groups.kind.{i}: {kind!r} is not 'structure'{who(int(i))}")
    _check_stat_columns(groups["stats"], columns, "groups", who, shapes=False)


def _sparse_strings(part: Mapping[str, object], where: str, who: Callable[[int], str]) -> None:
    for i, value in part.items():
        if not isinstance(value, str):
            raise SchemaError(f"{where}.{i}: expected a string, got {type(value).__name__}{who(int(i))}")


def _sparse_lists(part: Mapping[str, object], where: str, who: Callable[[int], str]) -> None:
    for i, value in part.items():
        for j, item in enumerate(sequence(value, f"{where}.{i}")):
            if not isinstance(item, str):
                raise SchemaError(
                    f"{where}.{i}[{j}]: expected a string, got {type(item).__name__}{who(int(i))}"
                )


def _check_stat_columns(
    stats: Mapping[str, Any], columns: dict[str, str], where: str, who: Callable[[int], str], *, shapes: bool
) -> None:
    """Every key of every set a declared column; every written value None or of its column's kind."""
    for s, keys in enumerate(stats["sets"]):
        for key in keys:
            if key not in columns:
                raise SchemaError(f"{where}.stats.sets[{s}]: {key!r} is not a declared column")
    for key, source in stats["derived"].items():
        kind = columns.get(key)
        origin = "shape" if shapes and source in ("outputs", "inputs") else columns.get(source)
        if kind is None or not (kind == origin or (kind in _NUMERIC and origin in _NUMERIC)):
            raise SchemaError(
                f"{where}.stats.derived.{key}: a {kind} column cannot be read from {source!r} ({origin})"
            )
    for key, values in stats["values"].items():
        kind = columns.get(key)
        if kind is None:
            raise SchemaError(f"{where}.stats.values.{key}: {key!r} is not a declared column")
        _check_values(values, kind, f"{where}.stats.values.{key}", who)


def _check_values(values: Sequence[object], kind: str, at: str, who: Callable[[int], str]) -> None:
    """Each value None or of the column's kind."""
    if kind in _BULK_TYPES and exact_types(values) <= _BULK_TYPES[kind]:
        return  # told at once, in C
    for i, value in enumerate(values):
        if value is None:
            continue
        if kind == "shape":
            for j, shape in enumerate(sequence(value, f"{at}[{i}]")):
                schema_validate.check_shape(shape, f"{at}[{i}][{j}]")
            continue
        wanted = "a string" if kind == "text" else "a number"
        if isinstance(value, str) if kind == "text" else _number(value):
            continue
        raise SchemaError(
            f"{at}[{i}]: expected {wanted} or null (a {kind} column), got {type(value).__name__}{who(i)}"
        )


# the exact types a column of each kind may hold, checked in one pass (bool is not a number)
_BULK_TYPES = {
    "text": {str, type(None)},
    **{kind: {int, float, type(None)} for kind in _NUMERIC},
}


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
