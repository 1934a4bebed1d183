"""What every parallel step shares: a world of fake ranks, a meta replica, its state in bytes.

``parallel=`` runs the training step once more through PyTorch's own distributed machinery on a
replica of the model: a deep copy whose tensors are meta (no value is copied), materialised under
``FakeTensorMode`` (no memory), on the ``fake`` process-group backend (no GPUs, no communication).
The fake group is the process's default group for the duration and destroyed afterwards; a
process that already has one is refused rather than changed. Python's and torch's RNG are left as
they were.
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.checkpoint import checkpoint

from torchscope.trace.inputs import Example
from torchscope.trace.module_names import named_by
from torchscope.trace.stacks import Figures, alike_stack, measured, treated_alike
from torchscope.trace.step_state import first_state
from torchscope.training import Training

if TYPE_CHECKING:
    from torch.distributed.device_mesh import DeviceMesh

    from torchscope.trace.records import GroupRecord
    from torchscope.trace.trackers import PhasePeaks

PHASES = ("forward", "backward", "optimizer")  # in the order a step runs them (see run_step)


@contextmanager
def fake_world(world_size: int, strategy: str) -> Iterator[DeviceMesh]:
    """Make the fake process group of ``world_size`` ranks (this process rank 0), and its 1-D mesh."""
    from torch.distributed.device_mesh import init_device_mesh  # noqa: PLC0415  # heavy, and only here
    from torch.testing._internal.distributed.fake_pg import FakeStore  # noqa: PLC0415

    if dist.is_available() and dist.is_initialized():
        raise ValueError(
            f"parallel={strategy}(...) runs on a fake process group of its own; this process already has one"
        )
    python_rng = random.getstate()  # the fake store's and the mesh's set-up draw from it
    with torch.random.fork_rng(devices=[]):
        dist.init_process_group("fake", rank=0, world_size=world_size, store=FakeStore())
        try:
            yield init_device_mesh("cpu", (world_size,))
        finally:
            dist.destroy_process_group()
            random.setstate(python_rng)


def meta_copy(model: nn.Module, dtype: torch.dtype, keep: tuple[str, int] | None = None) -> nn.Module:
    """Return a deep copy whose parameters (in ``dtype``) and buffers are meta tensors: no value is copied.

    ``keep=(path, n)``: the ``ModuleList`` at ``path`` keeps only its first ``n`` members.
    """
    memo: dict[int, object] = {}
    for p in model.parameters():
        kind = dtype if p.is_floating_point() else p.dtype
        memo[id(p)] = nn.Parameter(
            torch.empty_like(p, device="meta", dtype=kind), requires_grad=p.requires_grad
        )
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    if keep is not None:
        stack = model.get_submodule(keep[0])
        if not isinstance(stack, nn.ModuleList):
            raise TypeError(f"meta_copy(keep=...): {keep[0]!r} is a {type(stack).__name__}, not a ModuleList")
        memo[id(stack)] = nn.ModuleList([copy.deepcopy(m, memo) for m in list(stack)[: keep[1]]])
    return copy.deepcopy(model, memo)


def on_replicas(  # noqa: PLR0913  # the model, its step, the forward's groups and how to run it
    model: nn.Module,
    spec: Training,
    groups: Sequence[GroupRecord],
    *,
    extend: bool,
    treated: Sequence[str],
    run: Callable[[nn.Module], Figures],
) -> tuple[Figures, str, tuple[int, ...]]:
    """Run ``run`` on meta replicas of ``model``, checkpointed as the spec says.

    With ``extend``, a stack of alike blocks that the strategy treats alike (``treated``: the
    module paths it wraps or splits) is measured on three short replicas and extended (see
    :mod:`~torchscope.trace.stacks`); otherwise, or where that does not hold, on a whole one.
    Returns the figures, the stack's path and the lengths measured (``""`` and ``()``: the whole).
    """
    recomputed = checkpointed_paths(model, spec)
    stack = alike_stack(model, groups) if extend else None
    if stack is not None and not (treated_alike(stack, treated) and treated_alike(stack, recomputed)):
        stack = None
    param_dtype = spec.param_dtype(main_dtype(model))

    def measure(keep: int | None) -> Figures:
        short = None if stack is None or keep is None else (stack.path, keep)
        replica = meta_copy(model, param_dtype, short)
        checkpoint_modules(replica, recomputed)
        return run(replica)

    figures, lengths = measured(stack, measure)
    return figures, stack.path if stack is not None and lengths else "", lengths


def checkpointed_paths(model: nn.Module, spec: Training) -> list[str]:
    """Return the paths of the modules the spec checkpoints (its names were checked by the step's trace)."""
    return [path for path, _ in named_by(model.named_modules(), spec.activation_checkpointing)]


def checkpoint_modules(replica: nn.Module, paths: Sequence[str]) -> None:
    """Wrap the forwards of the modules at ``paths`` that the replica holds in non-reentrant checkpointing."""
    held = dict(replica.named_modules())
    for path in paths:
        if path in held:
            module = held[path]
            module.forward = functools.partial(checkpoint, module.forward, use_reentrant=False)


def main_dtype(model: nn.Module) -> torch.dtype:
    """Return the dtype of the model's first floating-point parameter (float32 without one)."""
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)


