"""The recorder: turns one forward pass into nodes, groups and edges while it runs.

Three public PyTorch mechanisms feed it:

* global module forward pre/post hooks give the module-call hierarchy: every call of a module with
  children opens a *group*; every call of a leaf module (no children, or one of
  :data:`~torchscope.trace.recorder_parts.LEAF_TYPES`) becomes one *module node*, and nothing
  inside it is recorded separately;
* a :class:`~torch.overrides.TorchFunctionMode` sees every torch function and tensor method called
  outside leaf modules (``torch.add``, ``+``, ``F.relu``, ``x.view``, ``x[0]``...): each call that
  returns a tensor becomes a *function node*. Calls that return no tensor (``size()``, ``dim()``,
  ``.shape``) are bookkeeping and leave no node;
* tensor identity gives the edges: every tensor a node produced is remembered (weakly, so nothing
  is kept alive) and a later node that receives that very tensor gets an edge from its producer.
  An in-place op (``add_``, ``x[i] = y``, ``relu(inplace=True)``) becomes the new producer of the
  tensor it changed (and of the view's base), so later readers link to it.

Ids are stable and readable: a module call is its path (``layer1.0.conv1``), with ``#n`` from its
second call on (``relu#2``); a function node is its op name scoped by the group it ran in
(``layer1.0.add``, ``layer1.0.add#2``; ``flatten`` at the top level), so a change in one block does
not renumber the rest of the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from torchscope import costs
from torchscope.trace.composites import Charge, Composites
from torchscope.trace.experts import experts_attrs
from torchscope.trace.fastpaths import META_SHORTCUTS
from torchscope.trace.identity import TensorMap
from torchscope.trace.observe import Observer
from torchscope.trace.recorder_parts import (
    METADATA_READS,
    PASS_THROUGH,
    Failure,
    Frame,
    call_tensors,
    is_in_place,
    is_leaf,
    is_library_module,
    own_work,
    safe_repr,
    spare_frames,
)
from torchscope.trace.records import AttrValue, CostRecord, EdgeRecord, GroupRecord, NodeRecord, TensorMeta
from torchscope.trace.timing import Timer
from torchscope.trace.values import (
    SKIP,
    attr_value,
    iter_tensors,
    module_attrs,
    named_modules,
    op_name,
    tensor_meta,
)


class Recorder(TorchFunctionMode):
    """Records one forward pass of ``model``; use :meth:`hooks` and the mode together."""

    def __init__(
        self,
        model: nn.Module,
        timer: Timer | None = None,
        modules: list[tuple[str, nn.Module]] | None = None,
    ) -> None:
        super().__init__()
        self.timer = timer
        # the meta fast paths of whole functions; off when an estimate tracks values op by op
        self.shortcuts = True
        self.composites = Composites()  # composite calls answered from their first call
        self._captures: list[list[Charge]] = []  # the charges of the composite calls running
        # node id → (start mark, end mark) of its own work, when timing
        self.spans: dict[str, tuple[object, object]] = {}
        self.paths: dict[int, str] = {}
        for name, module in named_modules(model) if modules is None else modules:
            self.paths.setdefault(id(module), name)
        self.module_paths = frozenset(self.paths.values())
        self.root_name = type(model).__name__
        self.nodes: list[NodeRecord] = []
        self.groups: dict[str, GroupRecord] = {}
        self.edges: dict[tuple[str, str], EdgeRecord] = {}
        self.top_level: list[str] = []
        self.failure: Failure | None = None
        self.stack: list[Frame] = []
        self._producers: TensorMap[str] = TensorMap()
        self._param_names: TensorMap[str] = TensorMap()
        self._module_calls: Counter[str] = Counter()
        self._experts_of: dict[int, dict[str, AttrValue] | None] = {}
        self._id_counts: Counter[str] = Counter()
        self._used_ids: set[str] = set()
        self._node_index: dict[str, int] = {}
        # where the ATen ops running now are charged: the innermost leaf call or function call
        self._charges: list[CostRecord] = []
        self.unattributed = CostRecord()
        # set for a pass with values=True: summarises what each node produces and reads
        self.observer: Observer | None = None

    # -- setup --------------------------------------------------------------------------------

    def name_parameters(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Remember which tensors are parameters/buffers, so function nodes can say what they read."""
        for name, tensor in tensors.items():
            self._param_names[tensor] = name

    def add_input(self, name: str, tensor: torch.Tensor) -> None:
        """Add a graph input node producing ``tensor``."""
        if name.partition("#")[0] in self.module_paths or name == self.root_name:
            name = f"input:{name}"  # a module of the same name (or a model that is one layer) owns it
        node_id = self._unique_id(name)
        meta = tensor_meta(tensor)
        self._add_node(
            NodeRecord(id=node_id, kind="input", op="Input", label=name, parent=None, outputs=[meta])
        )
        self._producers[tensor] = node_id
        if self.observer is not None:
            self.observer.outputs_of(node_id, [tensor])

    def add_outputs(self, output: object) -> None:
        """Add one output node per tensor in the model's return value, whatever its structure."""
        found = list(iter_tensors(output))
        for key, tensor in found:
            name = "output" if len(found) == 1 else f"output.{key}" if key else "output"
            node_id = self._unique_id(name)
            meta = tensor_meta(tensor)
            self._add_node(
                NodeRecord(id=node_id, kind="output", op="Output", label=name, parent=None, inputs=[meta])
            )
            self._link(tensor, node_id)

    # -- module hooks -------------------------------------------------------------------------

    def pre_hook(self, module: nn.Module, args: tuple[object, ...]) -> None:
        """Open a group or record a leaf call (global forward pre-hook)."""
        with own_work():
            self._enter(module, args)

    def post_hook(
        self, module: nn.Module, args: tuple[object, ...], kwargs: dict[str, object], output: object
    ) -> None:
        """Close the call: a leaf's outputs become the producers of its output tensors."""
        del args
        with own_work():
            self._exit(module, kwargs, output)

    def _enter(self, module: nn.Module, args: tuple[object, ...]) -> None:
        path = self.paths.get(id(module))
        if path is None or self._inside_leaf():
            self.stack.append(Frame(module, path, hidden=True))
            return
        parent = self._current_group()
        count = self._module_calls[path] = self._module_calls[path] + 1
        type_name = type(module).__name__
        experts = self._experts(module, path)
        if experts is None and is_leaf(module) and (path != "" or is_library_module(module)):
            record_id = self._module_id(path, count)
            inputs = call_tensors(args)
            node = NodeRecord(
                id=record_id,
                kind="module",
                op=type_name,
                label=path or type_name,
                parent=parent,
                module_path=path,
                attrs=module_attrs(module),
                repr=safe_repr(module),
                inputs=[tensor_meta(t) for t in inputs],
            )
            self._add_node(node)
            for tensor in inputs:
                self._link(tensor, record_id)
            self._charges.append(node.cost)
            # the clock starts last, so that recording the call is not timed as the layer's work
            self.stack.append(Frame(module, path, node=record_id, started=self._mark()))
        elif path == "":
            # the model itself is not a group: its children sit at the top level
            self.stack.append(Frame(module, path))
        else:
            record_id = self._module_id(path, count)
            group = GroupRecord(id=record_id, op=type_name, label=path, parent=parent, module_path=path)
            group.attrs = dict(experts or {})
            self.groups[record_id] = group
            self._attach(parent, record_id)
            self.stack.append(Frame(module, path, group=record_id))

    def _experts(self, module: nn.Module, path: str) -> dict[str, AttrValue] | None:
        """Return what an experts module is (drawn as one group, whatever its children), once per module."""
        key = id(module)
        if key not in self._experts_of:
            parent = self.stack[-1].module if self.stack else None
            self._experts_of[key] = experts_attrs(module, path, parent)
        return self._experts_of[key]

    def _exit(self, module: nn.Module, kwargs: dict[str, object], output: object) -> None:
        ended = self._mark()
        frame = self.stack.pop()
        if frame.module is not module:  # a hook of ours was skipped: refuse to guess
            msg = f"module call stack out of order at {self.paths.get(id(module))!r}"
            raise RuntimeError(msg)
        if frame.node is None:
            return
        self._charges.pop()
        if self.timer is not None:
            self.spans[frame.node] = (frame.started, ended)
        node = self.nodes[self._node_index[frame.node]]
        for tensor in call_tensors((), kwargs) if kwargs else ():
            node.inputs.append(tensor_meta(tensor))
            self._link(tensor, frame.node)
        outputs = call_tensors((output,))
        node.outputs = [tensor_meta(t) for t in outputs]
        for tensor in outputs:
            self._produce(tensor, frame.node)
        if self.observer is not None:
            self.observer.outputs_of(frame.node, outputs)
            self.observer.module_parameters(frame.node, node.module_path)

    # -- functions ----------------------------------------------------------------------------

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: object,
        args: tuple[object, ...] = (),
        kwargs: Mapping[str, object] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the wrapped torch function returns
        del types
        kwargs = kwargs or {}
        if func in METADATA_READS:
            try:
                return func(*args, **kwargs)
            except Exception:  # noqa: BLE001, S110  # recorded by the recording path just below
                pass
        if self._inside_leaf():
            return self._call(func, args, kwargs, record_as=None)
        try:
            return self._function(func, args, kwargs)
        except Exception as error:
            # the recording itself can fail too: a forward recursing without end overflows wherever
            # the stack runs out, and that may be while this call's inputs are being read
            if self.failure is None:
                with spare_frames(error):
                    self._record_failure(op_name(func), args, kwargs)
            raise

    def _function(
        self, func: Callable[..., Any], args: tuple[object, ...], kwargs: Mapping[str, object]
    ) -> Any:  # noqa: ANN401  # whatever the wrapped torch function returns
        """Record one call outside every leaf as a function node (or none: an alias, a number)."""
        name = op_name(func)
        inputs = call_tensors(args, kwargs)
        in_metas = [tensor_meta(t) for t in inputs]
        charge = CostRecord()
        self._charges.append(charge)
        started = self._mark()
        try:
            result = self._call(func, args, kwargs, record_as=name)
        finally:
            self._charges.pop()
        ended = self._mark()
        node = self._record_call(name, args, kwargs, inputs, in_metas, result)
        if node is not None and self.timer is not None:
            self.spans[node.id] = (started, ended)
        # a call that made no node (`.item()`, an alias) charges whatever encloses it
        (node.cost if node is not None else self._charge_target()).add(charge)
        return result

    def charge(self, func: object, cost: costs.OpCost, estimated: Sequence[str] = ()) -> None:
        """Charge one ATen op to the node running now (called by :class:`CostCounter`)."""
        for capture in self._captures:
            capture.append(Charge(func, cost, estimated))
        target = self._charge_target()
        if estimated:
            target.note(estimated)
        if cost.counted:
            target.macs += cost.macs
            target.flops += cost.flops
        else:
            label = costs.op_label(func)
            target.uncounted[label] = target.uncounted.get(label, 0) + 1

    def _mark(self) -> object:
        return None if self.timer is None else self.timer.mark()

    def _charge_target(self) -> CostRecord:
        return self._charges[-1] if self._charges else self.unattributed

    def _record_call(  # noqa: PLR0913, PLR0917  # the parts of one call, measured before and after it
        self,
        name: str,
        args: tuple[object, ...],
        kwargs: Mapping[str, object],
        inputs: list[torch.Tensor],
        in_metas: list[TensorMeta],
        result: object,
    ) -> NodeRecord | None:
        in_place = is_in_place(name)
        outputs = call_tensors((result,))
        if in_place and not outputs and inputs:
            outputs = [inputs[0]]  # x[i] = y returns None but changed x
        if not outputs:
            return None
        if name in PASS_THROUGH or (not in_place and all(any(o is i for i in inputs) for o in outputs)):
            for tensor in outputs:
                if tensor not in self._producers and inputs and inputs[0] in self._producers:
                    self._producers[tensor] = self._producers[inputs[0]]
            return None
        parent = self._current_group()
        node_id = self._function_id(parent, name)
        node = NodeRecord(
            id=node_id,
            kind="function",
            op=name,
            label=name,
            parent=parent,
            attrs=self._function_attrs(args, kwargs, inputs),
            inputs=in_metas,
            outputs=[tensor_meta(t) for t in outputs],
        )
        self._add_node(node)
        for tensor in inputs:
            self._link(tensor, node_id)
        for tensor in outputs:
            self._produce(tensor, node_id)
        if self.observer is not None:
            self._observe_call(self.observer, node_id, inputs, outputs)
        return node

    def _observe_call(
        self, observer: Observer, node_id: str, inputs: list[torch.Tensor], outputs: list[torch.Tensor]
    ) -> None:
        """Summarise a function node's outputs and the parameters it reads (a values pass)."""
        observer.outputs_of(node_id, outputs)
        for tensor in inputs:
            if tensor in self._param_names:
                observer.parameter(node_id, self._param_names[tensor])

    def _call(
        self,
        func: Callable[..., Any],
        args: tuple[object, ...],
        kwargs: Mapping[str, object],
        record_as: str | None,
    ) -> Any:  # noqa: ANN401  # whatever the wrapped torch function returns
        try:
            if self.timer is None and self.shortcuts:
                shortcut = META_SHORTCUTS.get(func)
                found = shortcut(args, kwargs) if shortcut is not None else None
                if found is not None:
                    result, aten_op, cost = found
                    self.charge(aten_op, cost)
                    return result
                key = self.composites.key(func, args, kwargs)
                if key is not None:
                    return self._composite(key, func, args, kwargs)
            return func(*args, **kwargs)
        except Exception as error:
            if self.failure is None:
                with spare_frames(error):
                    self._record_failure(record_as or op_name(func), args, kwargs)
            raise

    def _composite(
        self,
        key: tuple[object, ...],
        func: Callable[..., Any],
        args: tuple[object, ...],
        kwargs: Mapping[str, object],
    ) -> Any:  # noqa: ANN401  # whatever the composite returns
        """Run a composite call, or replay the charges of the first call with the same metadata."""
        known = self.composites.replay(key)
        if known is not None:
            result, charges = known
            for made in charges:
                self.charge(made.func, made.cost, made.estimated)
            return result
        capture: list[Charge] = []
        self._captures.append(capture)
        try:
            result = func(*args, **kwargs)
        finally:
            self._captures.pop()
        self.composites.remember(key, result, capture)
        return result

    def _record_failure(self, op: str, args: tuple[object, ...], kwargs: Mapping[str, object]) -> None:
        shapes = [list(t.shape) for _, t in iter_tensors((args, kwargs))]
        node = self._innermost_leaf()
        if node is None:
            # the failing op ran outside any leaf: it gets a node of its own, marked failed
            parent = self._current_group()
            node = self._function_id(parent, op)
            self._add_node(
                NodeRecord(
                    id=node,
                    kind="function",
                    op=op,
                    label=op,
                    parent=parent,
                    inputs=[tensor_meta(t) for _, t in iter_tensors((args, kwargs))],
                )
            )
            for _, tensor in iter_tensors((args, kwargs)):
                self._link(tensor, node)
        self.failure = self._failure(op, shapes, node)

    def fail_without_op(self) -> Failure:
        """Describe a failure that no torch function raised (Python code in a forward)."""
        node = self._innermost_leaf()
        shapes = [list(m.shape) for m in self._node(node).inputs] if node is not None else []
        self.failure = self._failure("forward", shapes, node)
        return self.failure

    def _failure(self, op: str, shapes: list[list[int]], node: str | None) -> Failure:
        """Locate a failure at the innermost module of the model that was running."""
        frame = next((f for f in reversed(self.stack) if f.path is not None and not f.hidden), None)
        return Failure(
            op=op,
            module_path=frame.path if frame is not None else None,
            module_type=type(frame.module).__name__ if frame is not None else None,
            input_shapes=shapes,
            node=node,
        )

    def _innermost_leaf(self) -> str | None:
        return next((f.node for f in reversed(self.stack) if f.node is not None), None)

    # -- bookkeeping --------------------------------------------------------------------------

    def _inside_leaf(self) -> bool:
        if not self.stack:
            return False
        top = self.stack[-1]
        return top.node is not None or (top.hidden and self._leaf_below())

    def _leaf_below(self) -> bool:
        return any(f.node is not None for f in self.stack)

    def _current_group(self) -> str | None:
        for frame in reversed(self.stack):
            if frame.group is not None:
                return frame.group
        return None

    def _attach(self, parent: str | None, child: str) -> None:
        if parent is None:
            self.top_level.append(child)
        else:
            self.groups[parent].children.append(child)

    def _add_node(self, node: NodeRecord) -> None:
        self._node_index[node.id] = len(self.nodes)
        self.nodes.append(node)
        self._used_ids.add(node.id)
        self._attach(node.parent, node.id)

    def _node(self, node_id: str) -> NodeRecord:
        return self.nodes[self._node_index[node_id]]

    def _link(self, tensor: torch.Tensor, target: str) -> None:
        source = self._producers.get(tensor)
        if source is not None and source != target and (source, target) not in self.edges:
            self.edges[source, target] = EdgeRecord(source, target, tensor_meta(tensor))

    def _produce(self, tensor: torch.Tensor, node_id: str) -> None:
        self._producers[tensor] = node_id
        base = tensor._base  # noqa: SLF001  # an in-place write through a view changes its base too
        if base is not None and base in self._producers:
            self._producers[base] = node_id

    def _module_id(self, path: str, count: int) -> str:
        """``layer1.0.conv1``, and ``layer1.0.relu#2`` from a module's second call on.

        A module path owns its plain id: a later call's ``relu#2`` yields to a module named
        ``relu#2``, and anything else taken gets the next free ``#n``.
        """
        base = path or self.root_name
        record_id = base if count == 1 else f"{base}#{count}"
        if record_id in self._used_ids or (count > 1 and record_id in self.module_paths):
            record_id = self._unique_id(record_id)
        self._used_ids.add(record_id)
        return record_id

    def _unique_id(self, base: str) -> str:
        """Return ``base``, or ``base#2``, ``base#3``...: the first id no node and no module path has."""
        count = self._id_counts[base]
        while True:
            count += 1
            candidate = base if count == 1 else f"{base}#{count}"
            if candidate not in self._used_ids and candidate not in self.module_paths:
                self._id_counts[base] = count
                self._used_ids.add(candidate)
                return candidate

    def _function_id(self, parent: str | None, op: str) -> str:
        base = f"{parent}.{op}" if parent else op
        if base.partition("#")[0] in self.module_paths:
            base = f"{base}()"  # a module of the same name owns the plain id
        return self._unique_id(base)

    def _function_attrs(
        self, args: tuple[object, ...], kwargs: Mapping[str, object], inputs: list[torch.Tensor]
    ) -> dict[str, AttrValue]:
        attrs: dict[str, AttrValue] = {}
        # None is every optional argument's default and `_stacklevel` is internal: both are noise
        named = [(f"arg{i}", v) for i, v in enumerate(args)] + [(k, v) for k, v in kwargs.items()]
        for key, value in named:
            if value is None or key.startswith("_"):
                continue
            if (converted := attr_value(value)) is not SKIP:
                attrs[key] = converted  # type: ignore[assignment]  # checked against SKIP
        used = [self._param_names[t] for t in inputs if t in self._param_names]
        if used:
            attrs["parameters"] = ", ".join(used)
        return attrs
