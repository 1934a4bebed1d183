"""ModelGraph: the traced layer graph (a networkx DiGraph) plus the module-call hierarchy.

Built from a :class:`~torchscope.trace.Trace`. :meth:`ModelGraph.to_json` produces the schema
payload the widget draws; :meth:`ModelGraph.to_networkx` gives the same nodes and edges, with all
their attributes, to anyone who wants to compute on the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import torch

from torchscope import schema
from torchscope.trace import GroupRecord, NodeRecord, TensorMeta, Trace

COLUMNS: list[schema.Column] = [
    schema.Column(key="params", label="Params", unit="", kind="count"),
    schema.Column(key="params_trainable", label="Trainable params", unit="", kind="count"),
]


@dataclass
class ModelGraph:
    """The layer graph of one traced forward pass."""

    trace: Trace

    @property
    def nodes(self) -> list[NodeRecord]:
        """Every node in call order: inputs first, outputs last."""
        return self.trace.nodes

    @property
    def groups(self) -> list[GroupRecord]:
        """Every module-call group, parents before their children."""
        return self.trace.groups

    @property
    def device(self) -> str:
        """The device the pass ran on: ``meta`` unless real tensors were needed or asked for."""
        return self.trace.device

    @property
    def error(self) -> str | None:
        """Why the pass failed, for the partial graph of a :class:`~torchscope.TraceError`."""
        return self.trace.error

    def node(self, node_id: str) -> NodeRecord:
        """Return the node ``node_id``; raises ``KeyError`` naming a few ids that do exist."""
        try:
            return self._nodes_by_id[node_id]
        except KeyError:
            known = ", ".join(list(self._nodes_by_id)[:8])
            raise KeyError(f"no node {node_id!r}; nodes include {known}, ...") from None

    @cached_property
    def _nodes_by_id(self) -> dict[str, NodeRecord]:
        return {n.id: n for n in self.trace.nodes}

    def to_networkx(self) -> nx.DiGraph:
        """Return a DiGraph whose nodes carry the payload's node fields and edges shape/dtype."""
        payload = self.to_json()
        graph = nx.DiGraph(model=payload["model"]["name"], device=payload["model"]["device"])
        for node in payload["nodes"]:
            graph.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
        for edge in payload["edges"]:
            graph.add_edge(edge["source"], edge["target"], shape=edge["shape"], dtype=edge["dtype"])
        return graph

    def to_json(self) -> schema.Payload:
        """Return the schema payload (see :mod:`torchscope.schema`) that the widget draws."""
        trace = self.trace
        return schema.Payload(
            schema=schema.SCHEMA_VERSION,
            model=schema.ModelInfo(
                name=trace.model_name,
                input_shapes=[list(s) for s in trace.input_shapes],
                device=trace.device,
                dtype=trace.dtype,
                torch_version=torch.__version__,
            ),
            columns=list(COLUMNS),
            nodes=[self._node_json(n) for n in trace.nodes],
            groups=[self._group_json(g) for g in trace.groups],
            edges=[
                schema.Edge(
                    source=e.source, target=e.target, shape=list(e.tensor.shape), dtype=e.tensor.dtype
                )
                for e in trace.edges
            ],
            totals={"params": trace.total_params, "params_trainable": trace.total_params_trainable},
        )

    def _node_json(self, node: NodeRecord) -> schema.Node:
        stats: dict[str, schema.StatValue] = {}
        if node.kind == "module":
            params, trainable = self.trace.module_params.get(node.module_path, (0, 0))
            # a module called twice owns its parameters once: the later calls show them as shared
            first_call = "#" not in node.id.removeprefix(node.module_path)
            stats = {
                "params": params if first_call else 0,
                "params_trainable": trainable if first_call else 0,
            }
        elif node.kind == "function":
            stats = {"params": 0, "params_trainable": 0}
        result = schema.Node(
            id=node.id,
            kind=node.kind,
            op=node.op,
            label=node.label,
            parent=node.parent,
            module_path=node.module_path,
            attrs=dict(node.attrs),
            repr=node.repr,
            inputs=[_tensor(t) for t in node.inputs],
            outputs=[_tensor(t) for t in node.outputs],
            stats=stats,
            uncounted=[],
        )
        if node.error is not None:
            result["error"] = node.error
        return result

    def _group_json(self, group: GroupRecord) -> schema.Group:
        result = schema.Group(
            id=group.id,
            op=group.op,
            label=group.label,
            parent=group.parent,
            children=list(group.children),
            stats=self._group_stats(group),
        )
        if group.repeat_of is not None:
            result["repeat_of"] = group.repeat_of
        return result

    def _group_stats(self, group: GroupRecord) -> dict[str, schema.StatValue]:
        # the module's own recursive count: a submodule called twice is not counted twice
        prefix = group.module_path + "."
        owned = [
            c for p, c in self.trace.module_params.items() if p == group.module_path or p.startswith(prefix)
        ]
        return {"params": sum(c[0] for c in owned), "params_trainable": sum(c[1] for c in owned)}


def _tensor(meta: TensorMeta) -> schema.TensorMeta:
    return schema.TensorMeta(shape=list(meta.shape), dtype=meta.dtype)
