"""The contract between the kernel and the front end: the layout of the expanded *document*.

The document (schema 1) is what ``ModelGraph.to_json()`` returns, what ``ModelView.graph`` holds
and what Python code and tests read; it is also how a payload travelled before schema 2, so a page
or file saved then is a document. What travels now is the compact *wire* (schema 2) of
:mod:`torchscope.wire`, which encodes a document and decodes either version back into one:
the widget's ``graph`` trait as sent, the standalone page's state, a payload saved from a page.
This module is the only Python code that knows the document's layout (a training step's section
lives in :mod:`torchscope.schema_step`); ``js/types.ts`` mirrors it and carries the same
:data:`SCHEMA_VERSION`. A golden document (``tests/golden/payload_v1.json``) and its wire
(``payload_v2.json``) are read by both pytest and vitest, so neither side can drift. Change the
layout here, in ``js/types.ts``, in :mod:`torchscope.wire` and ``js/wire.ts``, and in the golden
files together; a layout old payloads cannot be read in needs a new version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, NotRequired, TypedDict, get_args

from torchscope import schema_bulk
from torchscope.schema_checks import SchemaError
from torchscope.schema_checks import mapping as _mapping
from torchscope.schema_checks import sequence as _sequence
from torchscope.schema_checks import string as _string
from torchscope.schema_step import (
    STEP_CATEGORIES,
    STEP_PHASES,
    Step,
    StepCategory,
    StepPeak,
    StepPhase,
    StepTimeline,
    check_step,
)

__all__ = [
    "STEP_CATEGORIES",
    "STEP_PHASES",
    "SchemaError",
    "Step",
    "StepCategory",
    "StepPeak",
    "StepPhase",
    "StepTimeline",
]

SCHEMA_VERSION = 1

# Each list of names is declared once, as a Literal; the tuples the checks use are read from it.
# js/types.ts declares the same lists (NODE_KINDS, COLUMN_KINDS, ORIENTATIONS).
NodeKind = Literal["input", "module", "function", "output"]
# how a column's values read: counts and bytes are numbers, shapes lists of shapes, text strings,
# values real numbers of either sign measured in a run (a mean, a std), never shares of a total
ColumnKind = Literal["count", "bytes", "shape", "text", "value"]
# the diagram's direction: top to bottom or left to right
Orientation = Literal["TB", "LR"]
NODE_KINDS: tuple[str, ...] = get_args(NodeKind)
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)
ORIENTATIONS: tuple[str, ...] = get_args(Orientation)

StatValue = int | float | str | list[list[int]] | None


class TensorMeta(TypedDict):
    """Shape and dtype of one tensor crossing a node boundary."""

    shape: list[int]
    dtype: str


class ModelInfo(TypedDict):
    """What was traced: the model's class name, the example inputs, device, dtype, torch version.

    ``notes`` says how the model was drawn where that is not obvious (unwrapped from
    ``torch.compile``, say).
    """

    name: str
    input_shapes: list[list[int]]
    device: str
    dtype: str
    torch_version: str
    notes: NotRequired[list[str]]
    values: NotRequired[ValuesInfo]


class ValuesInfo(TypedDict):
    """How a values trace (``values=True``) was made and read: see :mod:`torchscope.flow`.

    ``linear``: the histograms' linear threshold as a fraction of each tensor's largest magnitude;
    ``seed``: the seed of the inputs made from shapes (None when all were given); ``origin``: the
    first node in call order whose outputs hold a NaN or an Inf, or None.
    """

    linear: float
    seed: int | None
    origin: str | None


class Histogram(TypedDict):
    """Counts of a tensor's finite elements in equal bins of the symmetric log scale over ±absmax."""

    absmax: float
    counts: list[int]


class ParamValues(Histogram):
    """One parameter's summary: the output statistics, its L2 norm, and its histogram."""

    name: str
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    zeros: float | None
    nan: int
    inf: int
    norm: float


class NodeValues(TypedDict):
    """What a values trace saw at a node: a histogram per output, the parameters it first read."""

    outputs: list[Histogram | None]
    params: list[ParamValues]


class Column(TypedDict):
    """A statistic every node and group may carry, with the unit and kind the views format it by."""

    key: str
    label: str
    unit: str
    kind: ColumnKind


