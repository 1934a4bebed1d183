"""ModelGraph: the traced layer graph as a networkx DiGraph plus the module hierarchy.

Built from a :class:`~torchscope.trace.LeafTrace`; :meth:`ModelGraph.to_json` produces the
schema payload that the widget draws. In this foundation slice the nodes are the graph input,
the leaf-module calls and the output; edges exist only where one call's output tensor is
directly another call's input.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import torch

from torchscope import schema
from torchscope.trace import LeafTrace

COLUMNS: list[schema.Column] = [
    schema.Column(key="params", label="Params", unit="", kind="count"),
    schema.Column(key="params_trainable", label="Trainable params", unit="", kind="count"),
]


@dataclass
class ModelGraph:
    """The layer graph of one traced forward pass."""

    trace: LeafTrace

    def to_networkx(self) -> nx.DiGraph:
        """Return a DiGraph whose nodes carry the payload's node fields and edges shape/dtype."""
        payload = self.to_json()
        graph = nx.DiGraph()
        for node in payload["nodes"]:
            graph.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
        for edge in payload["edges"]:
            graph.add_edge(edge["source"], edge["target"], shape=edge["shape"], dtype=edge["dtype"])
        return graph

    def to_json(self) -> schema.Payload:
        """Return the schema payload (see :mod:`torchscope.schema`) that the widget draws."""
        trace = self.trace
        input_ids = (
            ["input"]
            if len(trace.input_shapes) == 1
            else [f"input#{i}" for i in range(len(trace.input_shapes))]
        )
        nodes: list[schema.Node] = [
            schema.Node(
                id=input_id,
                kind="input",
                op="Input",
                label=input_id,
                parent=None,
                module_path="",
                attrs={},
                repr="",
                inputs=[],
                outputs=[schema.TensorMeta(shape=list(shape), dtype=trace.dtype)],
                stats={},
                uncounted=[],
            )
            for input_id, shape in zip(input_ids, trace.input_shapes, strict=True)
        ]
        groups: dict[str, schema.Group] = {}
        edges: list[schema.Edge] = []
        for call in trace.calls:
            parent = _parent_path(call.path)
            nodes.append(
                schema.Node(
                    id=call.id,
                    kind="module",
                    op=call.type_name,
                    label=call.path,
                    parent=parent,
                    module_path=call.path,
                    attrs={},
                    repr=call.repr,
                    inputs=[schema.TensorMeta(shape=list(t.shape), dtype=t.dtype) for t in call.inputs],
                    outputs=[schema.TensorMeta(shape=list(t.shape), dtype=t.dtype) for t in call.outputs],
                    stats={"params": call.params, "params_trainable": call.params_trainable},
                    uncounted=[],
                )
            )
            self._add_ancestors(groups, call.path, call.id)
            for source, position in call.sources:
                tensor = call.inputs[position]
                edges.append(
                    schema.Edge(source=source, target=call.id, shape=list(tensor.shape), dtype=tensor.dtype)
                )
        if trace.calls:
            last = trace.calls[-1]
            nodes.append(
                schema.Node(
                    id="output",
                    kind="output",
                    op="Output",
                    label="output",
                    parent=None,
                    module_path="",
                    attrs={},
                    repr="",
                    inputs=[schema.TensorMeta(shape=list(t.shape), dtype=t.dtype) for t in last.outputs],
                    outputs=[],
                    stats={},
                    uncounted=[],
                )
            )
            edges.extend(
                schema.Edge(source=last.id, target="output", shape=list(t.shape), dtype=t.dtype)
                for t in last.outputs
            )
        return schema.Payload(
            schema=schema.SCHEMA_VERSION,
            model=schema.ModelInfo(
                name=trace.model_name,
                input_shapes=[list(s) for s in trace.input_shapes],
                device="meta",
                dtype=trace.dtype,
                torch_version=torch.__version__,
            ),
            columns=list(COLUMNS),
            nodes=nodes,
            groups=list(groups.values()),
            edges=edges,
            totals={"params": trace.total_params, "params_trainable": trace.total_params_trainable},
        )

    def _add_ancestors(self, groups: dict[str, schema.Group], path: str, child_id: str) -> None:
        parent = _parent_path(path)
        while parent is not None:
            group = groups.get(parent)
            if group is None:
                group = groups[parent] = schema.Group(
                    id=parent,
                    op=self.trace.module_types.get(parent, "Module"),
                    label=parent,
                    parent=_parent_path(parent),
                    children=[],
                    stats={},
                )
            if child_id in group["children"]:
                return
            group["children"].append(child_id)
            child_id, parent = parent, _parent_path(parent)


def _parent_path(path: str) -> str | None:
    head, _, _ = path.rpartition(".")
    return head or None
