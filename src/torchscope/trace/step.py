"""One training step on meta: the forward in train mode, the backward, the optimizer's step.

What runs is PyTorch's own: autograd builds and runs the backward of the meta forward, and
``torch.optim`` makes its state and takes its step on meta stand-ins of the parameters. So the
saved activations, gradients, optimizer state and temporaries are the ones a real step makes, with
their sizes, and nothing is allocated. The model itself is untouched: the stand-ins are leaves of
our own (their ``.grad`` is theirs), the optimizer is ours, ``training`` flags, module attributes
and the RNG are put back as after any trace (:func:`~.preserve.preserved`).

The step is the steady one: the optimizer's state exists before the forward (a first step on
zero gradients made it, untracked) and the gradients do not (``zero_grad(set_to_none=True)``), as
from the second iteration of a loop on. The example inputs are not counted (they exist before the
step, as ``MemTracker`` sees it too). The model's output is held until the optimizer has stepped,
as a loop holding ``out = model(x)`` does.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import torch
from torch import nn
from torch.nn.utils import stateless
from torch.utils import _pytree as pytree
from torch.utils.checkpoint import checkpoint

from torchscope import collector, costs
from torchscope.errors import TraceError
from torchscope.trace.assumptions import ROUTERS
from torchscope.trace.costing import Charges, CostCounter
from torchscope.trace.estimates import Estimator
from torchscope.trace.inputs import Example
from torchscope.trace.memory import MemoryLog
from torchscope.trace.module_names import named_by, naming_nothing
from torchscope.trace.preserve import preserved
from torchscope.trace.records import CostRecord, Trace
from torchscope.trace.step_attention import FusedAttention
from torchscope.trace.step_casts import cast_on_call
from torchscope.trace.step_recorder import StepRecorder
from torchscope.trace.step_records import StepRecord
from torchscope.trace.step_state import (
    make_optimizer,
    owned_state,
    register_state,
    stand_ins,
    step_distinct_shapes,
)
from torchscope.trace.values import iter_tensors, meta_like, named_tensors
from torchscope.training import Training

_META = torch.device("meta")
Modules = list[tuple[str, nn.Module]]


class _StepCounter(CostCounter):  # type: ignore[no-untyped-call]  # untyped in torch
    """The cost counter that also tells the memory log about every storage an op returns."""

    def __init__(self, recorder: Charges, log: MemoryLog, estimator: Estimator | None) -> None:
        super().__init__(recorder, estimator)
        self.log = log

    def __torch_dispatch__(
        self,
        func: Any,  # noqa: ANN401  # an ATen OpOverload
        types: object,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the op returns
        estimator = self.estimator
        if estimator is not None and func not in ROUTERS and _no_values(estimator, args, kwargs):
            # nothing known or assumed goes in, so nothing can come out: the plain path (remembered
            # results, fast paths) answers the same, or raises where the estimator must step in
            self.estimator = None
            try:
                out = super().__torch_dispatch__(func, types, args, kwargs)
            except (NotImplementedError, RuntimeError):
                out = None
            finally:
                self.estimator = estimator
            if out is not None:
                self.log.observe(out)
                return out
        out = super().__torch_dispatch__(func, types, args, kwargs)
        self.log.observe(out)
        return out


def _no_values(estimator: Estimator, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> bool:
    """Whether a call's tensors are all meta tensors with no known or assumed values or sizes."""
    tensors = [a for a in args if type(a) is torch.Tensor or type(a) is nn.Parameter]
    nested = any(isinstance(a, list | tuple | dict) for a in args) or kwargs
    if nested:  # a list of tensors (cat, stack), keyword tensors: the general walk
        tensors = [t for t in pytree.tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
    return bool(tensors) and all(
        t.device.type == "meta"
        and t not in estimator.values
        and t not in estimator.value_notes
        and t not in estimator.shape_notes
        for t in tensors
    )


class _Ignored:
    """Charges nothing: the inference pass only measures memory."""

    def charge(self, func: object, cost: costs.OpCost, estimated: object = ()) -> None:
        del func, cost, estimated


@collector.paused()  # the step runs on meta and fake tensors only
def trace_step(model: nn.Module, modules: Modules, example: Example, spec: Training) -> Trace:
    """Trace one training step of ``model`` on ``example`` (see the module docstring).

    A forward that asks for values (a mask check, ``.item()``) is traced again with the values
    that can be known followed exactly, as a meta-only forward trace is (:mod:`.estimates`).
    """
    from torchscope.trace.run import _needs_real_tensors  # noqa: PLC0415  # run imports us

    try:
        return _trace_step(model, modules, example, spec, estimate=False)
    except TraceError as error:
        if error.__cause__ is None or not _needs_real_tensors(error.__cause__):
            raise
    return _trace_step(model, modules, example, spec, estimate=True)


def _trace_step(
    model: nn.Module, modules: Modules, example: Example, spec: Training, *, estimate: bool
) -> Trace:
    from torchscope.trace.run import _describe, _finish, _hooks, _recursion_headroom  # noqa: PLC0415  # run imports us

    dtype = _model_dtype(modules)
    log = MemoryLog()
    recorder = StepRecorder(model, log, modules)
    state, trainable = stand_ins(modules, spec.param_dtype(dtype), spec.compute_dtype(dtype))
    recorder.name_parameters(state)
    call = _cast_inputs(example.to(_META), spec.compute_dtype(dtype))
    for name, tensor in call.named_tensors():
        recorder.add_input(name, tensor)
        log.ignore(tensor)
    for name, tensor in state.items():
        log.register(tensor, "params" if name in trainable or _is_param(modules, name) else "buffers")
    optimizer = make_optimizer(spec, list(trainable.values()))
    opt_bytes = register_state(optimizer, log)
    step = StepRecord(
        optimizer=spec.optimizer,
        precision=spec.precision if spec.precision != "model" else str(dtype).removeprefix("torch."),
        loss="",
        checkpointed=[],
    )
    counter = _StepCounter(recorder, log, _estimator(call, example) if estimate else None)
    log.node = recorder.last_node
    with (
        preserved(model, modules, train=True),
        _recursion_headroom() as limit,
        counter,
        FusedAttention(),
        contextlib.ExitStack() as swapped,
    ):
        step.checkpointed = _checkpoint(modules, spec.activation_checkpointing)
        # the stand-ins stay swapped in through the backward, where checkpointed blocks are recomputed
        swapped.enter_context(
            stateless._reparametrize_module(  # noqa: SLF001  # functional_call's own swap, kept open
                model, state, tie_weights=True, strict=False
            )
        )
        try:
            with (
                _hooks(recorder),
                recorder,
                torch.autograd.graph.saved_tensors_hooks(recorder.pack, _unpacked),
                torch.enable_grad(),
            ):
                if spec.compute_dtype(dtype) != spec.param_dtype(dtype):  # after the recorder's hooks
                    swapped.enter_context(cast_on_call(list(trainable.values()), spec.compute_dtype(dtype)))
                output = model(*call.args, **call.kwargs)
        except Exception as exc:
            failure = recorder.failure or recorder.fail_without_op()
            message = "training step: " + _describe(failure, exc, model, recorder, recursion_limit=limit)
            raise TraceError(message, _finish(recorder, model, modules, call, _META, error=message)) from exc
        recorder.add_outputs(output)
        counter.estimator = None  # the backward asks no values: its shapes are the forward's
        recorder.push_charge(step.backward_unattributed)
        loss, step.loss = loss_of(output, spec)
        _backward(loss, recorder, log, step, trainable)
        del loss
        swapped.close()
        log.phase = "optimizer"
        recorder.pop_charge()
        recorder.push_charge(step.optimizer_cost)
        if optimizer is not None and spec.optimizer != "adafactor":  # Adafactor's step reads values
            step_distinct_shapes(optimizer)
            log.point("optimizer")
        recorder.pop_charge()
        del output
    step.timeline = log.timeline
    step.peak = log.peak()
    step.owned = owned_state(modules, trainable, opt_bytes)
    step.saved_bytes = recorder.saved_bytes
    step.saved_unattributed = recorder.saved_unattributed
    trace = _finish(recorder, model, modules, call, _META, error=None)
    step.peak_inference = _inference_peak(
        model, modules, example, spec.compute_dtype(dtype), estimate=estimate
    )
    trace.step = step
    return trace


def _backward(
    loss: torch.Tensor,
    recorder: StepRecorder,
    log: MemoryLog,
    step: StepRecord,
    trainable: dict[str, torch.Tensor],
) -> None:
    """Run the backward with each autograd node's ops charged to the forward node that owns it."""
    log.phase = "backward"
    current = [""]  # the nodes whose backward runs now, innermost last
    finished: list[str] = []  # the node whose backward ran last: its point waits for its frees
    last = [""]  # the node whose backward ran last, for a peak reached between nodes
    log.node = lambda: current[-1] or last[0]
    handles = []

    def settle() -> None:
        # autograd frees a node's saved tensors right after its post-hooks: the point is taken
        # once that happened, when the next node starts (or the backward ends)
        if finished:
            log.point(finished.pop())

    for fn, node_id in recorder.owner.items():
        record = step.backward.setdefault(node_id, CostRecord())

        def pre(grad_outputs: object, record: CostRecord = record, node_id: str = node_id) -> None:
            del grad_outputs
            settle()
            recorder.push_charge(record)
            current.append(node_id)

        def post(grad_inputs: object, grad_outputs: object, node_id: str = node_id) -> None:
            del grad_inputs, grad_outputs
            recorder.pop_charge()
            current.pop()
            finished.append(node_id)
            last[0] = node_id

        handles += [fn.register_prehook(pre), fn.register_hook(post)]  # type: ignore[attr-defined]  # autograd nodes
    for tensor in trainable.values():
        hook = tensor.register_post_accumulate_grad_hook(lambda p: log.register(p.grad, "grads"))  # type: ignore[no-untyped-call]  # untyped in torch
        handles.append(hook)
    try:
        loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch
        settle()
    finally:
        for handle in handles:
            handle.remove()
        recorder.owner.clear()


def _estimator(call: Example, example: Example) -> Estimator:
    """Make the estimator of a meta-only pass: it knows the inputs' values (see :mod:`.estimates`)."""
    estimator = Estimator()
    known = example.known_values().named_tensors()
    for (_, stand_in), (_, value) in zip(call.named_tensors(), known, strict=True):
        estimator.know(stand_in, value)
    return estimator


def _unpacked(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


def _model_dtype(modules: Modules) -> torch.dtype:
    for _, tensor in named_tensors(modules, "_parameters"):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _is_param(modules: Modules, name: str) -> bool:
    return name in dict(named_tensors(modules, "_parameters"))


def _cast_inputs(call: Example, dtype: torch.dtype) -> Example:
    """Floating inputs in the compute dtype (token ids stay integers)."""
    if all(t.dtype == dtype or not t.is_floating_point() for _, t in call.named_tensors()):
        return call

    def cast(t: torch.Tensor) -> torch.Tensor:
        return t.to(dtype) if t.is_floating_point() else t

    args = pytree.tree_map_only(torch.Tensor, cast, call.args)
    kwargs = pytree.tree_map_only(torch.Tensor, cast, call.kwargs)
    return Example(args=tuple(args), kwargs=dict(kwargs))


def _checkpoint(modules: Modules, names: object) -> list[str]:
    """Wrap the named modules' forwards in non-reentrant checkpointing (undone by ``preserved``)."""
    wanted = list(names)  # type: ignore[call-overload]  # checked by Training
    missing = naming_nothing(modules, wanted)
    if missing:
        raise ValueError(
            f"activation_checkpointing names {missing[0]!r}, which is neither a module path nor a "
            f"module class of this model (paths look like {', '.join(p for p, _ in modules[1:4])!r})"
        )
    found = named_by(modules, wanted)
    for _, module in found:
        module.forward = functools.partial(_checkpointed, module.forward)
    return [path for path, _ in found]


def _checkpointed(forward: Any, *args: object, **kwargs: Any) -> object:  # noqa: ANN401  # a bound forward, its keywords
    # the recomputation runs in the backward, where the step's torch-function modes are not on
    # the stack: it gets the fused attention of its own, so that it saves what the forward saved
    return checkpoint(forward, *args, use_reentrant=False, context_fn=_recompute_contexts, **kwargs)


def _recompute_contexts() -> tuple[
    contextlib.AbstractContextManager[None], contextlib.AbstractContextManager[None]
]:
    return contextlib.nullcontext(), FusedAttention()


def loss_of(output: object, spec: Training) -> tuple[torch.Tensor, str]:
    """Return the scalar the backward starts from, and how it was found, in words."""
    found = list(iter_tensors(output))
    if callable(spec.loss):
        tensor, name = spec.loss(output), "the loss function given"
    elif isinstance(spec.loss, str):
        matches = [t for key, t in found if key == spec.loss]
        if not matches:
            keys = ", ".join(repr(k) for k, _ in found[:8])
            raise ValueError(f"Training(loss={spec.loss!r}): the output has no such member; it has {keys}")
        tensor, name = matches[0], spec.loss
    else:
        grads = [(k, t) for k, t in found if t.requires_grad and t.is_floating_point()]
        if not grads:
            raise ValueError(
                "training step: no output of the model needs a gradient, so there is no backward"
            )
        key, tensor = next(((k, t) for k, t in grads if k == "loss"), grads[0])
        name = key or "output"
    if not isinstance(tensor, torch.Tensor) or not tensor.requires_grad:
        raise ValueError(
            f"training step: the loss ({name}) does not need a gradient, so there is no backward"
        )
    if tensor.numel() != 1:
        return tensor.sum(), f"{name} (summed)"
    return tensor, name


def _inference_peak(
    model: nn.Module, modules: Modules, example: Example, dtype: torch.dtype, *, estimate: bool
) -> int:
    """Return the peak of an eval-mode forward under ``no_grad``: parameters, buffers and activations."""
    log = MemoryLog()
    state: dict[str, torch.Tensor] = {}
    for name, tensor in [*named_tensors(modules, "_parameters"), *named_tensors(modules, "_buffers")]:
        stand_in = meta_like(tensor)
        state[name] = stand_in.to(dtype) if stand_in.is_floating_point() else stand_in
        log.register(state[name], "params")
    call = _cast_inputs(example.to(_META), dtype)
    for _, tensor in call.named_tensors():
        log.ignore(tensor)
    counter = _StepCounter(_Ignored(), log, _estimator(call, example) if estimate else None)
    with preserved(model, modules, train=False), torch.no_grad(), counter, FusedAttention():
        output = torch.func.functional_call(
            model, state, call.args, call.kwargs, tie_weights=True, strict=False
        )
    del output
    return log.peak_bytes
