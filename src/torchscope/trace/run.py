"""One forward pass under the recorder, on the device chosen, leaving no trace on the model.

``device="auto"`` runs on ``meta``: every parameter and buffer is replaced by a meta stand-in
through :func:`torch.func.functional_call`, so the model is never moved, copied or changed and
costs no memory. When an op needs real data (``.item()``, ``nonzero``, NMS, a constant created on
the CPU), the pass is run again on real tensors on the model's own device. A real pass gets
copies of the buffers (BatchNorm statistics stay as they were) and of the inputs, runs under
``no_grad``, and restores the RNG state; the ``training`` flag of every submodule is put back.

The model is traced in eval mode unless ``train=True``: that is the graph people mean by "the
model" (no dropout, BatchNorm on running statistics, no auxiliary heads).
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

import torch
from torch import nn

from torchscope.errors import TraceError
from torchscope.trace.inputs import Example
from torchscope.trace.recorder import CostCounter, Failure, Recorder
from torchscope.trace.records import GroupRecord, ModuleInfo, Trace
from torchscope.trace.repeats import mark_repeats

DEVICES = ("auto", "meta", "cpu", "cuda")
_NEEDS_DATA = re.compile(r"\bmeta\b|data[- ]dependent|no data", re.IGNORECASE)


class _NeedsRealTensors(Exception):  # noqa: N818  # internal signal, never seen by users
    pass


def trace_model(
    model: nn.Module, example: Example, device: str | torch.device, *, train: bool = False
) -> Trace:
    """Trace ``model`` on ``example``; see the module docstring for the device rules."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    target = _resolve(device)
    if target is not None:
        return _run(model, example, target, train=train)
    try:
        return _run(model, example, torch.device("meta"), train=train, allow_fallback=True)
    except _NeedsRealTensors as signal:
        home = model_device(model)
        if home.type == "meta":
            raise TraceError(
                "the model needs real tensors (an op depends on data, e.g. .item() or nonzero), "
                "but its parameters live on the meta device; pass a model with real weights",
                _empty_trace(model, example),
            ) from signal.__cause__
        return _run(model, example, home, train=train)


