"""The document's validator: :func:`validate` checks a payload against :mod:`torchscope.schema`.

``torchscope.schema.validate`` is this function (re-exported: callers use that name). The
``check_*`` functions are the per-part checks, shared with the wire's validator
(:mod:`torchscope.wire_checks`), which reads the same model, columns, shapes, statistics and diff
sections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from torchscope import schema_bulk
from torchscope.schema import COLUMN_KINDS, DIFF_STATUSES, NODE_KINDS, SCHEMA_VERSION, Payload
from torchscope.schema_checks import SchemaError
from torchscope.schema_checks import mapping as _mapping
from torchscope.schema_checks import sequence as _sequence
from torchscope.schema_checks import string as _string
from torchscope.schema_step import check_step


def validate(payload: object) -> Payload:
    """Check ``payload`` against the contract and return it typed.

    Checks the layout field by field (tensor metadata, and each statistic against its column's
    kind) and the references between parts (ids are unique, every parent, child, repeat and edge
    end exists), which is what the front end relies on. ``validatePayload`` in ``js/validate.ts``
    makes the same checks in the same order; ``tests/golden/invalid_payloads.json`` holds broken
    payloads that both refuse naming the same field.

    Raises
    ------
    SchemaError
        naming the first field that is wrong, e.g. ``nodes[3].parent``.
    """
    top = _mapping(payload, "payload")
    if top.get("schema") != SCHEMA_VERSION:
        raise SchemaError(f"schema: expected {SCHEMA_VERSION}, got {top.get('schema')!r}")
    check_model(top.get("model"))
    columns = check_columns(top.get("columns"))
    groups = _mappings(top.get("groups"), "groups")
    group_ids = _unique_ids(groups, "groups")
    nodes = _mappings(top.get("nodes"), "nodes")
    node_ids = _unique_ids(nodes, "nodes")
    if not node_ids.isdisjoint(group_ids):
        for i, node in enumerate(nodes):
            if node["id"] in group_ids:
                raise SchemaError(f"nodes[{i}].id: {node['id']!r} is also the id of a group")
    _check_nodes(nodes, group_ids, columns)
    check_origin(_mapping(top["model"], "model"), node_ids)
    members = node_ids | group_ids
    for i, group in enumerate(groups):
        _check_group(group, f"groups[{i}]", group_ids, members, columns)
    edges = _sequence(top.get("edges"), "edges")
    if not _holds(schema_bulk.edges_hold, edges, node_ids):
        for i, edge in enumerate(edges):
            _check_edge(edge, f"edges[{i}]", node_ids)
    _check_roots(top.get("roots"), [*groups, *nodes])
    check_stats(top.get("totals"), columns, "totals")
    if "step" in top:
        check_step(top["step"], len(nodes))
    if "diff" in top:
        check_diff(top["diff"], members, columns)
    return payload  # type: ignore[return-value]  # checked field by field above


def check_model(value: object) -> None:
    """Check the ``model`` section: names, input shapes, notes, the values run's summary."""
    model = _mapping(value, "model")
    for key in ("name", "device", "dtype", "torch_version"):
        _string(model.get(key), f"model.{key}")
    for i, shape in enumerate(_sequence(model.get("input_shapes"), "model.input_shapes")):
        check_shape(shape, f"model.input_shapes[{i}]")
    if "notes" in model:
        for i, note in enumerate(_sequence(model["notes"], "model.notes")):
            _string(note, f"model.notes[{i}]")
    if "values" in model:
        info = _mapping(model["values"], "model.values")
        if not _number(info.get("linear")) or not info["linear"] > 0:  # type: ignore[operator]  # a number
            raise SchemaError(f"model.values.linear: expected a positive number, got {info.get('linear')!r}")
        seed = info.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise SchemaError(f"model.values.seed: expected an int or null, got {seed!r}")
        if info.get("origin") is not None:
            _string(info.get("origin"), "model.values.origin")


