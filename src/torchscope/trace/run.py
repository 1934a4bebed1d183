"""One forward pass under the recorder, on the device chosen, leaving no trace on the model.

``device="auto"`` runs on ``meta``: every parameter and buffer is replaced by a meta stand-in
through :func:`torch.func.functional_call`, so the model is never moved, copied or changed and
costs no memory. When an op needs real data (``.item()``, ``nonzero``, NMS, a constant created on
the CPU), the pass is run again on real tensors on the model's own device; a model that has no
real values (built on meta) is *estimated* on meta instead, from the values it can know and
stated assumptions (:mod:`.estimates`). A real pass gets
copies of the buffers (BatchNorm statistics stay as they were) and of the inputs, runs under
``no_grad``, and restores the RNG state; the ``training`` flag of every submodule is put back.

The model is traced in eval mode unless ``train=True``: that is the graph people mean by "the
model" (no dropout, BatchNorm on running statistics, no auxiliary heads).
"""

from __future__ import annotations

import contextlib
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from torchscope import collector
from torchscope.errors import TraceError
from torchscope.trace.costing import CostCounter
from torchscope.trace.estimates import Estimator
from torchscope.trace.hints import expected_input
from torchscope.trace.inputs import SHAPE_SEED, Example
from torchscope.trace.observe import Observer
from torchscope.trace.ownership import module_infos
from torchscope.trace.preserve import preserved
from torchscope.trace.recorder import Recorder
from torchscope.trace.recorder_parts import Failure
from torchscope.trace.records import GroupRecord, Trace
from torchscope.trace.repeats import mark_repeats
from torchscope.trace.step import trace_step
from torchscope.trace.structures import structure_groups
from torchscope.trace.timing import Timer
from torchscope.trace.values import meta_like, named_modules, named_tensors
from torchscope.trace.wrappers import unwrap
from torchscope.training import Training

DEVICES = ("auto", "meta", "cpu", "cuda")
Modules = list[tuple[str, nn.Module]]  # the model's named_modules(), walked once per trace
_NEEDS_DATA = re.compile(r"\bmeta\b|data[- ]dependent|no data", re.IGNORECASE)


class _NeedsRealTensors(Exception):  # noqa: N818  # internal signal, never seen by users
    """The meta pass reached an op that needs values; carries what was traced up to it."""

    def __init__(self, where: str, finish: Callable[[str], Trace]) -> None:
        super().__init__(where)
        self.where = where
        self.finish = finish  # the partial trace, its failing node marked with the message given


