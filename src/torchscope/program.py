"""The second graph source: a ``torch.export`` program (in memory, or a ``.pt2`` file) as a Trace.

An exported program already is a graph, so nothing is run through the model: its FX graph is read.

* **Nodes** come from the ``call_function`` nodes. Those inside a leaf module (one no other module
  of the program sits in, or one of :data:`~torchscope.trace.LEAF_TYPES`) make one module node
  per call, as the eager trace draws them; the others are function nodes, named by op within their
  group (``layer1.0.add_``). ``getitem`` on a multi-output op is bookkeeping and leaves no node.
* **Groups** come from each node's ``nn_module_stack``: every call of a module with children, with
  ``#n`` for a module's later calls (the stack's ``@n``), as the eager ids.
* **Shapes** come from each node's ``val`` metadata (fake tensors); **edges** follow the FX
  arguments.
* **Costs** come from the same registry as the eager trace (:func:`torchscope.costs.cost_of`):
  each ``call_function`` runs once on meta tensors of its ``val`` shapes under a dispatch mode that
  charges every ATen op it becomes, so ``aten.conv2d`` is costed as the ``aten.convolution`` it
  dispatches to. An op that cannot run on meta (it looks at values) is listed as uncounted.
* **Parameters and buffers** come from the program's signature and state dict, owned by the module
  their name says, so every per-module and total statistic is computed as for the eager trace.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch
from torch import fx, nn
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind
from torch.utils._python_dispatch import TorchDispatchMode

from torchscope import costs
from torchscope.trace import LEAF_TYPES, EdgeRecord, GroupRecord, NodeRecord, TensorMeta, Trace
from torchscope.trace.ownership import module_infos
from torchscope.trace.records import CostRecord
from torchscope.trace.repeats import mark_repeats
from torchscope.trace.values import SKIP, attr_value

_ALIASES = frozenset({"alias", "detach", "lift_fresh_copy"})
_LEAF_TYPE_NAMES = frozenset(f"{t.__module__}.{t.__qualname__}" for t in LEAF_TYPES)


def trace_program(program: ExportedProgram, name: str | None = None) -> Trace:
    """Read ``program``'s FX graph into a :class:`~torchscope.trace.Trace` (see the module docstring)."""
    if not isinstance(program, ExportedProgram):
        raise TypeError(f"expected a torch.export.ExportedProgram, got {type(program).__name__}")
    return _Reader(program).read(name)


