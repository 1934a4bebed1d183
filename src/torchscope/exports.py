"""Exports of the layer graph for other tools: GraphML (yEd, Gephi, networkx) and Graphviz DOT.

Both are built from the schema payload, like the widget and the stats table, so every tool sees
the same nodes, edges and numbers. Module names, reprs and attribute values are user data and may
hold any character; each format gets its own escaping here and nowhere else.

GraphML only carries scalars, so the payload is flattened:

* node: ``kind``, ``op``, ``label``, ``parent`` (``""`` at the top level), ``module_path``,
  ``repr``, ``attrs`` (a JSON object, keys sorted), ``input_shapes`` / ``output_shapes``
  (``"1x3x224x224"``, several joined by ``"; "``, ``"scalar"`` for a 0-d tensor),
  ``input_dtypes`` / ``output_dtypes``, ``uncounted`` (``"aten.foo ×3; ..."``), ``error`` when
  the node failed, and one number per statistic: ``stat_params``, ``stat_macs``, ``stat_flops``…
  (a statistic with no value is left out rather than written as a fake zero);
* edge: ``shape`` and ``dtype``;
* graph: ``name``, ``device``, ``dtype``, ``input_shapes``, ``torch_version``, ``schema`` and
  ``total_params``, ``total_macs``… for the whole model.

Numbers stay numbers (GraphML ``long``/``double``) so that Gephi can size and colour by them.
XML 1.0 cannot carry most control characters (and turns a carriage return into a newline), so
those become U+FFFD in both formats.

DOT: every module group is a ``subgraph cluster_N`` nested like the module hierarchy; nodes are
named ``n0``, ``n1``… in call order and carry their id, type and output shape in an HTML-like
label, where ``&``, ``<``, ``>`` and ``"`` are entities and a newline is ``<BR/>``. HTML labels are
used because in a quoted DOT string a backslash before the closing quote escapes it, so a user
string ending in a backslash cannot be written safely there; HTML labels have no backslash escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import networkx as nx

from torchscope import schema

ORIENTATIONS = schema.ORIENTATIONS

# XML 1.0 allows tab and newline among the C0 controls; CR is normalised away by every parser
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_SHAPE_STATS = frozenset({"input_shapes", "output_shapes"})


def shape_text(shape: Sequence[int]) -> str:
    """``[1, 3, 224, 224]`` → ``"1x3x224x224"``; a 0-d tensor is ``"scalar"``."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


def _shapes_text(metas: Sequence[schema.TensorMeta]) -> str:
    return "; ".join(shape_text(m["shape"]) for m in metas)


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


# -- GraphML -----------------------------------------------------------------------------------


def graphml_graph(payload: schema.Payload) -> nx.DiGraph:
    """Return the payload as a DiGraph whose every attribute is a GraphML scalar (see above)."""
    model = payload["model"]
    graph = nx.DiGraph(
        name=_xml_safe(model["name"]),
        device=str(model["device"]),
        dtype=str(model["dtype"]),
        input_shapes="; ".join(shape_text(s) for s in model["input_shapes"]),
        # str(): torch.__version__ is a str subclass that the GraphML writer does not accept
        torch_version=str(model["torch_version"]),
        schema=payload["schema"],
        **_flat_stats(payload["totals"], "total_"),
    )
    for node in payload["nodes"]:
        graph.add_node(_xml_safe(node["id"]), **_flat_node(node))
    for edge in payload["edges"]:
        graph.add_edge(
            _xml_safe(edge["source"]),
            _xml_safe(edge["target"]),
            shape=shape_text(edge["shape"]),
            dtype=edge["dtype"],
        )
    return graph


