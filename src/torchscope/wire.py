"""The compact wire (schema version 2): how a payload travels, and the one module that knows it.

The *document* is the expanded payload of :mod:`torchscope.schema` (schema 1): what
``ModelGraph.to_json()`` returns and what Python code and tests read. The *wire* is what leaves
the kernel: the widget's ``graph`` trait as sent, the standalone page's embedded state, and
payloads saved as JSON. :func:`encode` turns a document into the wire; :func:`decode` turns a
wire of either version back into the document (a schema-1 payload is the document itself, so
saved pages and files of schema 1 still open). ``js/wire.ts`` is the front end's decoder.

Schema 2 writes each fact once:

* members are numbered groups first, then nodes; the tree is written once, as each group's
  ``children`` and the ``roots`` (member numbers), and a member's parent is read from them;
* an id is written as its ``name`` below its parent (``q_proj`` under ``...self_attn``); the
  members listed in ``absolute`` carry their whole id;
* nodes and groups are columns (one list per field); repeated strings (ops, reprs, dtypes) are
  numbers into ``strings``, attribute objects numbers into ``attrs``, tensor types (shape and
  dtype) numbers into ``types``;
* a shape is written on the node that produces it (``outputs``: type numbers); an edge names its
  source's output ``slot`` (``-1 - k`` for a tensor of type ``k`` that is not one of the source's
  outputs); a node's ``inputs`` are the tensors of the edges into it, in edge order;
* a label, module path or input list is written only where it differs from what it follows from
  (a function's label is its op, any other member's its id; a module's path its id before ``#``);
* statistics are one list per column, members with the same keys share a key set (``sets``), and
  a column equal to another (``activation_bytes`` is ``write_bytes``) or to the tensor shapes
  (``output_shapes``) is named in ``derived`` instead of written;
* optional fields (``error``, ``values``, ``repeat_of``...) are objects from member position to
  value; ``model``, ``columns``, ``totals``, ``step`` and ``diff`` are as in the document.

A document whose tree cannot be written once (a member listed as the child of a group that is not
its parent) is refused by :func:`encode`; the tracer never makes one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from itertools import compress
from typing import Any, cast

from torchscope import schema
from torchscope.schema_checks import SchemaError
from torchscope.wire_checks import check_wire, member_ids

WIRE_VERSION = 2

# the optional fields that travel as {position: value} objects, per part
_NODE_SPARSE = ("uncounted", "error", "estimated", "values")
_GROUP_SPARSE = ("repeat_of", "estimated", "attrs", "kind")
_SHAPE_SOURCES = ("outputs", "inputs")
_Wire = dict[str, Any]


class _Table:
    """Numbers for distinct values, in order of first use."""

    def __init__(self, key: Callable[[Any], Hashable] = lambda v: v) -> None:
        self.items: list[object] = []
        self._index: dict[Hashable, int] = {}
        self._key = key

    def __call__(self, value: object) -> int:
        key = self._key(value)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.items)
            self.items.append(value)
        return found


def encode(document: schema.Payload) -> _Wire:
    """Return the compact wire (schema 2) of a valid ``document`` (schema 1).

    Raises
    ------
    SchemaError
        when the document's tree cannot be written once (see the module docstring).
    """
    groups, nodes = document["groups"], document["nodes"]
    number = {g["id"]: i for i, g in enumerate(groups)}
    number.update({n["id"]: len(groups) + i for i, n in enumerate(nodes)})
    strings = _Table()
    types = _Table(lambda t: (tuple(t[0]), t[1]))
    attrs = _Table(lambda a: repr(sorted(a.items())))

    def tensor_type(meta: schema.TensorMeta) -> int:
        return types([list(meta["shape"]), strings(meta["dtype"])])

    children = [[number[c] for c in g["children"]] for g in groups]
    _check_tree(document, number, children)
    members: list[Mapping[str, Any]] = [*groups, *nodes]
    absolute = [i for i, m in enumerate(members) if _name(m) is None]
    outputs = [[tensor_type(t) for t in n["outputs"]] for n in nodes]
    edges = document["edges"]
    slots = [_slot(e, nodes[number[e["source"]] - len(groups)], tensor_type) for e in edges]
    incoming: list[list[schema.TensorMeta]] = [[] for _ in nodes]
    for edge in edges:
        incoming[number[edge["target"]] - len(groups)].append(
            {"shape": edge["shape"], "dtype": edge["dtype"]}
        )
    node_part: _Wire = {
        "name": [_name(n) or n["id"] for n in nodes],
        "kind": [schema.NODE_KINDS.index(n["kind"]) for n in nodes],
        "op": [strings(n["op"]) for n in nodes],
        "attrs": [attrs(n["attrs"]) for n in nodes],
        "repr": [strings(n["repr"]) for n in nodes],
        "outputs": outputs,
        "stats": _stats(nodes, document["columns"], node_shapes=True),
        "label": _differing(nodes, "label", _default_label),
        "module_path": _differing(nodes, "module_path", _default_path),
        "inputs": {
            str(i): [tensor_type(t) for t in n["inputs"]]
            for i, n in enumerate(nodes)
            if _metas(n["inputs"]) != _metas(incoming[i])
        },
    }
    node_part.update({key: _sparse(nodes, key) for key in _NODE_SPARSE})
    node_part["uncounted"] = {k: v for k, v in node_part["uncounted"].items() if v}
    group_part: _Wire = {
        "name": [_name(g) or g["id"] for g in groups],
        "op": [strings(g["op"]) for g in groups],
        "children": children,
        "stats": _stats(groups, document["columns"], node_shapes=False),
        "label": _differing(groups, "label", _default_label),
    }
    group_part.update({key: _sparse(groups, key) for key in _GROUP_SPARSE})
    group_part["repeat_of"] = {k: number[v] for k, v in group_part["repeat_of"].items()}
    wire: _Wire = {
        "schema": WIRE_VERSION,
        "model": document["model"],
        "columns": document["columns"],
        "strings": strings.items,
        "attrs": attrs.items,
        "types": types.items,
        "nodes": node_part,
        "groups": group_part,
        "absolute": absolute,
        "edges": {
            "source": [number[e["source"]] - len(groups) for e in edges],
            "target": [number[e["target"]] - len(groups) for e in edges],
            "slot": slots,
        },
        "roots": [number[r] for r in document["roots"]],
        "totals": document["totals"],
    }
    for key in ("step", "diff"):
        if key in document:
            wire[key] = document[key]
    return wire


def decode(value: object) -> schema.Payload:
    """Return the document a wire of schema 1 or 2 carries, checked against the contract.

    Raises
    ------
    SchemaError
        naming the first field that is wrong and, for a schema-2 column, the member it belongs to
        (``nodes.kind[3] (node 'blocks.0.conv'): ...``).
    """
    if isinstance(value, Mapping) and value.get("schema") == WIRE_VERSION:
        document = expand(check_wire(value))
        try:
            return schema.validate(document)
        except SchemaError as error:
            raise SchemaError(_naming_the_member(str(error), document)) from None
    if isinstance(value, Mapping) and value.get("schema") not in (schema.SCHEMA_VERSION, WIRE_VERSION):
        found = value.get("schema")
        raise SchemaError(f"schema: expected {schema.SCHEMA_VERSION} or {WIRE_VERSION}, got {found!r}")
    return schema.validate(value)


def expand(wire: Mapping[str, Any]) -> schema.Payload:
    """Return the document of a wire that :func:`~torchscope.wire_checks.check_wire` accepted."""
    part_n, part_g = wire["nodes"], wire["groups"]
    strings, types, n_groups = wire["strings"], wire["types"], len(part_g["name"])
    parent, ids = member_ids(wire)

    def meta(t: int) -> schema.TensorMeta:
        shape, dtype = types[t]
        return {"shape": list(shape), "dtype": strings[dtype]}

    part_e = wire["edges"]
    outputs = [[meta(t) for t in slot_types] for slot_types in part_n["outputs"]]
    edges: list[schema.Edge] = []
    incoming: list[list[schema.TensorMeta]] = [[] for _ in outputs]
    for source, target, slot in zip(part_e["source"], part_e["target"], part_e["slot"], strict=True):
        tensor = outputs[source][slot] if slot >= 0 else meta(-1 - slot)
        shape, dtype = tensor["shape"], tensor["dtype"]
        edges.append(
            {
                "source": ids[n_groups + source],
                "target": ids[n_groups + target],
                "shape": [*shape],
                "dtype": dtype,
            }
        )
        incoming[target].append({"shape": [*shape], "dtype": dtype})
    inputs = [
        [meta(t) for t in part_n["inputs"][str(i)]] if str(i) in part_n["inputs"] else incoming[i]
        for i in range(len(outputs))
    ]
    node_stats = _expand_stats(part_n["stats"], {"outputs": outputs, "inputs": inputs})
    nodes: list[schema.Node] = []
    for i, kind in enumerate(part_n["kind"]):
        up, key = parent[n_groups + i], str(i)
        node: dict[str, Any] = {
            "id": ids[n_groups + i],
            "kind": schema.NODE_KINDS[kind],
            "op": strings[part_n["op"][i]],
            "parent": None if up is None else ids[up],
            "attrs": dict(wire["attrs"][part_n["attrs"][i]]),
            "repr": strings[part_n["repr"][i]],
            "inputs": inputs[i],
            "outputs": outputs[i],
            "stats": node_stats[i],
            "uncounted": list(part_n["uncounted"].get(key, [])),
        }
        node["label"] = part_n["label"].get(key, _default_label(node))
        node["module_path"] = part_n["module_path"].get(key, _default_path(node))
        node.update({f: part_n[f][key] for f in _NODE_SPARSE[1:] if key in part_n[f]})
        nodes.append(cast("schema.Node", node))
    group_stats = _expand_stats(part_g["stats"], {})
    groups: list[schema.Group] = []
    for g, kids in enumerate(part_g["children"]):
        up, key = parent[g], str(g)
        group: dict[str, Any] = {
            "id": ids[g],
            "op": strings[part_g["op"][g]],
            "parent": None if up is None else ids[up],
            "children": [ids[c] for c in kids],
            "stats": group_stats[g],
        }
        group["label"] = part_g["label"].get(key, group["id"])
        group.update({f: part_g[f][key] for f in _GROUP_SPARSE if key in part_g[f]})
        if key in part_g["repeat_of"]:
            group["repeat_of"] = ids[part_g["repeat_of"][key]]
        groups.append(cast("schema.Group", group))
    document: dict[str, Any] = {
        "schema": schema.SCHEMA_VERSION,
        "model": wire["model"],
        "columns": wire["columns"],
        "nodes": nodes,
        "groups": groups,
        "edges": edges,
        "roots": [ids[r] for r in wire["roots"]],
        "totals": wire["totals"],
    }
    document.update({key: wire[key] for key in ("step", "diff") if key in wire})
    return cast("schema.Payload", document)


_MEMBER_FIELD = re.compile(r"^(nodes|groups)\[(\d+)\]")


def _naming_the_member(message: str, document: schema.Payload) -> str:
    """Add the member's id to an error about the expanded document (its position is the wire's)."""
    found = _MEMBER_FIELD.match(message)
    if found is None:
        return message
    part, position = found.group(1), int(found.group(2))
    ident = document[part][position]["id"]  # type: ignore[literal-required]  # nodes or groups
    return f"{message} ({part[:-1]} {ident!r})"


def _check_tree(document: schema.Payload, number: dict[str, int], children: list[list[int]]) -> None:
    """Refuse a document whose children and roots are not exactly its members' parents."""
    listed: dict[int, str | None] = {}
    for g, kids in enumerate(children):
        for child in kids:
            listed.setdefault(child, document["groups"][g]["id"])
    for root in document["roots"]:
        listed.setdefault(number[root], None)
    for where, items in (("groups", document["groups"]), ("nodes", document["nodes"])):
        for i, item in enumerate(items):
            if listed.get(number[item["id"]], "") != item["parent"]:
                raise SchemaError(
                    f"{where}[{i}].parent: {item['id']!r} is not listed once, as a child of its parent "
                    "(or in roots when it has none), so its tree cannot be written once"
                )
    if sum(map(len, children)) + len(document["roots"]) != len(number):
        raise SchemaError("groups: a member is listed twice among the children and roots")