def trace_model(  # noqa: PLR0913  # the model, its inputs, the device and three switches
    model: nn.Module,
    example: Example,
    device: str | torch.device,
    *,
    train: bool = False,
    measure: bool = False,
    training: Training | None = None,
    values: bool = False,
) -> Trace:
    """Trace ``model`` on ``example``; see the module docstring for the device rules.

    With ``measure``, the model also runs on real tensors (its own device, or the one asked for)
    to time every node; see :func:`measure_latency`. With ``training``, one training step is
    traced on meta instead of a forward (see :mod:`.step`). With ``values``, the pass itself runs on
    real tensors (the model's own device unless another is asked for) and summarises every tensor a
    node produces and every parameter it reads (:mod:`.observe`).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    model, notes = unwrap(model)
    modules = named_modules(model)
    _require_initialized(modules)
    if training is not None:
        if _resolve(device) not in (None, torch.device("meta")):
            raise ValueError(
                f"training=... traces the step on meta; device={str(device)!r} cannot be used with it"
            )
        if values:
            raise ValueError("values=True runs the forward on real tensors; training= traces a step on meta")
        trace = trace_step(model, modules, example, training)
    elif values:
        trace = _run(model, modules, example, _values_device(model, device), train=train, observe=True)
    else:
        trace = _trace(model, modules, example, device, train=train)
    trace.notes = notes
    if measure:
        where = torch.device(trace.device) if trace.device != "meta" else model_device(model)
        if where.type == "meta":
            raise ValueError("measure=True times real computation, but the model's parameters live on meta")
        trace.latency_ms, trace.total_latency_ms = measure_latency(
            model, example, where, train=train, modules=modules
        )
        trace.latency_device = str(where)
    return trace


def _trace(
    model: nn.Module, modules: Modules, example: Example, device: str | torch.device, *, train: bool
) -> Trace:
    target = _resolve(device)
    if target is not None:
        return _run(model, modules, example, target, train=train)
    meta = torch.device("meta")
    try:
        return _run(model, modules, example, meta, train=train, allow_fallback=True)
    except _NeedsRealTensors as signal:
        if (missing := _without_values(model, example)) is None:
            return _run(model, modules, example, model_device(model), train=train)
        try:
            return _run(model, modules, example, meta, train=train, estimate=True)
        except TraceError as estimating:
            message = (
                f"{signal.where} needs real tensors (an op depends on data, e.g. .item() or nonzero), "
                f"but {missing}; pass a model with real weights and real (or shape-only) inputs "
                f"(estimating on meta, with known inputs and stated assumptions, stopped too: {estimating})"
            )
            raise TraceError(message, signal.finish(message)) from signal.__cause__


def measure_latency(  # noqa: PLR0913  # what to run, where, and how often
    model: nn.Module,
    example: Example,
    device: torch.device,
    *,
    train: bool,
    warmup: int = 2,
    repeats: int = 7,
    modules: Modules | None = None,
) -> tuple[dict[str, float], float]:
    """Median wall time of each node's own work and of the whole forward, in milliseconds.

    Runs ``warmup`` untimed and ``repeats`` timed forwards on real tensors on ``device`` under
    ``no_grad`` (CUDA timed with events, synchronised once per run), with the same no-trace
    guarantees as a trace. Ids are stable, so the runs line up node by node.
    """
    timer = Timer(device)
    _require_values(model, example, device)
    modules = named_modules(model) if modules is None else modules
    state = _stand_ins(modules, device)
    per_node: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    for run in range(warmup + repeats):
        recorder = Recorder(model, timer=timer, modules=modules)
        call = example.to(device)
        for name, tensor in call.named_tensors():
            recorder.add_input(name, tensor)
        with preserved(model, modules, train=train), _hooks(recorder), recorder, torch.no_grad():
            start = timer.mark()
            torch.func.functional_call(model, state, call.args, call.kwargs, tie_weights=True, strict=False)
            end = timer.mark()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if run < warmup:
            continue
        totals.append(timer.elapsed_ms(start, end))
        for node_id, (begin, finish) in recorder.spans.items():
            per_node[node_id].append(timer.elapsed_ms(begin, finish))
    return {k: statistics.median(v) for k, v in per_node.items()}, statistics.median(totals)


def model_device(model: nn.Module) -> torch.device:
    """Return the device of the model's first parameter or buffer (the CPU for a model with neither)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _resolve(device: str | torch.device) -> torch.device | None:
    if isinstance(device, str) and device == "auto":
        return None
    if not isinstance(device, str | torch.device) or str(device).split(":")[0] not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES} (or e.g. 'cuda:1'), got {device!r}")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:  # 'cpu:x', 'cuda:-1': torch's own parser says what is wrong
        raise ValueError(f"device {device!r} is not a device: {error}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was asked for, but CUDA is not available here")
    return resolved


def _values_device(model: nn.Module, device: str | torch.device) -> torch.device:
    """Return the device a values pass runs on: the one asked for, or the model's own; never meta."""
    target = _resolve(device)
    where = model_device(model) if target is None else target
    if where.type == "meta":
        asked = "the model's parameters live on meta" if target is None else "device='meta' was asked for"
        raise ValueError(
            f"values=True summarises real tensors, but {asked}; trace with real weights on "
            "device='auto', 'cpu' or 'cuda'"
        )
    return where


def _without_values(model: nn.Module, example: Example) -> str | None:
    """Name the first parameter, buffer or input that is a meta tensor (it holds no values), or None."""
    for kind, named in (
        ("its parameters live", model.named_parameters()),
        ("its buffers live", model.named_buffers()),
    ):
        for name, tensor in named:
            if tensor.device.type == "meta":
                return f"{kind} on the meta device ({name!r} holds no values)"
    for name, tensor in example.named_tensors():
        if tensor.device.type == "meta":
            return f"input {name!r} is a meta tensor (it holds no values)"
    return None


def _require_initialized(modules: Modules) -> None:
    """Refuse a lazy module whose sizes are not known yet: a trace must not initialise it."""
    for kind, registry in (("parameter", "_parameters"), ("buffer", "_buffers")):
        for name, tensor in named_tensors(modules, registry):
            if is_lazy(tensor):
                owner = name.rpartition(".")[0]
                raise ValueError(
                    f"{kind} {name!r} of {type(dict(modules)[owner]).__name__} {owner!r} is not "
                    "initialised yet (a lazy module learns its sizes from its first input): run the "
                    "model once on an example, then trace it"
                )


def _require_values(model: nn.Module, example: Example, device: torch.device) -> None:
    """Refuse, naming the culprit, a real pass over tensors that have no values."""
    if device.type != "meta" and (missing := _without_values(model, example)) is not None:
        raise ValueError(
            f"device={str(device)!r} runs the model on real tensors, but {missing}; "
            "trace on device='meta' or 'auto', or give the model real weights and real inputs"
        )


