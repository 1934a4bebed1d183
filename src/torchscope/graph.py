"""ModelGraph: the traced layer graph (a networkx DiGraph) plus the module-call hierarchy.

Built from a :class:`~torchscope.trace.Trace`. :meth:`ModelGraph.to_json` produces the schema
payload the widget draws; :meth:`ModelGraph.to_networkx` gives the same nodes and edges, with all
their attributes, to anyone who wants to compute on the graph; :meth:`ModelGraph.save_graphml` and
:meth:`ModelGraph.to_dot` hand them to other tools (the formats live in :mod:`torchscope.exports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import torch

from torchscope import (
    collector,
    exports,
    flow,
    model_explorer,
    parallel,
    roofline,
    schema,
    stats,
    stats_training,
    wire,
)
from torchscope.trace.records import GroupRecord, NodeRecord, TensorMeta, Trace
from torchscope.trace.step_records import StepRecord

if TYPE_CHECKING:
    from torchscope.widget import ModelView


@dataclass(repr=False)
class ModelGraph:
    """The layer graph of one traced forward pass.

    As the last line of a notebook cell it shows as the interactive diagram (:meth:`view`), in
    JupyterLab, Notebook 7, VS Code, Colab and marimo alike; ``repr`` is one line.
    """

    trace: Trace

    def __repr__(self) -> str:
        totals = self.to_json()["totals"]
        where = (self.error or "").split(":", 1)[0]
        failed = f", failed: {where if len(where) <= 90 else where[:89] + '…'}" if self.error else ""
        return (
            f"<ModelGraph {self.trace.model_name}: {len(self.nodes)} nodes, {len(self.groups)} groups, "
            f"{_count(totals.get('params'))} params, {_count(totals.get('macs'))} MACs, "
            f"on {self.device}{failed}>"
        )

    def view(self, orientation: str = "TB") -> ModelView:
        """Return the interactive diagram of this graph (what ``draw_model`` returns)."""
        from torchscope.widget import ModelView  # noqa: PLC0415  # graph.py itself needs no widgets

        return ModelView(self.to_wire(), orientation=orientation)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:  # noqa: ANN401
        # the widget's own bundle: it carries what Colab's custom widget manager needs (anywidget
        # adds it), and the one-line repr for front ends that show only text
        shown = self.view()._repr_mimebundle_(**kwargs)  # the display protocol
        if shown is None:
            return None
        data, metadata = shown
        return {**data, "text/plain": repr(self)}, metadata

    def _display_(self) -> ModelView:
        """Show the widget in marimo (its display protocol): marimo draws and syncs anywidgets itself."""
        return self.view()

    @property
    def nodes(self) -> list[NodeRecord]:
        """Every node in call order: inputs first, outputs last."""
        return self.trace.nodes

    @property
    def groups(self) -> list[GroupRecord]:
        """Every module-call group, parents before their children."""
        return self.trace.groups

    @property
    def step(self) -> StepRecord | None:
        """The traced training step (timeline, peak, per-node state), or None for a forward trace."""
        return self.trace.step

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

    def values(self, node_id: str) -> flow.NodeValues:
        """Return what node ``node_id`` produced and read in a values trace (``values=True``).

        ``.outputs`` holds one :class:`~torchscope.trace.records.ValueSummary` per output tensor
        (mean, std, min, max, absmax, zero fraction, NaN and Inf counts, norm, histogram);
        ``.params`` the parameters this node was the first to read. Raises ``KeyError`` for an
        unknown node and ``ValueError`` for a graph traced without values.
        """
        self.node(node_id)
        return flow.node_values(self.trace, node_id)

    def first_nonfinite(self) -> str | None:
        """Return the id of the first node, in call order, whose outputs hold a NaN or an Inf; or None.

        Raises ``ValueError`` for a graph traced without values.
        """
        return flow.first_nonfinite(self.trace)

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

    def save_graphml(self, path: str | Path) -> Path:
        """Write the graph as GraphML (for yEd, Gephi or ``networkx.read_graphml``); returns the path.

        Every attribute is a scalar: shapes as ``"1x3x224x224"``, ``attrs`` as a JSON object, one
        number per statistic (``stat_macs``, ``stat_flops``…) and the model totals on the graph
        (``total_macs``…). :mod:`torchscope.exports` lists them all.
        """
        return exports.write_graphml(self.to_json(), path)

    def to_model_explorer(self, path: str | Path) -> list[Path]:
        """Write Model Explorer's graph JSON to ``path`` and one node-data JSON per statistic beside it.

        ``model.json`` gets ``model.macs.json``, ``model.flops.json``…; open them with
        ``model-explorer model.json --node_data_paths=model.macs.json``. Returns every path written;
        :mod:`torchscope.model_explorer` describes the layout.
        """
        return model_explorer.write_model_explorer(self.to_json(), path)

    def to_dot(self, orientation: str = "TB") -> str:
        """Return Graphviz DOT text: module groups as nested clusters, tensor shapes on the edges.

        ``orientation`` is ``"TB"`` or ``"LR"``. Render it with ``dot -Tsvg`` wherever Graphviz is
        installed; torchscope itself needs no Graphviz.
        """
        return exports.to_dot(self.to_json(), orientation)

    @collector.paused()
    def to_json(self) -> schema.Payload:
        """Return the schema payload (see :mod:`torchscope.schema`) that the widget draws."""
        trace = self.trace
        per_node = {n.id: stats.node_stats(n, trace) | flow.node_stats(trace, n.id) for n in trace.nodes}
        for node in trace.nodes:
            if node.kind == "module":
                first_call = "#" not in node.id.removeprefix(node.module_path)
                per_node[node.id].update(parallel.node_stats(trace.parallel, node.module_path, first_call))
        bounds = roofline.annotate_nodes(trace, per_node)
        subtrees = stats.Subtrees({g.id: g for g in trace.groups}, per_node)
        totals = stats.totals(trace, per_node)
        totals.update(roofline.totals(trace, bounds, totals))
        totals.update(parallel.totals(trace.parallel))
        all_uncounted = stats.uncounted(
            [n.cost.uncounted for n in trace.nodes] + [trace.unattributed.uncounted]
        )
        totals["uncounted"] = ", ".join(all_uncounted)
        assumed = stats.estimated([n.cost.estimated for n in trace.nodes] + [trace.unattributed.estimated])
        if assumed:
            totals["estimated"] = stats.ESTIMATES_JOINED.join(assumed)
        model = schema.ModelInfo(
            name=trace.model_name,
            input_shapes=[list(s) for s in trace.input_shapes],
            device=trace.device,
            dtype=trace.dtype,
            # a plain str: torch.__version__ is a TorchVersion, which marimo sends as an object
            torch_version=str(torch.__version__),
        )
        if trace.notes:
            model["notes"] = list(trace.notes)
        if (values := flow.values_info(trace)) is not None:
            model["values"] = values
        payload = schema.Payload(
            schema=schema.SCHEMA_VERSION,
            model=model,
            columns=[
                *stats.COLUMNS,
                *stats_training.columns(trace),
                *roofline.columns(trace.hardware, training=trace.step is not None),
                *parallel.columns(trace.parallel),
                *([stats.LATENCY] if trace.latency_ms is not None else []),
                *(flow.COLUMNS if trace.values is not None else []),
                schema.Column(key="uncounted", label="Uncounted ops", unit="", kind="text"),
                *([stats.ESTIMATED] if assumed else []),
            ],
            nodes=[self._node_json(n, per_node[n.id]) for n in trace.nodes],
            groups=[self._group_json(g, subtrees, bounds) for g in trace.groups],
            edges=[
                schema.Edge(
                    source=e.source, target=e.target, shape=list(e.tensor.shape), dtype=e.tensor.dtype
                )
                for e in trace.edges
            ],
            roots=list(trace.top_level),
            totals=totals,
        )
        step = stats_training.payload_step(trace, {n.id: i for i, n in enumerate(trace.nodes)})
        if step is not None:
            payload["step"] = step
        return payload

    def to_wire(self) -> dict[str, Any]:
        """Return the payload as it travels (schema 2, :mod:`torchscope.wire`): what a view shows.

        The document of :meth:`to_json` is valid by construction, so it is encoded without being
        validated; a view given the wire still checks it, which costs a fraction of validating
        the document (0.1 against 0.4 s at 100,000 nodes).
        """
        return wire.encode(self.to_json())

    def _node_json(self, node: NodeRecord, node_stats: stats.Stats) -> schema.Node:
        attrs = dict(node.attrs)
        info = self.trace.modules.get(node.module_path) if node.kind == "module" else None
        if info is not None and info.shared_with:
            attrs["shares_parameters_with"] = ", ".join(info.shared_with)
        result = schema.Node(
            id=node.id,
            kind=node.kind,
            op=node.op,
            label=node.label,
            parent=node.parent,
            module_path=node.module_path,
            attrs=attrs,
            repr=node.repr,
            inputs=[_tensor(t) for t in node.inputs],
            outputs=[_tensor(t) for t in node.outputs],
            stats=node_stats,
            uncounted=stats.uncounted([node.cost.uncounted]),
        )
        if node.error is not None:
            result["error"] = node.error
        if node.cost.estimated:
            result["estimated"] = list(node.cost.estimated)
        if (values := flow.payload_values(self.trace, node.id)) is not None:
            result["values"] = values
        return result

    def _group_json(
        self, group: GroupRecord, subtrees: stats.Subtrees, bounds: roofline.Bounds
    ) -> schema.Group:
        inside = subtrees.nodes(group)
        group_stats = stats.group_stats(group, self.trace, subtrees) | flow.group_stats(self.trace, inside)
        first_call = "#" not in group.id.removeprefix(group.module_path)
        group_stats.update(parallel.group_stats(self.trace.parallel, group.module_path, first_call))
        if bounds:
            timed = [bounds[n] for n in inside if n in bounds]
            group_stats.update(roofline.stats_of(timed, group_stats))
        result = schema.Group(
            id=group.id,
            op=group.op,
            label=group.label,
            parent=group.parent,
            children=list(group.children),
            stats=group_stats,
        )
        if group.repeat_of is not None:
            result["repeat_of"] = group.repeat_of
        by_id = self._nodes_by_id
        if assumed := stats.estimated(e for n in inside if (e := by_id[n].cost.estimated)):
            result["estimated"] = assumed
        if group.kind == "structure":
            result["kind"] = "structure"
        if group.attrs:
            result["attrs"] = dict(group.attrs)
        return result


def _count(value: object) -> str:
    """``25557032`` → ``"25.56 M"``, as the table prints counts."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "?"
    scale, unit = next(
        ((s, u) for s, u in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")) if value >= s), (1, "")
    )
    return str(value) if scale == 1 else f"{value / scale:.2f} {unit}"


def _tensor(meta: TensorMeta) -> schema.TensorMeta:
    return schema.TensorMeta(shape=list(meta.shape), dtype=meta.dtype)