def check_origin(model: Mapping[str, object], node_ids: set[str]) -> None:
    """Check that the origin of the first NaN or Inf, when there is one, is a node."""
    origin = _mapping(model["values"], "model.values").get("origin") if "values" in model else None
    if origin is not None and origin not in node_ids:
        raise SchemaError(f"model.values.origin: {origin!r} is not a node")


def check_node_values(value: object, where: str) -> None:
    """Check a node's ``values``: one histogram per output, and per parameter read."""
    values = _mapping(value, where)
    for j, histogram in enumerate(_sequence(values.get("outputs"), f"{where}.outputs")):
        if histogram is not None:
            _check_histogram(histogram, f"{where}.outputs[{j}]")
    for j, item in enumerate(_sequence(values.get("params"), f"{where}.params")):
        at = f"{where}.params[{j}]"
        param = _check_histogram(item, at)
        _string(param.get("name"), f"{at}.name")
        for key in ("mean", "std", "min", "max", "zeros"):
            if param.get(key) is not None and not _number(param.get(key)):
                raise SchemaError(f"{at}.{key}: expected a number or null, got {param.get(key)!r}")
        for key in ("nan", "inf", "norm"):
            if not _number(param.get(key)) or param[key] < 0:  # type: ignore[operator]  # a number
                raise SchemaError(f"{at}.{key}: expected a non-negative number, got {param.get(key)!r}")


def _check_histogram(value: object, where: str) -> Mapping[str, object]:
    histogram = _mapping(value, where)
    if not _number(histogram.get("absmax")) or histogram["absmax"] < 0:  # type: ignore[operator]  # a number
        raise SchemaError(f"{where}.absmax: expected a non-negative number, got {histogram.get('absmax')!r}")
    counts = _sequence(histogram.get("counts"), f"{where}.counts")
    if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        raise SchemaError(f"{where}.counts: expected a list of non-negative ints, got {counts!r}")
    return histogram


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_columns(value: object) -> dict[str, str]:
    """Check the columns and return their kinds by key."""
    kinds: dict[str, str] = {}
    for i, item in enumerate(_sequence(value, "columns")):
        where = f"columns[{i}]"
        column = _mapping(item, where)
        key = _string(column.get("key"), f"{where}.key")
        if key in kinds:
            raise SchemaError(f"{where}.key: {key!r} is used twice")
        _string(column.get("label"), f"{where}.label")
        _string(column.get("unit"), f"{where}.unit")
        kind = column.get("kind")
        if not isinstance(kind, str) or kind not in COLUMN_KINDS:
            raise SchemaError(f"{where}.kind: {kind!r} is not one of {list(COLUMN_KINDS)}")
        kinds[key] = kind
    return kinds


def _holds(check: Callable[..., bool], *args: object) -> bool:
    """Whether a bulk check (see :mod:`torchscope.schema_bulk`) proves its part of the contract."""
    try:
        return check(*args)
    except (KeyError, TypeError):  # a missing field or a wrong type the bulk form tripped on
        return False


def _mappings(value: object, where: str) -> list[Mapping[str, object]]:
    items = _sequence(value, where)
    if schema_bulk.all_dicts(items):
        return list(items)  # type: ignore[arg-type]  # dicts, checked above
    return [_mapping(item, f"{where}[{i}]") for i, item in enumerate(items)]


def _check_nodes(nodes: list[Mapping[str, object]], group_ids: set[str], columns: dict[str, str]) -> None:
    """Check the plain nodes in bulk; the others, or all when the bulk check fails, one by one."""
    try:
        plain, rest = schema_bulk.plain_nodes(nodes)
    except TypeError:  # a mapping that is not a dict
        plain, rest = [], list(range(len(nodes)))
    if not _holds(schema_bulk.nodes_hold, plain, _NODE_KINDS, group_ids, columns):
        rest = list(range(len(nodes)))
    for i in rest:
        check_node(nodes[i], f"nodes[{i}]", group_ids, columns)