def _run(  # noqa: PLR0913  # the model, its module walk, the inputs and four switches
    model: nn.Module,
    modules: Modules,
    example: Example,
    device: torch.device,
    *,
    train: bool,
    allow_fallback: bool = False,
    estimate: bool = False,
    observe: bool = False,
) -> Trace:
    _require_values(model, example, device)
    # paused from the stand-ins to the finished records, not only around the pass: what is made
    # before it (the snapshot of every module's registries) would otherwise set off full passes
    # over everything torch and the model keep alive
    with _collector_paused_on_meta(device):
        return _record(
            model, modules, example, device, train=train, allow_fallback=allow_fallback, estimate=estimate,
            observe=observe,
        )  # fmt: skip


def _record(  # noqa: PLR0913  # as _run's
    model: nn.Module,
    modules: Modules,
    example: Example,
    device: torch.device,
    *,
    train: bool,
    allow_fallback: bool,
    estimate: bool,
    observe: bool,
) -> Trace:
    recorder = Recorder(model, modules=modules)
    state = _stand_ins(modules, device)
    recorder.name_parameters(state)
    if observe:
        recorder.observer = Observer({n: state[n] for n, _ in named_tensors(modules, "_parameters")})
    call = example.to(device)
    for name, tensor in call.named_tensors():
        recorder.add_input(name, tensor)
    estimator = _estimator(call, example, recorder) if estimate else None
    with (
        preserved(model, modules, train=train),
        _hooks(recorder),
        _recursion_headroom() as limit,
    ):
        try:
            with recorder, CostCounter(recorder, estimator), _grad_mode(device):
                output = torch.func.functional_call(
                    model, state, call.args, call.kwargs, tie_weights=True, strict=False
                )
        except Exception as exc:
            failure = recorder.failure or recorder.fail_without_op()
            if allow_fallback and _needs_real_tensors(exc):
                raise _NeedsRealTensors(
                    f"{_where(failure)} at {failure.op}",
                    lambda error: _finish(recorder, model, modules, call, device, error=error),
                ) from exc
            message = _describe(failure, exc, model, recorder, recursion_limit=limit)
            raise TraceError(message, _finish(recorder, model, modules, call, device, error=message)) from exc
    recorder.add_outputs(output)
    return _finish(recorder, model, modules, call, device, error=None, returned=output)


