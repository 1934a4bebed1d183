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

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain, compress, islice, repeat
from operator import gt, itemgetter
from typing import Any, cast

from torchscope import collector, schema
from torchscope.schema_bulk import PLAIN_NODE_KEYS
from torchscope.schema_checks import SchemaError
from torchscope.wire_checks import check_wire, member_ids
from torchscope.wire_entries import check_entries
from torchscope.wire_stats import encode_stats, expand_stats

WIRE_VERSION = 2

# the optional fields that travel as {position: value} objects, per part
_NODE_SPARSE = ("uncounted", "error", "estimated", "values")
_GROUP_SPARSE = ("repeat_of", "estimated", "attrs", "kind")
_Wire = dict[str, Any]


class _Tables:
    """The wire's tables, filled in order of first use: strings, tensor types, attribute objects.

    Each maps a value's key to its number (see :func:`_numbered`); :meth:`items` writes them out.
    """

    def __init__(self) -> None:
        self.strings: dict[str, int] = {}
        self.types: dict[tuple[tuple[int, ...], str], int] = {}
        self.attrs: dict[str, int] = {}
        self._attrs_by_key: dict[str, object] = {}

    def string_numbers(self, values: Iterable[str]) -> list[int]:
        return _numbered(self.strings, list(values))

    def type_numbers(self, metas: Iterable[Mapping[str, Any]]) -> list[int]:
        return _numbered(self.types, _type_keys(list(metas)))

    def type_lists(self, lists: Sequence[Sequence[Mapping[str, Any]]]) -> list[list[int]]:
        """Return the type numbers of each list of ``lists`` (a node's outputs, say), in one pass."""
        numbers = iter(self.type_numbers(chain.from_iterable(lists)))
        return [list(islice(numbers, n)) for n in map(len, lists)]

    def attr_numbers(self, values: list[dict[str, Any]]) -> list[int]:
        # repr tells 1 from 1.0 and True; equal objects in another key order get two entries
        keys = list(map(repr, values))
        self._attrs_by_key.update(zip(keys, values, strict=True))
        table = self.attrs
        return [table.setdefault(k, len(table)) for k in keys]

    def items(self) -> dict[str, list[Any]]:
        strings = self.strings
        types = [[list(shape), strings.setdefault(dtype, len(strings))] for shape, dtype in self.types]
        return {
            "strings": list(strings),
            "attrs": [self._attrs_by_key[k] for k in self.attrs],
            "types": types,
        }


def _type_keys(metas: Sequence[Mapping[str, Any]]) -> list[tuple[tuple[int, ...], str]]:
    """Return the key of each tensor type (shape and dtype) in the types table, made in C."""
    return list(zip(map(tuple, map(_SHAPE, metas)), map(_DTYPE, metas), strict=True))


def _numbered(table: dict[Any, int], keys: list[Any]) -> list[int]:
    """Return each key's number in ``table``, numbering the new ones in order of first use.

    The Python loop runs once per new key; the pass over every key is ``map`` (in C).
    """
    for key in dict.fromkeys(keys):
        table.setdefault(key, len(table))
    return list(map(table.__getitem__, keys))