class _Costs(TorchDispatchMode):  # type: ignore[no-untyped-call]  # untyped in torch
    """Charges every ATen op run under it to ``self.record``."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.record = CostRecord()

    def __torch_dispatch__(
        self,
        func: Any,  # noqa: ANN401  # an ATen OpOverload
        types: object,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the op returns
        del types
        out = func(*args, **(kwargs or {}))
        _charge(self.record, func, costs.cost_of(func, args, kwargs or {}, out))
        return out


def _charge(record: CostRecord, func: object, cost: costs.OpCost) -> None:
    if cost.counted:
        record.add(CostRecord(macs=cost.macs, flops=cost.flops))
    else:
        record.add(CostRecord(uncounted={costs.op_label(func): 1}))


class _Reader:
    """One pass over the program's graph, building nodes, groups and edges in graph order."""

    def __init__(self, program: ExportedProgram) -> None:
        self.program = program
        self.graph = program.graph
        signature = program.graph_signature
        self.state_names = {
            spec.arg.name: spec.target
            for spec in signature.input_specs
            if spec.kind is not InputKind.USER_INPUT and hasattr(spec.arg, "name") and spec.target
        }
        self.stacks = {n: _stack(n) for n in self.graph.nodes if n.op == "call_function"}
        self.types = {path: kind for stack in self.stacks.values() for path, _, kind in stack}
        # a module with children (called, or owning parameters below it) is a group, as in the eager
        # trace: ShiftedWindowAttention reads its `qkv` child's weight without calling `qkv`
        owners = {fqn.rpartition(".")[0] for fqn in self.state_names.values()}
        inner = {q for q in (*self.types, *owners) if q}
        self.leaves = {
            p
            for p in self.types
            if p and (self.types[p] in _LEAF_TYPE_NAMES or not any(q.startswith(p + ".") for q in inner))
        }
        self.nodes: list[NodeRecord] = []
        self.groups: dict[str, GroupRecord] = {}
        self.edges: dict[tuple[str, str], EdgeRecord] = {}
        self.owner: dict[fx.Node, str] = {}  # FX node → the torchscope node that produces it
        self.by_id: dict[str, NodeRecord] = {}
        self.values: dict[fx.Node, Any] = {}  # FX node → its meta value, for costing
        self.top_level: list[str] = []
        self.counts: Counter[str] = Counter()
        self._seen_outputs: set[tuple[str, int, TensorMeta]] = set()
        self.unattributed = CostRecord()

    def read(self, name: str | None) -> Trace:
        user_inputs = {
            spec.arg.name
            for spec in self.program.graph_signature.input_specs
            if spec.kind is InputKind.USER_INPUT and hasattr(spec.arg, "name")
        }
        for node in self.graph.nodes:
            if node.op == "placeholder":
                self.values[node] = _meta(node.meta.get("val"))
                if node.name in user_inputs and isinstance(node.meta.get("val"), torch.Tensor):
                    self._add(NodeRecord(id=node.name, kind="input", op="Input", label=node.name, parent=None,
                                         outputs=[_tensor(node.meta["val"])]))  # fmt: skip
                    self.owner[node] = node.name
                    self.top_level.append(node.name)
            elif node.op == "call_function":
                self._call(node)
            elif node.op == "output":
                self._outputs(node)
        groups = list(self.groups.values())
        edges = list(self.edges.values())
        mark_repeats(groups, self.nodes, edges)
        model = _state_tree(self.program, self.state_names)
        return Trace(
            model_name=name or _root_name(self.types),
            device="meta",
            dtype=next(
                (n.outputs[0].dtype for n in self.nodes if n.kind == "input" and n.outputs), "float32"
            ),
            input_shapes=[n.outputs[0].shape for n in self.nodes if n.kind == "input" and n.outputs],
            nodes=self.nodes,
            groups=groups,
            edges=edges,
            top_level=self.top_level,
            module_types={p: t.rsplit(".", 1)[-1] for p, t in self.types.items()},
            modules=module_infos(model),
            unattributed=self.unattributed,
        )

    # -- nodes ------------------------------------------------------------------------------------

    def _call(self, node: fx.Node) -> None:
        cost = self._run(node)
        if node.target is operator.getitem or self._passes_through(node):
            # bookkeeping, as in the eager trace: the value keeps its producer, and leaves no node
            self.owner[node] = self.owner.get(node.args[0], "")  # type: ignore[arg-type]
            self.unattributed.add(cost)
            return
        if not any(True for _ in _tensors(node.meta.get("val"))):
            self.unattributed.add(cost)  # an assertion or a scalar: no tensor, no node
            return
        stack = self.stacks[node]
        parent = self._open_groups([entry for entry in stack if entry[0] not in self.leaves])
        leaf = next((entry for entry in stack if entry[0] in self.leaves), None)
        if leaf is not None:
            record = self._module_node(leaf, parent)
        else:
            op = _op_name(node)
            record = NodeRecord(id=self._function_id(parent, op), kind="function", op=op, label=op,
                                parent=parent, attrs=self._attrs(node))  # fmt: skip
            self._add(record)
            self._attach(parent, record.id)
        record.cost.add(cost)
        self._link(node, record)
        self.owner[node] = record.id

    def _module_node(self, entry: tuple[str, int, str], parent: str | None) -> NodeRecord:
        path, call, kind = entry
        node_id = path if call == 0 else f"{path}#{call + 1}"
        if node_id in self.by_id:
            return self.by_id[node_id]
        record = NodeRecord(id=node_id, kind="module", op=kind.rsplit(".", 1)[-1], label=path, parent=parent,
                            module_path=path, repr=kind)  # fmt: skip
        self._add(record)
        self._attach(parent, node_id)
        return record

    def _link(self, node: fx.Node, record: NodeRecord) -> None:
        """Edges from the producers of ``node``'s tensor arguments, and the shapes crossing in and out."""
        for arg in node.all_input_nodes:
            source = self.owner.get(arg)
            value = arg.meta.get("val")
            if source is None or source == record.id or not isinstance(value, torch.Tensor):
                continue
            meta = _tensor(value)
            if (source, record.id) not in self.edges:
                self.edges[(source, record.id)] = EdgeRecord(source, record.id, meta)
                record.inputs.append(meta)
            self._mark_output(source, arg)
        if record.kind == "function":
            record.outputs = [_tensor(v) for v in _tensors(node.meta.get("val"))]

    def _mark_output(self, source: str, arg: fx.Node) -> None:
        """Add ``arg``'s value to its module node's outputs: what something outside the module reads."""
        producer = self.by_id.get(source)
        if producer is None or producer.kind != "module":
            return
        producing = arg.args[0] if arg.target is operator.getitem else arg
        for value in _tensors(arg.meta.get("val")):
            meta = _tensor(value)
            key = (source, id(producing), meta)
            if key not in self._seen_outputs:
                self._seen_outputs.add(key)
                producer.outputs.append(meta)

    def _outputs(self, node: fx.Node) -> None:
        specs = self.program.graph_signature.output_specs
        returned = [
            (spec, value)
            for spec, value in zip(specs, _flat(node.args[0]), strict=False)
            if spec.kind is OutputKind.USER_OUTPUT and isinstance(value, fx.Node)
        ]
        for i, (_, value) in enumerate(returned):
            out_id = "output" if len(returned) == 1 else f"output.{i}"
            tensor = value.meta.get("val")
            if not isinstance(tensor, torch.Tensor):
                continue
            meta = _tensor(tensor)
            self._add(
                NodeRecord(id=out_id, kind="output", op="Output", label=out_id, parent=None, inputs=[meta])
            )
            self.top_level.append(out_id)
            source = self.owner.get(value)
            if source:
                self.edges[(source, out_id)] = EdgeRecord(source, out_id, meta)
                self._mark_output(source, value)

    def _add(self, record: NodeRecord) -> None:
        self.nodes.append(record)
        self.by_id[record.id] = record

    # -- groups and ids ---------------------------------------------------------------------------

    def _open_groups(self, entries: list[tuple[str, int, str]]) -> str | None:
        """Make sure every group call on the stack exists; return the innermost one's id."""
        parent: str | None = None
        for path, call, kind in entries:
            if not path:
                continue  # the model itself: its children sit at the top level
            group_id = path if call == 0 else f"{path}#{call + 1}"
            if group_id not in self.groups:
                self.groups[group_id] = GroupRecord(id=group_id, op=kind.rsplit(".", 1)[-1], label=path,
                                                    parent=parent, module_path=path)  # fmt: skip
                self._attach(parent, group_id)
            parent = group_id
        return parent

    def _attach(self, parent: str | None, member: str) -> None:
        if parent is None:
            self.top_level.append(member)
        else:
            self.groups[parent].children.append(member)

    def _function_id(self, parent: str | None, op: str) -> str:
        base = f"{parent}.{op}" if parent else op
        if base in self.types:
            base = f"{base}()"  # a module of the same name owns the plain id
        while True:
            self.counts[base] += 1
            candidate = base if self.counts[base] == 1 else f"{base}#{self.counts[base]}"
            if candidate not in self.by_id and candidate not in self.groups:
                return candidate

    def _attrs(self, node: fx.Node) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for key, value in [(f"arg{i}", v) for i, v in enumerate(node.args)] + list(node.kwargs.items()):
            if isinstance(value, fx.Node):
                if value.name in self.state_names:
                    used = attrs.get("parameters")
                    name = self.state_names[value.name]
                    attrs["parameters"] = f"{used}, {name}" if used else name
                continue
            if value is not None and (converted := attr_value(value)) is not SKIP:
                attrs[key] = converted
        return attrs

    def _passes_through(self, node: fx.Node) -> bool:
        """Whether ``node`` aliases its first argument (``alias``, ``detach``, eval-mode ``dropout``).

        An in-place op (``relu_``) returns its argument too, but changed it: it is a node.
        """
        name = _op_name(node)
        if name in _ALIASES:
            return True
        if name.endswith("_"):
            return False
        first = node.args[0] if node.args else None
        result = self.values.get(node)
        return isinstance(first, fx.Node) and result is not None and result is self.values.get(first)

    # -- costs ------------------------------------------------------------------------------------

    def _run(self, node: fx.Node) -> CostRecord:
        """Run ``node`` on meta tensors under the cost mode; remember its result for its users."""
        args, kwargs = fx.node.map_arg((node.args, node.kwargs), self.values.get)
        mode = _Costs()
        try:
            with mode:
                self.values[node] = node.target(*args, **kwargs)  # type: ignore[operator]
        except Exception:  # noqa: BLE001  # an op that needs values: shapes from the program, cost unknown
            self.values[node] = _meta(node.meta.get("val"))
            label = costs.op_label(node.target)
            return CostRecord(uncounted={label: 1})
        return mode.record