def _collector_paused_on_meta(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """Pause the cyclic collector for a pass on meta; a pass on real tensors may make real garbage."""
    return collector.paused() if device.type == "meta" else contextlib.nullcontext()


def _estimator(call: Example, example: Example, recorder: Recorder) -> Estimator:
    """Make the estimator of a meta-only pass (see :mod:`.estimates`); it knows the inputs' values."""
    estimator = Estimator()
    known = example.known_values().named_tensors()
    for (_, stand_in), (_, value) in zip(call.named_tensors(), known, strict=True):
        estimator.know(stand_in, value)
    recorder.shortcuts = False
    return estimator


@collector.paused()
def _finish(  # noqa: PLR0913  # what the pass recorded and what it ran on
    recorder: Recorder,
    model: nn.Module,
    modules: Modules,
    call: Example,
    device: torch.device,
    *,
    error: str | None,
    returned: object = None,
) -> Trace:
    if error is not None and recorder.failure is not None and recorder.failure.node is not None:
        recorder.nodes[[n.id for n in recorder.nodes].index(recorder.failure.node)].error = error
    observed = recorder.observer.finish() if recorder.observer is not None else (None, None)
    taken = {n.id for n in recorder.nodes} | set(recorder.groups)
    inputs = structure_groups(recorder.nodes, "input", "input", call.positional(), taken)
    inputs += structure_groups(recorder.nodes, "input", "", call.kwargs, taken)
    outputs = structure_groups(recorder.nodes, "output", "output", returned, taken)
    structures = [*inputs, *outputs]
    groups = _without_empty_groups([*inputs, *recorder.groups.values(), *outputs])
    kept = {g.id for g in groups} | {n.id for n in recorder.nodes}
    mark_repeats(groups, recorder.nodes, list(recorder.edges.values()))
    return Trace(
        model_name=type(model).__name__,
        device=str(device),
        dtype=_main_dtype(call),
        input_shapes=call.input_shapes(),
        nodes=recorder.nodes,
        groups=groups,
        edges=list(recorder.edges.values()),
        top_level=_top_level(recorder.top_level, kept, structures),
        module_types={name: type(m).__name__ for name, m in modules},
        modules=module_infos(model, modules),
        unattributed=recorder.unattributed,
        error=error,
        values=observed[0],
        param_values=observed[1],
        values_seed=_made_seed(call) if recorder.observer is not None else None,
    )


def _top_level(order: list[str], kept: set[str], structures: list[GroupRecord]) -> list[str]:
    """Return the recorded top-level order, with each structure where its first tensor was."""
    holder = {child: s.id for s in structures for child in s.children}
    result: list[str] = []
    for member in order:
        member = holder.get(member, member)  # noqa: PLW2901  # a structure stands for its tensors
        if member in kept and member not in result:
            result.append(member)
    return result


def _without_empty_groups(groups: list[GroupRecord]) -> list[GroupRecord]:
    """Drop groups of modules that ran nothing recorded (e.g. an empty Sequential), bottom-up."""
    dead: set[str] = set()
    while True:
        for group in groups:
            group.children = [c for c in group.children if c not in dead]
        newly = {g.id for g in groups if not g.children and g.id not in dead}
        if not newly:
            return [g for g in groups if g.id not in dead]
        dead |= newly


def _where(failure: Failure) -> str:
    """``Conv2d 'features.0'``, ``Bad (the model's own forward)``, or ``the model's own forward``."""
    if failure.module_path is None:
        return "the model's own forward"
    if failure.module_path == "":
        return f"{failure.module_type} (the model's own forward)"
    return f"{failure.module_type} {_short(failure.module_path)!r}"


def _describe(
    failure: Failure, exc: BaseException, model: nn.Module, recorder: Recorder, *, recursion_limit: int
) -> str:
    shapes = ", ".join(str(s) for s in failure.input_shapes) or "no tensors"
    message = (
        f"forward failed in {_where(failure)} at {failure.op} with input shapes {shapes}: "
        f"{type(exc).__name__}: {exc}"
    )
    node = recorder.nodes[[n.id for n in recorder.nodes].index(failure.node)] if failure.node else None
    if node is not None and node.kind == "module":
        module = dict(model.named_modules()).get(node.module_path)
        label = f"{node.op} {_short(node.module_path)!r}" if node.module_path else node.op
        if (hint := expected_input(module, label, node.inputs)) is not None:
            message += f" ({hint})"
    if isinstance(exc, RecursionError):
        message += (
            f" (the trace allows {_headroom(recursion_limit)} nested Python calls, half again Python's "
            f"limit of {recursion_limit}: the forward recurses without end, or needs a higher "
            "sys.setrecursionlimit)"
        )
    return message


def _short(path: str, keep: int = 60) -> str:
    """Shorten a module path for a message: a deep nesting keeps its two ends."""
    return path if len(path) <= 2 * keep else f"{path[:keep]}…{path[-keep:]}"


def _needs_real_tensors(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NotImplementedError) or _NEEDS_DATA.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def _stand_ins(modules: Modules, device: torch.device) -> dict[str, torch.Tensor]:
    """Tensors to run with: meta stand-ins, or the parameters and copies of the buffers on ``device``."""
    state: dict[str, torch.Tensor] = {}
    for name, param in named_tensors(modules, "_parameters"):
        state[name] = meta_like(param) if device.type == "meta" else param.detach().to(device)
    for name, buffer in named_tensors(modules, "_buffers"):
        # copies: a train-mode pass updates BatchNorm statistics in place
        state[name] = meta_like(buffer) if device.type == "meta" else buffer.to(device, copy=True)
    return state


def _made_seed(call: Example) -> int | None:
    """Return the seed of the random inputs made from shapes, or None when every input was given."""
    return SHAPE_SEED if call.made_from_shapes else None


def _main_dtype(call: Example) -> str:
    tensors = call.named_tensors()
    return str(tensors[0][1].dtype).removeprefix("torch.") if tensors else "float32"


@contextlib.contextmanager
def _hooks(recorder: Recorder) -> Iterator[None]:
    pre = nn.modules.module.register_module_forward_pre_hook(recorder.pre_hook)
    post = nn.modules.module.register_module_forward_hook(recorder.post_hook, with_kwargs=True)
    try:
        yield
    finally:
        pre.remove()
        post.remove()
        # the handle forgets the `with_kwargs` flag it registered (torch 2.14): left there, it makes
        # every later module call in the process take the slow path for global hooks
        nn.modules.module._global_forward_hooks_with_kwargs.pop(post.id, None)  # noqa: SLF001


def _headroom(limit: int) -> int:
    return limit + limit // 2


@contextlib.contextmanager
def _recursion_headroom() -> Iterator[int]:
    """Let the traced forward nest as deep as a plain one: hooks add a frame per module level.

    A call through global hooks takes one more Python frame per nested module than a plain call,
    so a model nested ~200 modules deep would run but not trace. Half again the limit covers that,
    and is restored afterwards. Yields the limit a plain forward gets.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_headroom(limit))
    try:
        yield limit
    finally:
        sys.setrecursionlimit(limit)


@contextlib.contextmanager
def _grad_mode(device: torch.device) -> Iterator[None]:
    # meta stand-ins need no autograd bookkeeping either way; a real pass must not build a graph
    if device.type == "meta":
        yield
    else:
        with torch.no_grad():
            yield