class Node(TypedDict):
    """One drawn node: a graph input, a leaf-module call, a functional op, or an output."""

    id: str
    kind: NodeKind
    op: str
    label: str
    parent: str | None
    module_path: str
    attrs: dict[str, str | int | float | bool | list[int] | None]
    repr: str
    inputs: list[TensorMeta]
    outputs: list[TensorMeta]
    stats: dict[str, StatValue]
    uncounted: list[str]
    error: NotRequired[str]
    # the assumptions, in words, its counts rest on: present only for a model estimated on meta
    estimated: NotRequired[list[str]]
    # only in a values trace (its scalar statistics are columns, in ``stats``)
    values: NotRequired[NodeValues]


class Group(TypedDict):
    """One call of a module with children; ``repeat_of`` names an identical earlier sibling.

    ``kind`` is ``"structure"`` for a structure passed in or returned (a cache, a ``ModelOutput``)
    whose tensors are its children; absent for a module call.
    """

    id: str
    op: str
    label: str
    parent: str | None
    children: list[str]
    stats: dict[str, StatValue]
    repeat_of: NotRequired[str]
    # the assumptions its nodes' counts rest on (see Node.estimated)
    estimated: NotRequired[list[str]]
    # what the module is beyond its type: an experts module's experts, top_k, params_per_expert
    attrs: NotRequired[dict[str, str | int | float | bool | list[int] | None]]
    kind: NotRequired[Literal["structure"]]


class Edge(TypedDict):
    """One tensor flowing from ``source`` to ``target``."""

    source: str
    target: str
    shape: list[int]
    dtype: str


DiffStatus = Literal["same", "changed", "added", "removed"]
DIFF_STATUSES: frozenset[str] = frozenset({"same", "changed", "added", "removed"})


class DiffChange(TypedDict):
    """One fact of a pair that differs (``op``, ``attrs.kernel_size``, ``outputs``, ``macs``...)."""

    field: str
    a: object
    b: object


class DiffItem(TypedDict):
    """How one node or group of a merged (diff) payload compares: its status and ids on each side."""

    status: DiffStatus
    a: str | None
    b: str | None
    changes: NotRequired[list[DiffChange]]
    wrapper: NotRequired[bool]


class DiffSection(TypedDict):
    """What a payload drawn from two models adds (see :mod:`torchscope.diff.payload`)."""

    a: ModelInfo
    b: ModelInfo
    names: list[str]
    totals: dict[str, dict[str, StatValue]]
    # delta column key → the column it is the delta of
    deltas: dict[str, str]
    items: dict[str, DiffItem]


class Payload(TypedDict):
    """The whole ``graph`` trait; ``diff`` only when it compares two models, ``step`` for training."""

    schema: int
    model: ModelInfo
    columns: list[Column]
    nodes: list[Node]
    groups: list[Group]
    edges: list[Edge]
    # the members without a parent (inputs, top-level groups and nodes, outputs), in call order:
    # what a group's ``children`` are for the model itself
    roots: list[str]
    totals: dict[str, StatValue]
    diff: NotRequired[DiffSection]
    step: NotRequired[Step]


def top_level_members(payload: Payload) -> list[str]:
    """Ids of the top-level groups and nodes, in call order (as the tracer recorded it)."""
    return list(payload["roots"])


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
    _check_model(top.get("model"))
    columns = _check_columns(top.get("columns"))
    groups = _mappings(top.get("groups"), "groups")
    group_ids = _unique_ids(groups, "groups")
    nodes = _mappings(top.get("nodes"), "nodes")
    node_ids = _unique_ids(nodes, "nodes")
    if not node_ids.isdisjoint(group_ids):
        for i, node in enumerate(nodes):
            if node["id"] in group_ids:
                raise SchemaError(f"nodes[{i}].id: {node['id']!r} is also the id of a group")
    _check_nodes(nodes, group_ids, columns)
    _check_origin(_mapping(top["model"], "model"), node_ids)
    members = node_ids | group_ids
    for i, group in enumerate(groups):
        _check_group(group, f"groups[{i}]", group_ids, members, columns)
    edges = _sequence(top.get("edges"), "edges")
    if not _holds(schema_bulk.edges_hold, edges, node_ids):
        for i, edge in enumerate(edges):
            _check_edge(edge, f"edges[{i}]", node_ids)
    _check_roots(top.get("roots"), [*groups, *nodes])
    _stats(top.get("totals"), columns, "totals")
    if "step" in top:
        check_step(top["step"], len(nodes))
    if "diff" in top:
        _check_diff(top["diff"], members, columns)
    return payload  # type: ignore[return-value]  # checked field by field above