def _name(member: Mapping[str, Any]) -> str | None:
    """Return the member's id below its parent's, or None when the id does not extend the parent's."""
    parent, ident = member["parent"], member["id"]
    if parent is None:
        return str(ident)
    prefix = f"{parent}."
    return ident[len(prefix) :] if ident.startswith(prefix) and len(ident) > len(prefix) else None


def _default_label(member: Mapping[str, Any]) -> str:
    return str(member["op"] if member.get("kind") == "function" else member["id"])


def _default_path(node: Mapping[str, Any]) -> str:
    return str(node["id"]).split("#", 1)[0] if node["kind"] == "module" else ""


def _differing(items: Sequence[Mapping[str, Any]], key: str, default: Callable[[Any], str]) -> dict[str, Any]:
    return {str(i): item[key] for i, item in enumerate(items) if item[key] != default(item)}


def _sparse(items: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
    return {str(i): item[key] for i, item in enumerate(items) if key in item}


def _metas(metas: Sequence[Mapping[str, Any]]) -> list[tuple[tuple[int, ...], str]]:
    return [(tuple(m["shape"]), m["dtype"]) for m in metas]


def _slot(edge: schema.Edge, source: schema.Node, tensor_type: Callable[[schema.TensorMeta], int]) -> int:
    """Return the source's output the edge carries, or ``-1 - type`` for a tensor that is not one."""
    for slot, out in enumerate(source["outputs"]):
        if out["dtype"] == edge["dtype"] and out["shape"] == edge["shape"]:
            return slot
    return -1 - tensor_type({"shape": edge["shape"], "dtype": edge["dtype"]})


_ABSENT = object()


def _stats(
    items: Sequence[Mapping[str, Any]], columns: Sequence[schema.Column], *, node_shapes: bool
) -> _Wire:
    """Return the stats of ``items`` as columns: key sets, one list per column, the derived ones."""
    sets = _Table(tuple)
    chosen = [sets(tuple(item["stats"])) for item in items]
    values: dict[str, list[Any]] = {}
    derived: dict[str, str] = {}
    sources: list[tuple[str, list[Any]]] = []
    if node_shapes:
        sources = [(s, [[list(t["shape"]) for t in item[s]] for item in items]) for s in _SHAPE_SOURCES]
    for column in columns:
        key = column["key"]
        found = [item["stats"].get(key, _ABSENT) for item in items]
        present = [v is not _ABSENT for v in found]
        if not any(present):
            continue
        mine = list(compress(found, present))
        source = next((name for name, col in sources if _same(mine, list(compress(col, present)))), None)
        if source is not None:
            derived[key] = source
            continue
        values[key] = [None if v is _ABSENT else v for v in found]
        sources.append((key, found))
    return {
        "sets": [list(cast("tuple[str, ...]", s)) for s in sets.items],
        "set": chosen,
        "values": values,
        "derived": derived,
    }


def _same(values: list[Any], source: list[Any]) -> bool:
    """Whether two columns hold equal values of the same types (``1`` is not ``1.0``)."""
    return values == source and list(map(type, values)) == list(map(type, source))


def _expand_stats(
    part: Mapping[str, Any], shapes: Mapping[str, list[list[schema.TensorMeta]]]
) -> list[dict[str, Any]]:
    """Return the stats dict of each member of a part, from its columns (see :func:`_stats`)."""
    values, derived = part["values"], part["derived"]
    result: list[dict[str, Any]] = []
    for i, chosen in enumerate(part["set"]):
        stats: dict[str, Any] = {}
        for key in part["sets"][chosen]:
            source = derived.get(key, key)  # a written column or a side's shapes (check_wire)
            if source in shapes:
                stats[key] = [list(t["shape"]) for t in shapes[source][i]]
            else:
                stats[key] = values[source][i]
        result.append(stats)
    return result
