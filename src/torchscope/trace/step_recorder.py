"""The recorder of a training step's forward: who produced each saved tensor, whose gradient is whose.

:class:`StepRecorder` is the forward's :class:`~.recorder.Recorder` plus three things:

* **saved tensors**: a ``saved_tensors_hooks`` pack hook sees every tensor autograd keeps for the
  backward. It is charged to the node that produced its storage: Linear's saved input to the layer
  before it, ReLU's saved output to the ReLU, a view's to whoever made the storage it views, an
  in-place op's to the producer of what it changed. A storage no node has produced yet was made
  inside the node running now, which claims it when it finishes. Each storage counts once
  (:class:`~.memory.MemoryLog`).
* **gradient ownership**: when a node finishes, the autograd nodes its outputs lead back to that
  no earlier node owns were created by it; the backward's ops run inside those are charged to it.
* **timeline points**: bytes alive after each forward node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.utils.weak import WeakIdKeyDictionary

from torchscope.trace.memory import MemoryLog, SavedEntry
from torchscope.trace.recorder import Recorder
from torchscope.trace.records import CostRecord
from torchscope.trace.values import iter_tensors


class StepRecorder(Recorder):
    """Records a training step's forward; see the module docstring."""

    def __init__(self, model: nn.Module, log: MemoryLog, modules: list[tuple[str, nn.Module]]) -> None:
        super().__init__(model, modules=modules)
        self.log = log
        self.shortcuts = False  # whole-function shortcuts bypass autograd: the backward needs it all
        self.saved_bytes: dict[str, int] = {}
        self.saved_unattributed = 0
        self.owner: dict[object, str] = {}  # autograd node → the forward node that created it
        self._made_by: WeakIdKeyDictionary = WeakIdKeyDictionary()  # storage → first producer
        self._pending: list[SavedEntry] = []  # storages saved before their producer finished

    # -- saved tensors -----------------------------------------------------------------------------

    def pack(self, tensor: torch.Tensor) -> torch.Tensor:
        """Charge (the pack hook) a newly saved storage to its producer (or to the node running)."""
        if tensor.layout != torch.strided:
            return tensor
        producer = self._made_by.get(tensor.untyped_storage())  # type: ignore[no-untyped-call]  # untyped in torch
        if producer is None:
            producer = self._producers.get(tensor)
        entry = self.log.saved(tensor, producer)
        if entry is not None:
            if producer is None:
                self._pending.append(entry)
            else:
                self.saved_bytes[producer] = self.saved_bytes.get(producer, 0) + entry.nbytes
        return tensor

    def _claim(self, node_id: str | None) -> None:
        """Charge the storages saved but not yet produced by anyone to ``node_id`` (None: to nobody)."""
        if not self._pending:
            return
        claimed = sum(entry.nbytes for entry in self._pending)
        if node_id is None:
            self.saved_unattributed += claimed
        else:
            self.saved_bytes[node_id] = self.saved_bytes.get(node_id, 0) + claimed
            for entry in self._pending:
                MemoryLog.charge(entry, node_id)
        self._pending.clear()

    # -- the recorder's events -------------------------------------------------------------------

    def _enter(self, module: nn.Module, args: tuple[object, ...]) -> None:
        if not self._inside_leaf():
            self._claim(None)  # saved between nodes, by code outside every node
        super()._enter(module, args)

    def _exit(self, module: nn.Module, kwargs: dict[str, object], output: object) -> None:
        frame = self.stack[-1] if self.stack else None
        super()._exit(module, kwargs, output)
        if frame is not None and frame.node is not None:
            self._claim(frame.node)
            self._own(frame.node, output)
            self.log.point(frame.node)

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: object,
        args: tuple[object, ...] = (),
        kwargs: Mapping[str, object] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the wrapped torch function returns
        if self._inside_leaf():
            return super().__torch_function__(func, types, args, kwargs)
        self._claim(None)
        count = len(self.nodes)
        result = super().__torch_function__(func, types, args, kwargs)
        if len(self.nodes) > count and self.nodes[-1].kind == "function":
            node_id = self.nodes[-1].id
            self._claim(node_id)
            self._own(node_id, result if self.nodes[-1].outputs else None, args)
            self.log.point(node_id)
        return result

    def _produce(self, tensor: torch.Tensor, node_id: str) -> None:
        super()._produce(tensor, node_id)
        if tensor.layout == torch.strided:
            storage = tensor.untyped_storage()
            if self._made_by.get(storage) is None:  # type: ignore[no-untyped-call]  # untyped in torch
                self._made_by[storage] = node_id

    def add_input(self, name: str, tensor: torch.Tensor) -> None:
        """Add a graph input node; its storage is produced by it."""
        super().add_input(name, tensor)
        self._made_by[tensor.untyped_storage()] = self.nodes[-1].id

    # -- gradient ownership ----------------------------------------------------------------------

    def _own(self, node_id: str, output: object, extra: object = None) -> None:
        """Claim the autograd nodes behind ``output`` (and ``extra``, changed in place) not yet owned."""
        stack = [t.grad_fn for _, t in iter_tensors((output, extra)) if t.grad_fn is not None]
        while stack:
            fn = stack.pop()
            if fn in self.owner or type(fn).__name__ == "AccumulateGrad":
                continue
            self.owner[fn] = node_id
            stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)

    # -- charging the backward ---------------------------------------------------------------------

    def push_charge(self, record: CostRecord) -> None:
        """Charge the ATen ops that run from now on to ``record`` (the backward of a node, say)."""
        self._charges.append(record)

    def pop_charge(self) -> None:
        """Stop charging the record pushed last."""
        self._charges.pop()

    def last_node(self) -> str:
        """Return the id of the node recorded last ("" before the first)."""
        return self.nodes[-1].id if self.nodes else ""