def _check_model(value: object) -> None:
    model = _mapping(value, "model")
    for key in ("name", "device", "dtype", "torch_version"):
        _string(model.get(key), f"model.{key}")
    for i, shape in enumerate(_sequence(model.get("input_shapes"), "model.input_shapes")):
        _shape(shape, f"model.input_shapes[{i}]")
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


def _check_origin(model: Mapping[str, object], node_ids: set[str]) -> None:
    """Check that the origin of the first NaN or Inf, when there is one, is a node."""
    origin = _mapping(model["values"], "model.values").get("origin") if "values" in model else None
    if origin is not None and origin not in node_ids:
        raise SchemaError(f"model.values.origin: {origin!r} is not a node")


def _check_node_values(value: object, where: str) -> None:
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


def _check_columns(value: object) -> dict[str, str]:
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
        _check_node(nodes[i], f"nodes[{i}]", group_ids, columns)


_NODE_KINDS = frozenset(NODE_KINDS)


def _check_node(node: Mapping[str, object], where: str, group_ids: set[str], columns: dict[str, str]) -> None:
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
    _stats(node.get("stats"), columns, f"{where}.stats")
    for j, op in enumerate(_sequence(node.get("uncounted"), f"{where}.uncounted")):
        _string(op, f"{where}.uncounted[{j}]")
    if "error" in node:
        _string(node["error"], f"{where}.error")
    _estimated(node, where)
    if "values" in node:
        _check_node_values(node["values"], f"{where}.values")


def _check_group(
    group: Mapping[str, object], where: str, group_ids: set[str], members: set[str], columns: dict[str, str]
) -> None:
    _string(group.get("op"), f"{where}.op")
    _string(group.get("label"), f"{where}.label")
    _parent(group.get("parent"), group_ids, f"{where}.parent")
    for j, child in enumerate(_sequence(group.get("children"), f"{where}.children")):
        if not isinstance(child, str) or child not in members:
            raise SchemaError(f"{where}.children[{j}]: {child!r} is neither a node nor a group")
    _stats(group.get("stats"), columns, f"{where}.stats")
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


def _check_diff(value: object, members: set[str], columns: dict[str, str]) -> None:
    section = _mapping(value, "diff")
    for side in ("a", "b"):
        _mapping(section.get(side), f"diff.{side}")
        _stats(_mapping(section.get("totals"), "diff.totals").get(side), columns, f"diff.totals.{side}")
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


def _shape(value: object, where: str) -> None:
    dims = _sequence(value, where)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise SchemaError(f"{where}: expected a list of non-negative ints, got {value!r}")


def _tensor_meta(value: object, where: str) -> None:
    meta = _mapping(value, where)
    _shape(meta.get("shape"), f"{where}.shape")
    _string(meta.get("dtype"), f"{where}.dtype")


def _parent(value: object, group_ids: set[str], where: str) -> None:
    if value is not None and not _known(value, group_ids):
        raise SchemaError(f"{where}: {value!r} is not a group")


def _known(value: object, ids: set[str]) -> bool:
    # a list or a dict where an id belongs must fail the check, not raise TypeError (unhashable)
    return isinstance(value, str) and value in ids


def _stats(value: object, columns: dict[str, str], where: str) -> None:
    """Every key a declared column, every value None or of its column's kind."""
    for key, stat in _mapping(value, where).items():
        kind = columns.get(key)
        if kind is None:
            raise SchemaError(f"{where}.{key}: {key!r} is not a declared column")
        if stat is None:
            continue
        if kind == "shape":
            for j, shape in enumerate(_sequence(stat, f"{where}.{key}")):
                _shape(shape, f"{where}.{key}[{j}]")
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
