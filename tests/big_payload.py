"""A synthetic op-level payload of any size, valid under the schema, built in a blink: for the
tests that need a graph bigger than any model this machine can trace in CI time.

``big_payload(blocks, per_block)`` is a stack of ``blocks`` identical blocks (a group each, inside
one root group) of ``per_block`` chained ops, between an input and an output: ``blocks ×
per_block + 2`` nodes. Nothing here depends on pytest, so a notebook kernel can import it too.
"""

from __future__ import annotations

from typing import Any

COLUMNS = [
    {"key": "params", "label": "Params", "unit": "", "kind": "count"},
    {"key": "macs", "label": "MACs", "unit": "", "kind": "count"},
    {"key": "flops", "label": "FLOPs", "unit": "", "kind": "count"},
]
SHAPE = [1, 128, 512]


def _node(node_id: str, kind: str, op: str, parent: str | None, stats: dict[str, int]) -> dict[str, Any]:
    tensor = {"shape": SHAPE, "dtype": "float32"}
    return {
        "id": node_id,
        "kind": kind,
        "op": op,
        "label": node_id,
        "parent": parent,
        "module_path": "",
        "attrs": {},
        "repr": "",
        "inputs": [] if kind == "input" else [tensor],
        "outputs": [] if kind == "output" else [tensor],
        "stats": stats,
        "uncounted": [],
    }


def big_payload(blocks: int, per_block: int) -> dict[str, Any]:
    """The payload: ``blocks * per_block + 2`` nodes in ``blocks + 1`` groups."""
    nodes = [_node("input", "input", "Input", None, {})]
    groups: list[dict[str, Any]] = [
        {"id": "stack", "op": "Stack", "label": "stack", "parent": None, "children": [], "stats": {}}
    ]
    edges = []
    previous = "input"
    per_op = {"params": 0, "macs": 1_000, "flops": 2_000}
    for b in range(blocks):
        block = f"stack.{b}"
        groups[0]["children"].append(block)
        children = []
        for i in range(per_block):
            node_id = f"{block}.op{i}"
            nodes.append(_node(node_id, "function", "linear" if i % 2 == 0 else "gelu", block, dict(per_op)))
            edges.append({"source": previous, "target": node_id, "shape": SHAPE, "dtype": "float32"})
            children.append(node_id)
            previous = node_id
        group = {"id": block, "op": "Block", "label": block, "parent": "stack", "children": children}
        group["stats"] = {key: value * per_block for key, value in per_op.items()}
        if b > 0:
            group["repeat_of"] = "stack.0"
        groups.append(group)
    nodes.append(_node("output", "output", "Output", None, {}))
    edges.append({"source": previous, "target": "output", "shape": SHAPE, "dtype": "float32"})
    totals = {key: value * per_block * blocks for key, value in per_op.items()}
    groups[0]["stats"] = dict(totals)
    return {
        "schema": 1,
        "model": {
            "name": "Big",
            "input_shapes": [SHAPE],
            "device": "meta",
            "dtype": "float32",
            "torch_version": "2.14.1",
        },
        "columns": COLUMNS,
        "nodes": nodes,
        "groups": groups,
        "edges": edges,
        "roots": ["input", "stack", "output"],
        "totals": totals,
    }