def build_optimizer(spec: Training, params: Sequence[torch.Tensor]) -> torch.optim.Optimizer | None:
    """Return the spec's optimizer over ``params``, its state made as after the first step."""
    if spec.optimizer == "none" or not params:
        return None
    kinds = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "adafactor": torch.optim.Adafactor,
    }
    options = {"lr": 0.01, "momentum": 0.9} if spec.optimizer == "sgd" else {}
    optimizer: torch.optim.Optimizer = kinds[spec.optimizer](params, foreach=False, **options)
    for p in params:
        optimizer.state[p].update(first_state(spec.optimizer, p))
    return optimizer


def run_step(  # noqa: PLR0913  # what runs, on what, and the two contexts it may run under
    model: nn.Module,
    spec: Training,
    optimizer: torch.optim.Optimizer | None,
    call: Example,
    *,
    autocast: AbstractContextManager[object] | None = None,
    tracker: PhasePeaks | None = None,
) -> None:
    """Run one forward (under ``autocast`` if given), the backward from the spec's loss, the step.

    A ``tracker`` is told each phase as it starts.
    """
    with autocast or nullcontext():
        out = model(*call.args, **call.kwargs)
        loss = loss_of(out, spec)
    if tracker is not None:
        tracker.phase = "backward"
    loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch
    if optimizer is not None:
        if tracker is not None:
            tracker.phase = "optimizer"
        optimizer.step()


def rank_state(
    params: Sequence[torch.Tensor], optimizer: torch.optim.Optimizer | None
) -> tuple[int, int, int]:
    """Return one rank's parameter, gradient and optimizer-state bytes (its local shards)."""
    grads = [p.grad for p in params if p.grad is not None]
    state = (
        []
        if optimizer is None
        else [
            v
            for entry in optimizer.state.values()
            for v in entry.values()
            if isinstance(v, torch.Tensor) and v.dim() > 0
        ]
    )
    return local_bytes(params), local_bytes(grads), local_bytes(state)


def local_bytes(tensors: Sequence[torch.Tensor]) -> int:
    """Return the bytes of this rank's part of each tensor (a DTensor's local shard, else the whole)."""
    total = 0
    for t in tensors:
        local = t.to_local() if hasattr(t, "to_local") else t
        # rank 0's shard is the first, full chunk: the padded size every rank allocates
        total += local.numel() * local.element_size()
    return total


def step_figures(
    tracker: PhasePeaks,
    params: Sequence[torch.Tensor],
    optimizer: torch.optim.Optimizer | None,
    by_module: dict[str, dict[str, int]],
) -> Figures:
    """Return what a step measured: the rank's state, each phase's peak, the per-module figures."""
    device = torch.device("cpu")
    phases = {name: snap for name in PHASES if (snap := tracker.phase_peak(name, device)) is not None}
    return Figures(state=rank_state(params, optimizer), phases=phases, by_module=by_module)


def itemsize(dtype: torch.dtype) -> int:
    """Return the bytes of one element of ``dtype``."""
    return torch.empty((), dtype=dtype).element_size()


def loss_of(out: object, spec: Training) -> torch.Tensor:
    """Return the scalar the backward starts from, by the single-device step's rule."""
    from torchscope.trace.step import loss_of as found  # noqa: PLC0415  # one rule for every pass

    return found(out, spec)[0]
