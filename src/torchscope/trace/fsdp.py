"""One rank of a training step under FSDP2 (``parallel=torchscope.FSDP(...)``).

The replica's blocks and then its root are wrapped with ``fully_shard`` over the fake world's mesh
(see :mod:`~torchscope.trace.fake_world`), and the step runs under
``torch.distributed._tools.fsdp2_mem_tracker.FSDPMemTracker``. Reported, for one rank:

* the sharded parameter, gradient and optimizer bytes, and the per-rank peak with its split;
* per wrapped block, the bytes its all-gather produces (the block's parameters unsharded, padded
  to a multiple of the world size, in the parameter dtype) and its reduce-scatter consumes (the
  same in the reduce dtype).

The blocks are the members of every ``nn.ModuleList`` unless named (module paths or class names).
A deep stack of alike blocks is measured on three short replicas and extended exactly
(:mod:`~torchscope.trace.stacks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

from torchscope.trace.fake_world import (
    build_optimizer,
    fake_world,
    itemsize,
    main_dtype,
    on_replicas,
    run_step,
    step_figures,
)
from torchscope.trace.inputs import Example
from torchscope.trace.module_names import named_by, naming_nothing
from torchscope.trace.stacks import Figures
from torchscope.training import Training

if TYPE_CHECKING:
    from torch.distributed.fsdp import MixedPrecisionPolicy

    from torchscope.parallel import FSDP, RankRecord
    from torchscope.trace.records import GroupRecord


def trace_fsdp(
    model: nn.Module, example: Example, spec: Training, fsdp: FSDP, groups: Sequence[GroupRecord]
) -> RankRecord:
    """Run one FSDP2 step of a meta copy of ``model`` on the fake process group; one rank's figures.

    ``groups`` are the forward trace's: with them, a stack of alike blocks is measured on three
    short replicas and extended (see :mod:`~torchscope.trace.stacks`).
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy  # noqa: PLC0415  # heavy, and only here

    from torchscope.parallel import RankRecord  # noqa: PLC0415  # the record is the spec's module's

    blocks = _blocks(model, fsdp.blocks)
    dtype = main_dtype(model)
    param_dtype, compute_dtype = spec.param_dtype(dtype), spec.compute_dtype(dtype)
    policy = (
        MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32)
        if param_dtype != compute_dtype
        else MixedPrecisionPolicy()
    )

    figures, stack, lengths = on_replicas(
        model,
        spec,
        groups,
        extend=fsdp.extend_repeats,
        treated=blocks,
        run=lambda replica: _measure(replica, example, spec, fsdp=fsdp, blocks=blocks, policy=policy),
    )
    peak, split = figures.peak()
    sharded, grads, state = figures.state
    return RankRecord(
        strategy="FSDP",
        world_size=fsdp.world_size,
        param_bytes=sharded,
        grad_bytes=grads,
        optimizer_bytes=state,
        peak_bytes=peak,
        peak_split=split,
        blocks=blocks,
        all_gather_bytes=figures.by_module["all_gather"],
        reduce_scatter_bytes=figures.by_module["reduce_scatter"],
        stack=stack,
        measured_lengths=lengths,
    )


def _measure(  # noqa: PLR0913  # the replica, its inputs, the two specs, what to wrap and how
    replica: nn.Module,
    example: Example,
    spec: Training,
    *,
    fsdp: FSDP,
    blocks: list[str],
    policy: MixedPrecisionPolicy,
) -> Figures:
    """Wrap the replica's blocks (those it holds) and root with ``fully_shard``; run the step."""
    from torch._subclasses.fake_tensor import FakeTensorMode  # noqa: PLC0415  # heavy, and only here
    from torch.distributed.fsdp import fully_shard  # noqa: PLC0415

    held = {path for path, _ in replica.named_modules()}
    wrapped = [b for b in blocks if b in held]
    with fake_world(fsdp.world_size, "FSDP") as mesh:
        # sharded while meta (PyTorch's own order: fully_shard, then to_empty), where cutting a
        # parameter into world_size chunks is free; under FakeTensorMode each chunk is a fake tensor
        for path in wrapped:
            fully_shard(
                replica.get_submodule(path),
                mesh=mesh,
                mp_policy=policy,
                reshard_after_forward=fsdp.reshard_after_forward,
            )
        fully_shard(replica, mesh=mesh, mp_policy=policy)
        with FakeTensorMode(allow_non_fake_inputs=True):
            return _step(replica, example, spec, wrapped)


def _step(replica: nn.Module, example: Example, spec: Training, blocks: list[str]) -> Figures:
    """Materialise the sharded replica as fake tensors, run the step under the tracker; its figures."""
    from torchscope.trace.trackers import RunningFSDPMemTracker, untracked_propagation  # noqa: PLC0415

    replica.to_empty(device="cpu")
    params = [p for p in replica.parameters() if p.requires_grad]
    optimizer = build_optimizer(spec, params)
    call = example.to(torch.device("cpu"))
    tracker = RunningFSDPMemTracker(replica, optimizer)
    tracker.track_inputs(call.args)
    with tracker, untracked_propagation(tracker):
        run_step(replica, spec, optimizer, call, tracker=tracker)
    gathered, scattered = _collectives(replica, blocks)
    return step_figures(tracker, params, optimizer, {"all_gather": gathered, "reduce_scatter": scattered})


def _blocks(model: nn.Module, names: Sequence[str]) -> list[str]:
    """Return the paths of the modules to wrap: those named, or every member of every ModuleList."""
    below = [(path, module) for path, module in model.named_modules() if path]  # the root is always wrapped
    if not names:
        lists = [(path, m) for path, m in below if isinstance(m, nn.ModuleList)]
        return [f"{path}.{name}" for path, m in lists for name, _ in m.named_children()]
    missing = naming_nothing(below, names)
    if missing:
        raise ValueError(
            f"FSDP(blocks=...) names {missing[0]!r}, which is neither a module path nor a class of this model"
        )
    return [path for path, _ in named_by(below, names)]


def _collectives(model: nn.Module, blocks: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Per wrapped block: the bytes its all-gather produces and its reduce-scatter consumes."""
    gathered: dict[str, int] = {}
    scattered: dict[str, int] = {}
    for path in [*blocks, ""]:
        state = model.get_submodule(path)._get_fsdp_state()  # type: ignore[operator]  # noqa: SLF001  # fully_shard's own
        group = state._fsdp_param_group  # noqa: SLF001  # where FSDP2 keeps the block's parameters
        if group is None:
            continue
        world = group.mesh_info.shard_mesh_size
        gathered[path] = sum(
            f.padded_sharded_param_size.numel() * world * itemsize(f.param_dtype or f.orig_dtype)
            for f in group.fsdp_params
        )
        scattered[path] = sum(
            f.padded_sharded_param_size.numel() * world * itemsize(f.reduce_dtype or f.orig_dtype)
            for f in group.fsdp_params
        )
    return gathered, scattered