def model_device(model: nn.Module) -> torch.device:
    """Return the device of the model's first parameter or buffer (the CPU for a model with neither)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _resolve(device: str | torch.device) -> torch.device | None:
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES} (or e.g. 'cuda:1'), got {device!r}")
    if device == "auto":
        return None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for, but CUDA is not available here")
    return torch.device(device)


def _run(
    model: nn.Module, example: Example, device: torch.device, *, train: bool, allow_fallback: bool = False
) -> Trace:
    recorder = Recorder(model)
    state = _stand_ins(model, device)
    recorder.name_parameters(state)
    call = example.to(device)
    for name, tensor in call.named_tensors():
        recorder.add_input(name, tensor)
    with _preserved(model, train=train), _hooks(recorder):
        try:
            with recorder, CostCounter(recorder), _grad_mode(device):
                output = torch.func.functional_call(
                    model, state, call.args, call.kwargs, tie_weights=True, strict=False
                )
        except Exception as exc:
            if allow_fallback and _needs_real_tensors(exc):
                raise _NeedsRealTensors from exc
            failure = recorder.failure or recorder.fail_without_op()
            trace = _finish(recorder, model, call, device, error=_describe(failure, exc))
            raise TraceError(_describe(failure, exc), trace) from exc
    recorder.add_outputs(output)
    return _finish(recorder, model, call, device, error=None)


def _finish(
    recorder: Recorder, model: nn.Module, call: Example, device: torch.device, error: str | None
) -> Trace:
    if error is not None and recorder.failure is not None and recorder.failure.node is not None:
        recorder.nodes[[n.id for n in recorder.nodes].index(recorder.failure.node)].error = error
    groups = _without_empty_groups(list(recorder.groups.values()))
    mark_repeats(groups, recorder.nodes, list(recorder.edges.values()))
    return Trace(
        model_name=type(model).__name__,
        device=str(device),
        dtype=_main_dtype(call),
        input_shapes=call.input_shapes(),
        nodes=recorder.nodes,
        groups=groups,
        edges=list(recorder.edges.values()),
        module_types={name: type(m).__name__ for name, m in model.named_modules()},
        modules=module_infos(model),
        unattributed=recorder.unattributed,
        error=error,
    )


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


def _empty_trace(model: nn.Module, example: Example) -> Trace:
    recorder = Recorder(model)
    return _finish(recorder, model, example.to(torch.device("meta")), torch.device("meta"), error=None)


def _describe(failure: Failure, exc: BaseException) -> str:
    where = (
        f"{failure.module_type} {failure.module_path!r}" if failure.module_path else "the model's own forward"
    )
    if failure.module_path == "":
        where = f"{failure.module_type} (the model's own forward)"
    shapes = ", ".join(str(s) for s in failure.input_shapes) or "no tensors"
    return (
        f"forward failed in {where} at {failure.op} with input shapes {shapes}: {type(exc).__name__}: {exc}"
    )


def _needs_real_tensors(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NotImplementedError) or _NEEDS_DATA.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def _stand_ins(model: nn.Module, device: torch.device) -> dict[str, torch.Tensor]:
    """Tensors to run with: meta stand-ins, or the parameters and copies of the buffers on ``device``."""
    state: dict[str, torch.Tensor] = {}
    for name, param in model.named_parameters():
        state[name] = (
            torch.empty_like(param, device="meta") if device.type == "meta" else param.detach().to(device)
        )
    for name, buffer in model.named_buffers():
        # copies: a train-mode pass updates BatchNorm statistics in place
        state[name] = (
            torch.empty_like(buffer, device="meta") if device.type == "meta" else buffer.to(device, copy=True)
        )
    return state


def module_infos(model: nn.Module) -> dict[str, ModuleInfo]:
    """For every module path: the parameters and buffers it owns, directly and in its subtree.

    ``parameters()`` yields each tensor once, so a weight tied between two modules of a subtree
    counts once in that subtree; a module whose own weight is also another module's says so.
    """
    owners: dict[int, list[str]] = defaultdict(list)
    for name, module in model.named_modules():
        for param in module.parameters(recurse=False):
            owners[id(param)].append(name)
    infos: dict[str, ModuleInfo] = {}
    for name, module in model.named_modules():
        own = list(module.parameters(recurse=False))
        subtree = list(module.parameters())
        infos[name] = ModuleInfo(
            params=sum(p.numel() for p in own),
            params_trainable=sum(p.numel() for p in own if p.requires_grad),
            param_bytes=_bytes(own),
            buffer_bytes=_bytes(module.buffers(recurse=False)),
            total_params=sum(p.numel() for p in subtree),
            total_params_trainable=sum(p.numel() for p in subtree if p.requires_grad),
            total_param_bytes=_bytes(subtree),
            total_buffer_bytes=_bytes(module.buffers()),
            shared_with=tuple(sorted({o for p in own for o in owners[id(p)] if o != name})),
        )
    return infos


def _bytes(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


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


@contextlib.contextmanager
def _grad_mode(device: torch.device) -> Iterator[None]:
    # meta stand-ins need no autograd bookkeeping either way; a real pass must not build a graph
    if device.type == "meta":
        yield
    else:
        with torch.no_grad():
            yield


@contextlib.contextmanager
def _preserved(model: nn.Module, *, train: bool) -> Iterator[None]:
    """Put every module attribute, ``training`` flag and the RNG state back, whatever happens.

    Some forwards assign attributes (torchvision's AnchorGenerator caches its anchors on the
    device of the pass): a meta pass would leave meta tensors behind. Each module's ``__dict__``
    is restored to the very objects it held before.
    """
    attributes: Mapping[nn.Module, dict[str, object]] = {m: dict(vars(m)) for m in model.modules()}
    initialized = torch.cuda.is_initialized()  # type: ignore[no-untyped-call]  # untyped in torch
    cuda = list(range(torch.cuda.device_count())) if initialized else []
    with torch.random.fork_rng(devices=cuda):
        try:
            model.train(train)
            yield
        finally:
            for module, before in attributes.items():
                now = vars(module)
                for key in [k for k in now if k not in before]:
                    del now[key]
                for key, value in before.items():
                    if now.get(key, _MISSING) is not value:
                        now[key] = value


_MISSING = object()
