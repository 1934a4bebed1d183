"""Beyond one GPU: a training step under FSDP2 or tensor parallelism, for one rank.

``trace(model, shape, training=..., parallel=torchscope.FSDP(world_size=64))`` (or
``parallel=torchscope.TP(world_size=8)``) traces the step as usual and then runs it once more
through PyTorch's own machinery on the fake process group, on a meta replica: the model itself is
never touched (:mod:`torchscope.trace.fake_world`). What each reports is in
:mod:`torchscope.trace.fsdp` and :mod:`torchscope.trace.tensor_parallel`; this module holds the
specs, the one record both fill, and how the payload shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from torchscope import collector, schema

if TYPE_CHECKING:
    from torch import nn
    from torch.distributed.tensor.parallel import ParallelStyle

    from torchscope.trace.inputs import Example
    from torchscope.trace.records import GroupRecord
    from torchscope.training import Training


def _check_world(kind: str, world_size: object, extend_repeats: object) -> None:
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"{kind}(world_size={world_size!r}): a positive number of ranks")
    if not isinstance(extend_repeats, bool):
        raise TypeError(f"{kind}(extend_repeats={extend_repeats!r}): True or False")


@dataclass(frozen=True)
class FSDP:
    """Fully sharded data parallel (FSDP2) over ``world_size`` ranks; see :mod:`torchscope.trace.fsdp`."""

    world_size: int
    blocks: Sequence[str] = field(default_factory=tuple)
    reshard_after_forward: bool = True
    # a deep stack of alike blocks measured on 3, 4 and 5 of them and extended, exactly where
    # every figure is linear (see torchscope.trace.stacks); False runs the whole stack
    extend_repeats: bool = True

    def __post_init__(self) -> None:
        _check_world("FSDP", self.world_size, self.extend_repeats)
        if isinstance(self.blocks, str):
            raise TypeError(f"FSDP(blocks={self.blocks!r}) takes a list of module paths or class names")


@dataclass(frozen=True)
class TP:
    """Tensor parallelism over ``world_size`` ranks; see :mod:`torchscope.trace.tensor_parallel`.

    ``plan`` maps module paths (``*`` for one level) to ``"colwise"``, ``"rowwise"`` or a
    ``ParallelStyle``; without one, a transformers model's own ``config.base_model_tp_plan``.
    """

    world_size: int
    plan: Mapping[str, str | ParallelStyle] | None = None
    extend_repeats: bool = True  # as FSDP's

    def __post_init__(self) -> None:
        _check_world("TP", self.world_size, self.extend_repeats)
        if self.plan is not None and not isinstance(self.plan, Mapping):
            raise TypeError(f"TP(plan={self.plan!r}) takes a dict of module paths to styles")


Parallel = FSDP | TP


@dataclass(frozen=True)
class RankRecord:
    """One rank's share of a parallel step."""

    strategy: str  # "FSDP" or "TP"
    world_size: int
    param_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    peak_bytes: int
    peak_split: dict[str, int]
    blocks: list[str]  # FSDP: the wrapped blocks; TP: the modules the plan split
    all_gather_bytes: dict[str, int] = field(default_factory=dict)  # FSDP: block path → bytes gathered
    reduce_scatter_bytes: dict[str, int] = field(default_factory=dict)  # ... and reduce-scattered
    collective_bytes: dict[str, int] = field(default_factory=dict)  # TP: module path → bytes sent
    replicated: list[str] = field(default_factory=list)  # TP: the model plan's entries left whole
    # the stack measured on short replicas and extended, and their lengths ("" and (): all of it ran)
    stack: str = ""
    measured_lengths: tuple[int, ...] = ()


@collector.paused()  # the step runs on fake tensors only
def trace_parallel(
    model: nn.Module, example: Example, spec: Training, parallel: Parallel, groups: Sequence[GroupRecord]
) -> RankRecord:
    """Run the step on the fake process group under ``parallel``; one rank's figures.

    ``groups`` are the forward trace's, which tell repeated blocks (see :mod:`torchscope.trace.stacks`).
    """
    if isinstance(parallel, FSDP):
        from torchscope.trace.fsdp import trace_fsdp  # noqa: PLC0415  # distributed imports are heavy

        return trace_fsdp(model, example, spec, parallel, groups)
    from torchscope.trace.tensor_parallel import trace_tp  # noqa: PLC0415

    return trace_tp(model, example, spec, parallel, groups)


FSDP_COLUMNS: list[schema.Column] = [
    schema.Column(key="all_gather_bytes", label="All-gather (per rank)", unit="B", kind="bytes"),
    schema.Column(key="reduce_scatter_bytes", label="Reduce-scatter (per rank)", unit="B", kind="bytes"),
]
TP_COLUMNS: list[schema.Column] = [
    schema.Column(key="tp_collective_bytes", label="TP collectives (per rank)", unit="B", kind="bytes"),
]
TOTALS_ONLY: list[schema.Column] = [
    schema.Column(key="world_size", label="Ranks", unit="", kind="count"),
    schema.Column(key="rank_param_bytes", label="Params per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_grad_bytes", label="Gradients per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_optimizer_bytes", label="Optimizer state per rank", unit="B", kind="bytes"),
    schema.Column(key="rank_peak_bytes", label="Peak per rank", unit="B", kind="bytes"),
]


def columns(record: RankRecord | None) -> list[schema.Column]:
    """Return the columns a payload declares for a parallel step (none without one)."""
    if record is None:
        return []
    return [*(FSDP_COLUMNS if record.strategy == "FSDP" else TP_COLUMNS), *TOTALS_ONLY]


def node_stats(record: RankRecord | None, module_path: str, first_call: bool) -> dict[str, schema.StatValue]:  # noqa: FBT001
    """Return a leaf module's collectives under TP (on its first call; nothing otherwise)."""
    if record is None or not first_call or module_path not in record.collective_bytes:
        return {}
    return {"tp_collective_bytes": record.collective_bytes[module_path]}


def group_stats(record: RankRecord | None, module_path: str, first_call: bool) -> dict[str, schema.StatValue]:  # noqa: FBT001
    """Return a group's collectives: an FSDP block's own, or everything TP sends inside the module."""
    if record is None or not first_call:
        return {}
    if record.strategy == "TP":
        inside = [b for p, b in record.collective_bytes.items() if p.startswith(f"{module_path}.")]
        return {"tp_collective_bytes": sum(inside)} if inside else {}
    if module_path not in record.all_gather_bytes:
        return {}
    return {
        "all_gather_bytes": record.all_gather_bytes[module_path],
        "reduce_scatter_bytes": record.reduce_scatter_bytes[module_path],
    }


def totals(record: RankRecord | None) -> dict[str, schema.StatValue]:
    """Return one rank's totals, and the collectives of the whole step."""
    if record is None:
        return {}
    found: dict[str, schema.StatValue] = {
        "world_size": record.world_size,
        "rank_param_bytes": record.param_bytes,
        "rank_grad_bytes": record.grad_bytes,
        "rank_optimizer_bytes": record.optimizer_bytes,
        "rank_peak_bytes": record.peak_bytes,
    }
    if record.strategy == "TP":
        found["tp_collective_bytes"] = sum(record.collective_bytes.values())
    else:
        found["all_gather_bytes"] = sum(record.all_gather_bytes.values())
        found["reduce_scatter_bytes"] = sum(record.reduce_scatter_bytes.values())
    return found
