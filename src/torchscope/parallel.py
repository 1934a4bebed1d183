"""Beyond one GPU: a training step under FSDP2 on PyTorch's fake process group, per rank.

``trace(model, shape, training=..., parallel=torchscope.FSDP(world_size=64))`` traces the step
as usual and then runs it once more through PyTorch's own machinery: a meta copy of the model (the
model itself is never touched) is materialised under ``FakeTensorMode`` (no memory), its blocks and
then the root are wrapped with ``fully_shard`` over a ``DeviceMesh`` of the ``fake`` backend (no
GPUs, no communication), and the step runs under
``torch.distributed._tools.fsdp2_mem_tracker.FSDPMemTracker``. Reported, for one rank:

* the sharded parameter, gradient and optimizer bytes, and the per-rank peak with its split;
* per wrapped block, the bytes its all-gather produces (the block's parameters unsharded, padded
  to a multiple of the world size, in the parameter dtype) and its reduce-scatter consumes (the
  same in the reduce dtype).

The blocks are the members of every ``nn.ModuleList`` unless named (module paths or class
names). The fake process group is the process's default group for the duration and destroyed
afterwards; a process that already has one is refused rather than changed.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn

from torchscope import schema
from torchscope.trace.inputs import Example
from torchscope.trace.step_state import first_state
from torchscope.training import Training


@dataclass(frozen=True)
class FSDP:
    """Fully sharded data parallel (FSDP2) over ``world_size`` ranks; see the module docstring."""

    world_size: int
    blocks: Sequence[str] = field(default_factory=tuple)
    reshard_after_forward: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.world_size, bool) or not isinstance(self.world_size, int) or self.world_size < 1:
            raise ValueError(f"FSDP(world_size={self.world_size!r}): a positive number of ranks")
        if isinstance(self.blocks, str):
            raise TypeError(f"FSDP(blocks={self.blocks!r}) takes a list of module paths or class names")


@dataclass(frozen=True)
class RankRecord:
    """One rank's share of an FSDP step."""

    world_size: int
    param_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    peak_bytes: int
    peak_split: dict[str, int]
    all_gather_bytes: dict[str, int]  # wrapped block path → bytes its all-gather produces
    reduce_scatter_bytes: dict[str, int]  # ... and its reduce-scatter consumes
    blocks: list[str]


def trace_fsdp(model: nn.Module, example: Example, spec: Training, fsdp: FSDP) -> RankRecord:
    """Run one FSDP2 step of a meta copy of ``model`` on the fake process group; one rank's figures."""
    from torch._subclasses.fake_tensor import FakeTensorMode  # noqa: PLC0415  # heavy, and only here
    from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker  # noqa: PLC0415
    from torch.distributed.device_mesh import init_device_mesh  # noqa: PLC0415
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard  # noqa: PLC0415
    from torch.testing._internal.distributed.fake_pg import FakeStore  # noqa: PLC0415

    if dist.is_available() and dist.is_initialized():
        raise ValueError(
            "parallel=FSDP(...) runs on a fake process group of its own; this process already has one"
        )
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    param_dtype, compute_dtype = spec.param_dtype(dtype), spec.compute_dtype(dtype)
    replica = _meta_copy(model, param_dtype)
    blocks = _blocks(replica, fsdp.blocks)
    mixed = param_dtype != compute_dtype
    policy = (
        MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32)
        if mixed
        else MixedPrecisionPolicy()
    )
    python_rng = random.getstate()  # the fake store's and the mesh's set-up draw from it
    forked = torch.random.fork_rng(devices=[])
    forked.__enter__()
    dist.init_process_group("fake", rank=0, world_size=fsdp.world_size, store=FakeStore())
    try:
        mesh = init_device_mesh("cpu", (fsdp.world_size,))
        with FakeTensorMode(allow_non_fake_inputs=True):
            replica.to_empty(device="cpu")
            for path in blocks:
                shard = replica.get_submodule(path)
                fully_shard(
                    shard, mesh=mesh, mp_policy=policy, reshard_after_forward=fsdp.reshard_after_forward
                )
            fully_shard(replica, mesh=mesh, mp_policy=policy)
            params = [p for p in replica.parameters() if p.requires_grad]
            optimizer = _optimizer(spec, params)
            call = example.to(torch.device("cpu"))
            tracker = FSDPMemTracker(replica, optimizer)
            tracker.track_inputs(call.args)
            with tracker:
                out = replica(*call.args, **call.kwargs)
                _loss(out, spec).backward()  # type: ignore[no-untyped-call]  # untyped in torch
                if optimizer is not None:
                    optimizer.step()
            snapshot = tracker.get_tracker_snapshot("peak")[torch.device("cpu")]
            gathered, scattered = _collectives(replica, blocks)
            sharded = _local_bytes(params)
            grads = sum(_local_bytes([p.grad]) for p in params if p.grad is not None)
            state = _state_bytes(optimizer)
    finally:
        dist.destroy_process_group()
        forked.__exit__(None, None, None)
        random.setstate(python_rng)
    split = {str(getattr(k, "value", k)): int(v) for k, v in snapshot.items() if str(k) != "Total"}
    return RankRecord(
        world_size=fsdp.world_size,
        param_bytes=sharded,
        grad_bytes=grads,
        optimizer_bytes=state,
        peak_bytes=int(snapshot["Total"]),
        peak_split=split,
        all_gather_bytes=gathered,
        reduce_scatter_bytes=scattered,
        blocks=blocks,
    )