_NODE_KINDS = frozenset(NODE_KINDS)


def check_node(node: Mapping[str, object], where: str, group_ids: set[str], columns: dict[str, str]) -> None:
    """Check one node field by field: kind, op, parent, tensors, statistics, optional fields."""
    kind = node.get("kind")
    if not isinstance(kind, str) or kind not in NODE_KINDS:
        raise SchemaError(f"{where}.kind: {kind!r} is not one of {list(NODE_KINDS)}")
    for key in ("op", "label", "module_path", "repr"):
        _string(node.get(key), f"{where}.{key}")
    _parent(node.get("parent"), group_ids, f"{where}.parent")
    _mapping(node.get("attrs"), f"{where}.attrs")
    for side in ("inputs", "outputs"):
        for j, meta in enumerate(_sequence(node.get(side), f"{where}.{side}")):
            _tensor_meta(meta, f"{where}.{side}[{j}]")
    check_stats(node.get("stats"), columns, f"{where}.stats")
    for j, op in enumerate(_sequence(node.get("uncounted"), f"{where}.uncounted")):
        _string(op, f"{where}.uncounted[{j}]")
    if "error" in node:
        _string(node["error"], f"{where}.error")
    _estimated(node, where)
    if "values" in node:
        check_node_values(node["values"], f"{where}.values")


def _check_group(
    group: Mapping[str, object], where: str, group_ids: set[str], members: set[str], columns: dict[str, str]
) -> None:
    _string(group.get("op"), f"{where}.op")
    _string(group.get("label"), f"{where}.label")
    _parent(group.get("parent"), group_ids, f"{where}.parent")
    for j, child in enumerate(_sequence(group.get("children"), f"{where}.children")):
        if not isinstance(child, str) or child not in members:
            raise SchemaError(f"{where}.children[{j}]: {child!r} is neither a node nor a group")
    check_stats(group.get("stats"), columns, f"{where}.stats")
    if "repeat_of" in group and not _known(group["repeat_of"], group_ids):
        raise SchemaError(f"{where}.repeat_of: {group['repeat_of']!r} is not a group")
    if "kind" in group and group["kind"] != "structure":
        raise SchemaError(f"{where}.kind: {group['kind']!r} is not 'structure'")
    if "attrs" in group:
        _mapping(group["attrs"], f"{where}.attrs")
    _estimated(group, where)


def _estimated(item: Mapping[str, object], where: str) -> None:
    if "estimated" in item:
        for j, assumption in enumerate(_sequence(item["estimated"], f"{where}.estimated")):
            _string(assumption, f"{where}.estimated[{j}]")


def _check_roots(value: object, members: list[Mapping[str, object]]) -> None:
    """Every member without a parent is listed in ``roots``, once, and nothing else is."""
    roots = _sequence(value, "roots")
    parentless = {str(m["id"]) for m in members if m.get("parent") is None}  # ids: checked strings
    seen: set[object] = set()
    for i, root in enumerate(roots):
        if not _known(root, parentless):
            raise SchemaError(f"roots[{i}]: {root!r} is not a node or group without a parent")
        if root in seen:
            raise SchemaError(f"roots[{i}]: {root!r} is listed twice")
        seen.add(root)
    if missing := parentless - seen:
        raise SchemaError(f"roots: the top-level members {sorted(map(str, missing))[:5]} are missing")


def _check_edge(value: object, where: str, node_ids: set[str]) -> None:
    edge = _mapping(value, where)
    for end in ("source", "target"):
        if not _known(edge.get(end), node_ids):
            raise SchemaError(f"{where}.{end}: {edge.get(end)!r} is not a node")
    _tensor_meta(edge, where)