@collector.paused()
def encode(document: schema.Payload) -> _Wire:
    """Return the compact wire (schema 2) of a valid ``document`` (schema 1).

    Raises
    ------
    SchemaError
        when the document's tree cannot be written once (see the module docstring).
    """
    groups, nodes, edges = document["groups"], document["nodes"], document["edges"]
    n_groups = len(groups)
    number = {g["id"]: i for i, g in enumerate(groups)}
    number.update({n["id"]: n_groups + i for i, n in enumerate(nodes)})
    tables = _Tables()
    children = [[number[c] for c in g["children"]] for g in groups]
    _check_tree(document, number, children)
    names = list(map(_name, [*groups, *nodes]))
    outputs = tables.type_lists(list(map(_OUTPUTS, nodes)))
    sources = [number[s] - n_groups for s in map(_SOURCE, edges)]
    targets = [number[t] - n_groups for t in map(_TARGET, edges)]
    carried = tables.type_numbers(edges)  # an edge has a shape and a dtype
    slots = [_slot(outputs[s], t) for s, t in zip(sources, carried, strict=True)]
    incoming: list[list[int]] = [[] for _ in nodes]
    for target, tensor in zip(targets, carried, strict=True):
        incoming[target].append(tensor)
    ids, ops, kinds = list(map(_ID, nodes)), list(map(_OP, nodes)), list(map(_KIND, nodes))
    node_part: _Wire = {
        "name": [name or ident for name, ident in zip(names[n_groups:], ids, strict=True)],
        "kind": list(map(_KIND_NUMBER.__getitem__, kinds)),
        "op": tables.string_numbers(ops),
        "attrs": tables.attr_numbers(list(map(_ATTRS, nodes))),
        "repr": tables.string_numbers(map(_REPR, nodes)),
        "outputs": outputs,
        "stats": encode_stats(nodes, document["columns"], node_shapes=True),
        "label": {
            str(i): label
            for i, (label, ident, op, kind) in enumerate(
                zip(map(_LABEL, nodes), ids, ops, kinds, strict=True)
            )
            if label != (op if kind == "function" else ident)
        },
        "module_path": _differing(nodes, "module_path", _default_path),
        "inputs": _inputs_not_carried(nodes, incoming, tables),
    }
    node_part.update(_optional_node_fields(nodes))
    group_part: _Wire = {
        "name": [name or g["id"] for name, g in zip(names, groups, strict=False)],
        "op": tables.string_numbers(map(_OP, groups)),
        "children": children,
        "stats": encode_stats(groups, document["columns"], node_shapes=False),
        "label": _differing(groups, "label", _default_label),
    }
    group_part.update({key: _sparse(groups, key) for key in _GROUP_SPARSE})
    group_part["repeat_of"] = {k: number[v] for k, v in group_part["repeat_of"].items()}
    wire: _Wire = {
        "schema": WIRE_VERSION,
        "model": document["model"],
        "columns": document["columns"],
        **tables.items(),
        "nodes": node_part,
        "groups": group_part,
        "absolute": [i for i, name in enumerate(names) if name is None],
        "edges": {"source": sources, "target": targets, "slot": slots},
        "roots": [number[r] for r in document["roots"]],
        "totals": document["totals"],
    }
    for key in ("step", "diff"):
        if key in document:
            wire[key] = document[key]
    return wire


_ID, _OP, _KIND, _LABEL = itemgetter("id"), itemgetter("op"), itemgetter("kind"), itemgetter("label")
_ATTRS, _REPR, _OUTPUTS = itemgetter("attrs"), itemgetter("repr"), itemgetter("outputs")
_SOURCE, _TARGET = itemgetter("source"), itemgetter("target")
_SHAPE, _DTYPE, _INPUTS = itemgetter("shape"), itemgetter("dtype"), itemgetter("inputs")
_UNCOUNTED = itemgetter("uncounted")
_REQUIRED_NODE_KEYS = len(PLAIN_NODE_KEYS)
_KIND_NUMBER = {kind: i for i, kind in enumerate(schema.NODE_KINDS)}


def _inputs_not_carried(nodes: Sequence[schema.Node], incoming: list[list[int]], tables: _Tables) -> _Wire:
    """Return the input types of the nodes whose inputs are not the tensors of their edges in."""
    inputs = list(map(_INPUTS, nodes))
    known = tables.types
    found = list(map(known.get, _type_keys(list(chain.from_iterable(inputs)))))
    if list(map(len, inputs)) == list(map(len, incoming)) and found == list(chain.from_iterable(incoming)):
        return {}  # the common case, told in a few passes in C
    written: _Wire = {}
    for i, (node_inputs, carried) in enumerate(zip(inputs, incoming, strict=True)):
        if len(node_inputs) != len(carried) or list(map(known.get, _type_keys(node_inputs))) != carried:
            written[str(i)] = tables.type_numbers(node_inputs)
    return written