def _stack(node: fx.Node) -> list[tuple[str, int, str]]:
    """``[(path, call index, type name), ...]`` outermost first, from ``nn_module_stack``."""
    found = []
    for key, (path, kind) in (node.meta.get("nn_module_stack") or {}).items():
        call = int(key.rpartition("@")[2]) if "@" in key and key.rpartition("@")[2].isdigit() else 0
        type_name = kind if isinstance(kind, str) else f"{kind.__module__}.{kind.__qualname__}"
        found.append((str(path), call, type_name))
    return found


def _root_name(types: dict[str, str]) -> str:
    root = types.get("")
    return root.rsplit(".", 1)[-1] if root else "ExportedProgram"


def _op_name(node: fx.Node) -> str:
    target = node.target
    packet = getattr(target, "overloadpacket", None)
    if packet is not None:
        return str(packet.__name__)
    return str(getattr(target, "__name__", target))


def _tensor(value: torch.Tensor) -> TensorMeta:
    shape = tuple(int(d) for d in value.shape)
    return TensorMeta(shape=shape, dtype=str(value.dtype).removeprefix("torch."))


def _tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _tensors(item)


def _flat(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return [x for item in value for x in _flat(item)]
    return [value]


def _meta(value: object) -> object:
    """Return a meta tensor (or structure of them) shaped like the program's fake value."""
    if isinstance(value, torch.Tensor):
        shape = [int(d) for d in value.shape]
        stride = [int(s) for s in value.stride()] if value.layout == torch.strided else None
        if stride is None:
            return torch.empty(shape, dtype=value.dtype, device="meta")
        return torch.empty_strided(shape, stride, dtype=value.dtype, device="meta")
    if isinstance(value, list | tuple):
        return type(value)(_meta(v) for v in value)
    return value


def _state_tree(program: ExportedProgram, state_names: dict[str, str]) -> nn.Module:
    """Return a module tree holding the program's parameters and buffers at their names (for statistics)."""
    root = nn.Module()
    state = {**program.state_dict, **program.constants}
    for fqn in dict.fromkeys(state_names.values()):
        tensor = state.get(fqn)
        if not isinstance(tensor, torch.Tensor):
            continue
        owner_path, _, leaf = fqn.rpartition(".")
        owner = root
        for part in owner_path.split(".") if owner_path else []:
            child = owner._modules.get(part)  # noqa: SLF001  # building the tree, not reading a model
            if child is None:
                child = nn.Module()
                owner.add_module(part, child)
            owner = child
        if isinstance(tensor, nn.Parameter):
            owner.register_parameter(leaf, tensor)
        else:
            owner.register_buffer(leaf, tensor)
    return root