COLUMNS: list[schema.Column] = [
    schema.Column(key="all_gather_bytes", label="All-gather (per rank)", unit="B", kind="bytes"),
    schema.Column(key="reduce_scatter_bytes", label="Reduce-scatter (per rank)", unit="B", kind="bytes"),
]
TOTALS_ONLY: list[schema.Column] = [
    schema.Column(key="world_size", label="Ranks", unit="", kind="count"),
    schema.Column(key="rank_param_bytes", label="Params per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_grad_bytes", label="Gradients per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_optimizer_bytes", label="Optimizer state per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_peak_bytes", label="Peak per rank", unit="B", kind="bytes"),
]


def columns(record: RankRecord | None) -> list[schema.Column]:
    """Return the columns a payload declares for an FSDP step (none without one)."""
    return [*COLUMNS, *TOTALS_ONLY] if record is not None else []


def group_stats(record: RankRecord | None, module_path: str, first_call: bool) -> dict[str, schema.StatValue]:  # noqa: FBT001
    """Return a wrapped block's collectives (on its first call; nothing for other groups)."""
    if record is None or not first_call or module_path not in record.all_gather_bytes:
        return {}
    return {
        "all_gather_bytes": record.all_gather_bytes[module_path],
        "reduce_scatter_bytes": record.reduce_scatter_bytes[module_path],
    }


def totals(record: RankRecord | None) -> dict[str, schema.StatValue]:
    """Return one rank's totals, and the collectives of all blocks (the root's own included)."""
    if record is None:
        return {}
    return {
        "world_size": record.world_size,
        "rank_param_bytes": record.param_bytes,
        "rank_grad_bytes": record.grad_bytes,
        "rank_optimizer_bytes": record.optimizer_bytes,
        "rank_peak_bytes": record.peak_bytes,
        "all_gather_bytes": sum(record.all_gather_bytes.values()),
        "reduce_scatter_bytes": sum(record.reduce_scatter_bytes.values()),
    }


def _meta_copy(model: nn.Module, dtype: torch.dtype) -> nn.Module:
    """Return a deep copy whose parameters (in ``dtype``) and buffers are meta tensors: no value is copied."""
    memo: dict[int, object] = {}
    for p in model.parameters():
        kind = dtype if p.is_floating_point() else p.dtype
        memo[id(p)] = nn.Parameter(
            torch.empty_like(p, device="meta", dtype=kind), requires_grad=p.requires_grad
        )
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    return copy.deepcopy(model, memo)


def _blocks(model: nn.Module, names: Sequence[str]) -> list[str]:
    """Return the paths of the modules to wrap: those named, or every member of every ModuleList."""
    found: list[str] = []
    for path, module in model.named_modules():
        if names:
            if path and (path in names or type(module).__name__ in names):
                found.append(path)
        elif isinstance(module, nn.ModuleList):
            found.extend(f"{path}.{name}" if path else name for name, _ in module.named_children())
    missing = [
        n for n in names if not any(p == n or type(model.get_submodule(p)).__name__ == n for p in found)
    ]
    if missing:
        raise ValueError(
            f"FSDP(blocks=...) names {missing[0]!r}, which is neither a module path nor a class of this model"
        )
    return found


def _optimizer(spec: Training, params: Sequence[torch.Tensor]) -> torch.optim.Optimizer | None:
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
            f.padded_sharded_param_size.numel() * world * _itemsize(f.param_dtype or f.orig_dtype)
            for f in group.fsdp_params
        )
        scattered[path] = sum(
            f.padded_sharded_param_size.numel() * world * _itemsize(f.reduce_dtype or f.orig_dtype)
            for f in group.fsdp_params
        )
    return gathered, scattered


def _local_bytes(tensors: Sequence[torch.Tensor | None]) -> int:
    total = 0
    for t in tensors:
        if t is None:
            continue
        local = t.to_local() if hasattr(t, "to_local") else t
        # rank 0's shard is the first, full chunk: the padded size every rank allocates
        total += local.numel() * local.element_size()
    return total


def _state_bytes(optimizer: torch.optim.Optimizer | None) -> int:
    if optimizer is None:
        return 0
    values = [
        v
        for state in optimizer.state.values()
        for v in state.values()
        if isinstance(v, torch.Tensor) and v.dim() > 0
    ]
    return _local_bytes(values)


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _loss(out: object, spec: Training) -> torch.Tensor:
    from torchscope.trace.step import loss_of  # noqa: PLC0415  # one rule for both passes

    return loss_of(out, spec)[0]