def check_diff(value: object, members: set[str], columns: dict[str, str]) -> None:
    """Check the ``diff`` section: both sides' names, and each item against the members."""
    section = _mapping(value, "diff")
    for side in ("a", "b"):
        _mapping(section.get(side), f"diff.{side}")
        check_stats(_mapping(section.get("totals"), "diff.totals").get(side), columns, f"diff.totals.{side}")
    names = _sequence(section.get("names"), "diff.names")
    if len(names) != 2 or not all(isinstance(n, str) for n in names):
        raise SchemaError(f"diff.names: expected two strings, got {names!r}")
    for delta, base in _mapping(section.get("deltas"), "diff.deltas").items():
        if delta not in columns or base not in columns:
            raise SchemaError(f"diff.deltas.{delta}: {delta!r} and {base!r} must both be declared columns")
    items = _mapping(section.get("items"), "diff.items")
    if missing := members - set(items):
        raise SchemaError(f"diff.items: no status for {sorted(missing)[:5]}")
    for member, item in items.items():
        if member not in members:
            raise SchemaError(f"diff.items[{member!r}]: {member!r} is neither a node nor a group")
        _check_diff_item(item, f"diff.items[{member!r}]")


def _check_diff_item(value: object, where: str) -> None:
    item = _mapping(value, where)
    if item.get("status") not in DIFF_STATUSES:
        raise SchemaError(f"{where}.status: {item.get('status')!r} is not one of {sorted(DIFF_STATUSES)}")
    for side in ("a", "b"):
        if item.get(side) is not None:
            _string(item.get(side), f"{where}.{side}")
    for j, change in enumerate(_sequence(item.get("changes", []), f"{where}.changes")):
        _string(_mapping(change, f"{where}.changes[{j}]").get("field"), f"{where}.changes[{j}].field")


def check_shape(value: object, where: str) -> None:
    """Check a shape: a list of non-negative ints."""
    dims = _sequence(value, where)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise SchemaError(f"{where}: expected a list of non-negative ints, got {value!r}")


def _tensor_meta(value: object, where: str) -> None:
    meta = _mapping(value, where)
    check_shape(meta.get("shape"), f"{where}.shape")
    _string(meta.get("dtype"), f"{where}.dtype")


def _parent(value: object, group_ids: set[str], where: str) -> None:
    if value is not None and not _known(value, group_ids):
        raise SchemaError(f"{where}: {value!r} is not a group")


def _known(value: object, ids: set[str]) -> bool:
    # a list or a dict where an id belongs must fail the check, not raise TypeError (unhashable)
    return isinstance(value, str) and value in ids


def check_stats(value: object, columns: dict[str, str], where: str) -> None:
    """Every key a declared column, every value None or of its column's kind."""
    for key, stat in _mapping(value, where).items():
        kind = columns.get(key)
        if kind is None:
            raise SchemaError(f"{where}.{key}: {key!r} is not a declared column")
        if stat is None:
            continue
        if kind == "shape":
            for j, shape in enumerate(_sequence(stat, f"{where}.{key}")):
                check_shape(shape, f"{where}.{key}[{j}]")
        elif kind == "text" and not isinstance(stat, str):
            raise SchemaError(
                f"{where}.{key}: expected a string or null (a text column), got {type(stat).__name__}"
            )
        elif kind != "text" and (not isinstance(stat, int | float) or isinstance(stat, bool)):
            raise SchemaError(
                f"{where}.{key}: expected a number or null (a {kind} column), got {type(stat).__name__}"
            )


def _unique_ids(items: list[Mapping[str, object]], where: str) -> set[str]:
    if (found := schema_bulk.unique_ids(items)) is not None:
        return found
    ids: set[str] = set()
    for i, item in enumerate(items):
        ident = _string(item.get("id"), f"{where}[{i}].id")
        if ident in ids:
            raise SchemaError(f"{where}[{i}].id: {ident!r} is used twice")
        ids.add(ident)
    return ids
