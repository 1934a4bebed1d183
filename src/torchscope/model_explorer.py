"""Model Explorer's formats: the graph JSON its built-in JSON adapter loads, and per-node data files.

Both are built from the schema payload, as every other export, so Model Explorer shows our nodes,
groups and numbers in its own viewer (``model-explorer model.json
--node_data_paths=model.macs.json,...``). The layouts follow ``model_explorer.graph_builder``
and ``model_explorer.node_data_builder`` (ai-edge-model-explorer):

* the graph file is one ``GraphCollection``: ``{"label", "graphs": [Graph]}``; each payload node is
  a ``GraphNode`` whose ``namespace`` is the path of module groups around it (``layer1/layer1.0``),
  so Model Explorer draws the groups as its collapsible layers. ``attrs`` carry the op, module
  path, repr, attributes and every statistic; ``outputsMetadata`` the shape and dtype of each
  output; ``incomingEdges`` the tensors, input slots numbered in order. Group statistics go to
  ``groupNodeAttributes`` under the group's namespace, the model totals under ``""``;
* each numeric statistic gets one node-data file, ``{"<graph id>": {"results": {node id:
  {"value"}}, "gradient": [...]}}``, for Model Explorer's colour-by-data overlay.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torchscope import schema
from torchscope.exports import shape_text

# white to the colour Model Explorer's own examples use for hot spots
_GRADIENT = [{"stop": 0, "bgColor": "#ffffff"}, {"stop": 1, "bgColor": "#d62728"}]


def write_model_explorer(payload: schema.Payload, path: str | Path) -> list[Path]:
    """Write the graph to ``path`` and one ``<stem>.<statistic>.json`` beside it per statistic."""
    target = Path(path)
    graph_id = payload["model"]["name"]
    collection = {"label": graph_id, "graphs": [graph_json(payload)]}
    target.write_text(json.dumps(collection), encoding="utf-8")
    written = [target]
    for key, data in node_data(payload).items():
        data_path = target.with_name(f"{target.stem}.{key}.json")
        data_path.write_text(json.dumps({graph_id: data}), encoding="utf-8")
        written.append(data_path)
    return written


def graph_json(payload: schema.Payload) -> dict[str, Any]:
    """Return the payload as one Model Explorer ``Graph`` (a dict in ``graph_builder``'s layout)."""
    groups = {g["id"]: g for g in payload["groups"]}
    incoming: dict[str, list[dict[str, str]]] = {}
    for edge in payload["edges"]:
        edges = incoming.setdefault(edge["target"], [])
        edges.append(
            {"sourceNodeId": edge["source"], "sourceNodeOutputId": "0", "targetNodeInputId": str(len(edges))}
        )
    stat_keys = [c["key"] for c in payload["columns"] if c["kind"] in ("count", "bytes")]
    return {
        "id": payload["model"]["name"],
        "nodes": [_node(n, groups, incoming.get(n["id"], []), stat_keys) for n in payload["nodes"]],
        "groupNodeAttributes": {
            "": _stat_attrs(payload["totals"], stat_keys),
            **{_namespace(g["id"], groups): _stat_attrs(g["stats"], stat_keys) for g in groups.values()},
        },
        "groupNodeConfigs": None,
        "nodeLabelsToHide": None,
        "tasksData": None,
        "layoutConfigs": None,
    }


def node_data(payload: schema.Payload) -> dict[str, dict[str, Any]]:
    """Per numeric statistic: Model Explorer ``GraphNodeData`` (results by node id, a gradient)."""
    found: dict[str, dict[str, Any]] = {}
    for column in payload["columns"]:
        if column["kind"] not in ("count", "bytes"):
            continue
        key = column["key"]
        results = {
            n["id"]: {"value": value}
            for n in payload["nodes"]
            if isinstance(value := n["stats"].get(key), int | float) and not isinstance(value, bool)
        }
        if results:
            found[key] = {"name": column["label"], "results": results, "gradient": _GRADIENT}
    return found


def _node(
    node: schema.Node, groups: dict[str, schema.Group], incoming: list[dict[str, str]], stat_keys: list[str]
) -> dict[str, Any]:
    attrs = [("op", node["op"]), ("kind", node["kind"])]
    attrs += [("module_path", node["module_path"])] if node["module_path"] else []
    attrs += [("repr", node["repr"])] if node["repr"] else []
    attrs += [(k, json.dumps(v) if not isinstance(v, str) else v) for k, v in sorted(node["attrs"].items())]
    attrs += [("error", node["error"])] if "error" in node else []
    attrs += [("uncounted", "; ".join(node["uncounted"]))] if node["uncounted"] else []
    return {
        "id": node["id"],
        "label": node["op"] if node["kind"] in ("module", "function") else node["label"],
        "namespace": _namespace(node["parent"], groups),
        "subgraphIds": [],
        "attrs": [{"key": k, "value": v} for k, v in attrs]
        + [{"key": k, "value": v} for k, v in _stat_attrs(node["stats"], stat_keys).items()],
        "incomingEdges": incoming,
        "outputsMetadata": [
            {
                "id": str(i),
                "attrs": [
                    {"key": "shape", "value": shape_text(t["shape"])},
                    {"key": "dtype", "value": t["dtype"]},
                ],
            }
            for i, t in enumerate(node["outputs"])
        ],
        "inputsMetadata": [],
        "style": None,
        "config": None,
    }


def _namespace(group_id: str | None, groups: dict[str, schema.Group]) -> str:
    """``layer1/layer1.0``: the labels of the groups from the top down to ``group_id``."""
    chain: list[str] = []
    current = group_id
    while current is not None:
        chain.append(groups[current]["label"].replace("/", "∕"))
        current = groups[current]["parent"]
    return "/".join(reversed(chain))


def _stat_attrs(stats: dict[str, schema.StatValue], keys: list[str]) -> dict[str, str]:
    return {k: str(stats[k]) for k in keys if isinstance(stats.get(k), int | float)}