def write_graphml(payload: schema.Payload, path: str | Path) -> Path:
    """Write the payload as GraphML to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    nx.write_graphml(graphml_graph(payload), target, encoding="utf-8")
    return target


def _flat_node(node: schema.Node) -> dict[str, str | int | float]:
    flat: dict[str, str | int | float] = {
        "kind": node["kind"],
        "op": _xml_safe(node["op"]),
        "label": _xml_safe(node["label"]),
        "parent": _xml_safe(node["parent"] or ""),
        "module_path": _xml_safe(node["module_path"]),
        "repr": _xml_safe(node["repr"]),
        "attrs": _xml_safe(json.dumps(node["attrs"], sort_keys=True, ensure_ascii=False)),
        "input_shapes": _shapes_text(node["inputs"]),
        "output_shapes": _shapes_text(node["outputs"]),
        "input_dtypes": "; ".join(m["dtype"] for m in node["inputs"]),
        "output_dtypes": "; ".join(m["dtype"] for m in node["outputs"]),
        "uncounted": "; ".join(node["uncounted"]),
        **_flat_stats(node["stats"], "stat_"),
    }
    if "error" in node:
        flat["error"] = _xml_safe(node["error"])
    return flat


def _flat_stats(stats: dict[str, schema.StatValue], prefix: str) -> dict[str, str | int | float]:
    flat: dict[str, str | int | float] = {}
    for key, value in stats.items():
        # shapes are already node attributes; None means "not measured", which is not zero
        if key in _SHAPE_STATS or value is None or isinstance(value, list):
            continue
        flat[prefix + key] = _xml_safe(value) if isinstance(value, str) else value
    return flat


# -- DOT ---------------------------------------------------------------------------------------

_NODE_STYLE = {
    "input": 'shape=box, style="rounded,filled", fillcolor="#e6f4ea"',
    "output": 'shape=box, style="rounded,filled", fillcolor="#e6f4ea"',
    "module": 'shape=box, style="filled", fillcolor="#eef2fb"',
    "function": 'shape=box, style="rounded,filled", fillcolor="#fdf3e1"',
}
_FAILED_STYLE = 'color="#c53030", penwidth=2'


def to_dot(payload: schema.Payload, orientation: str = "TB") -> str:
    """Return Graphviz DOT text for the payload: clusters for module groups, shapes on edges."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    names = {node["id"]: f"n{i}" for i, node in enumerate(payload["nodes"])}
    lines = [
        "digraph torchscope {",
        f"  graph [rankdir={orientation}, fontname=Helvetica, fontsize=12, labelloc=t,",
        f"         label={_html_label([(payload['model']['name'], True)])}];",
        '  node [fontname=Helvetica, fontsize=10, color="#4a5568"];',
        '  edge [fontname=Helvetica, fontsize=9, color="#718096"];',
    ]
    lines.extend(_dot_members(payload, names))
    for edge in payload["edges"]:
        label = f'"{shape_text(edge["shape"])}"'  # digits and "x" only: nothing to escape
        lines.append(f"  {names[edge['source']]} -> {names[edge['target']]} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_members(payload: schema.Payload, names: dict[str, str]) -> Iterator[str]:
    """Node and cluster statements, each group's members inside its cluster, in call order."""
    nodes = {n["id"]: n for n in payload["nodes"]}
    groups = {g["id"]: g for g in payload["groups"]}
    clusters = {g["id"]: f"cluster_{i}" for i, g in enumerate(payload["groups"])}

    def emit(member: str, indent: str) -> Iterator[str]:
        if member in groups:
            group = groups[member]
            yield f"{indent}subgraph {clusters[member]} {{"
            yield f"{indent}  label={_html_label([(group['label'], True), (group['op'], False)])};"
            yield f'{indent}  style="rounded"; color="#a0aec0"; fontsize=10;'
            for child in group["children"]:
                yield from emit(child, indent + "  ")
            yield f"{indent}}}"
        elif member in nodes:
            yield f"{indent}{names[member]} [{_node_attributes(nodes[member])}];"

    for member in schema.top_level_members(payload):
        yield from emit(member, "  ")


def _node_attributes(node: schema.Node) -> str:
    tensors = node["inputs"] if node["kind"] == "output" else node["outputs"]
    rows = [(node["label"], True), (node["op"], False)]
    if tensors:
        rows.append((", ".join(shape_text(t["shape"]) for t in tensors), False))
    style = _NODE_STYLE[node["kind"]]
    if "error" in node:
        rows.append(("failed here", False))
        style += ", " + _FAILED_STYLE
    return f"label={_html_label(rows)}, {style}"


def _html_label(rows: Sequence[tuple[str, bool]]) -> str:
    """Return an HTML-like label: one line per row, the bold ones in ``<B>``."""
    parts = [f"<B>{_html_text(text)}</B>" if bold else _html_text(text) for text, bold in rows]
    return "<" + "<BR/>".join(parts) + ">"


def _html_text(text: str) -> str:
    escaped = (
        _xml_safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    # an empty line would collapse the label; a newline in user text is a line break
    return escaped.replace("\n", "<BR/>") or " "