def _optional_node_fields(nodes: Sequence[schema.Node]) -> _Wire:
    """Return the sparse node fields: the non-empty ``uncounted`` lists and the optional keys."""
    uncounted = list(map(_UNCOUNTED, nodes))
    fields: _Wire = {"uncounted": {str(i): uncounted[i] for i in compress(range(len(uncounted)), uncounted)}}
    # only a node with more keys than the required ones can hold an optional one
    longer = list(compress(range(len(nodes)), map(gt, map(len, nodes), repeat(_REQUIRED_NODE_KEYS))))
    for key in _NODE_SPARSE[1:]:
        fields[key] = {str(i): nodes[i][key] for i in longer if key in nodes[i]}  # type: ignore[literal-required]
    return fields


@collector.paused()
def decode(value: object) -> schema.Payload:
    """Return the document a wire of schema 1 or 2 carries, checked against the contract.

    Raises
    ------
    SchemaError
        naming the first field that is wrong and, for a schema-2 column, the member it belongs to
        (``nodes.kind[3] (node 'blocks.0.conv'): ...``).
    """
    if is_wire(value):
        tree = _checked_wire(value)  # type: ignore[arg-type]  # a Mapping, by is_wire
        return expand(value, tree)  # type: ignore[arg-type]  # a Mapping, by is_wire  # valid by construction: not checked again
    return _checked_document(value)


@collector.paused()
def check(value: object) -> tuple[_Wire, schema.Payload | None]:
    """Return the wire of a payload of schema 1 or 2, checked, and its document when it was one.

    A wire is kept as it is (not expanded); a document is validated and encoded. Raises
    :class:`SchemaError` as :func:`decode` does.
    """
    if is_wire(value):
        _checked_wire(value)  # type: ignore[arg-type]  # a Mapping, by is_wire
        return dict(value), None  # type: ignore[call-overload]  # a Mapping, by is_wire
    document = _checked_document(value)
    return encode(document), document


def is_wire(value: object) -> bool:
    """Tell whether ``value`` claims to be a schema-2 wire (and so is checked as one)."""
    return isinstance(value, Mapping) and value.get("schema") == WIRE_VERSION


_Tree = tuple[list[int | None], list[str]]  # each member's parent number and whole id (member_ids)


def _checked_wire(value: Mapping[str, object]) -> _Tree:
    """Check a schema-2 wire's columns and entries; return its tree."""
    tree = check_wire(value)
    check_entries(value, tree[1])
    return tree


def _checked_document(value: object) -> schema.Payload:
    """Validate a schema-1 document, naming the version when it is neither."""
    if isinstance(value, Mapping) and value.get("schema") not in (schema.SCHEMA_VERSION, WIRE_VERSION):
        found = value.get("schema")
        raise SchemaError(f"schema: expected {schema.SCHEMA_VERSION} or {WIRE_VERSION}, got {found!r}")
    return schema.validate(value)


def expand(wire: Mapping[str, Any], tree: tuple[list[int | None], list[str]] | None = None) -> schema.Payload:
    """Return the document of a wire that ``check_wire`` and ``check_entries`` accepted.

    ``tree`` is its :func:`~torchscope.wire_checks.member_ids`, when they are at hand.
    """
    part_n, part_g = wire["nodes"], wire["groups"]
    strings, types, n_groups = wire["strings"], wire["types"], len(part_g["name"])
    parent, ids = member_ids(wire) if tree is None else tree

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
    node_stats = expand_stats(part_n["stats"], {"outputs": outputs, "inputs": inputs})
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
    group_stats = expand_stats(part_g["stats"], {})
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


def _slot(source_outputs: list[int], tensor: int) -> int:
    """Return the source's output an edge carries, or ``-1 - type`` for a tensor that is not one."""
    return source_outputs.index(tensor) if tensor in source_outputs else -1 - tensor
