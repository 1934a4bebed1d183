"""One rank of a training step under tensor parallelism (``parallel=torchscope.TP(...)``).

The replica (see :mod:`~torchscope.trace.fake_world`) is split by ``parallelize_module`` over the
fake world's 1-D mesh, by a plan of module paths (``*`` standing for one level, as
``parallelize_module`` reads them) to styles: ``"colwise"`` (``ColwiseParallel``: the weight's
output features split across ranks) or ``"rowwise"`` (``RowwiseParallel``: its input features),
or any ``ParallelStyle``. Without a plan, a transformers model's own is used: its config's
``base_model_tp_plan``; its entries of other styles (``colwise_rep``, ``gather``…) stay replicated,
and the record says which.

The step runs under ``torch.distributed._tools.mem_tracker.MemTracker`` (the per-rank peak and
its split) and a ``CommDebugMode`` that also adds up the bytes handed to each collective, charged
to the module that issued it: a row-wise layer's all-reduce of its output in the forward, a
column-wise layer's all-reduce of its input's gradient in the backward. A deep stack of alike
blocks is measured on three short replicas and extended exactly (:mod:`~torchscope.trace.stacks`).
"""

from __future__ import annotations

import fnmatch
import warnings
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.distributed.tensor.debug import CommDebugMode
from torch.distributed.tensor.debug._comm_mode import c10d_collective_ops
from torch.distributed.tensor.parallel import ColwiseParallel, ParallelStyle, RowwiseParallel
from torch.utils._pytree import tree_leaves

from torchscope.trace.fake_world import (
    build_optimizer,
    fake_world,
    main_dtype,
    on_replicas,
    run_step,
    step_figures,
)
from torchscope.trace.inputs import Example
from torchscope.trace.stacks import Figures
from torchscope.training import Training

if TYPE_CHECKING:
    from collections.abc import Sequence

    from torchscope.parallel import TP, RankRecord
    from torchscope.trace.records import GroupRecord

STYLES: dict[str, type[ParallelStyle]] = {"colwise": ColwiseParallel, "rowwise": RowwiseParallel}


def trace_tp(
    model: nn.Module, example: Example, spec: Training, tp: TP, groups: Sequence[GroupRecord]
) -> RankRecord:
    """Run one tensor-parallel step of a meta copy of ``model`` on the fake process group.

    ``groups`` are the forward trace's: with them, a stack of alike blocks is measured on three
    short replicas and extended (see :mod:`~torchscope.trace.stacks`).
    """
    from torchscope.parallel import RankRecord  # noqa: PLC0415  # the record is the spec's module's

    plan, replicated = resolve_plan(model, tp.plan)
    split_modules = matched_modules(model, plan)
    figures, stack, lengths = on_replicas(
        model,
        spec,
        groups,
        extend=tp.extend_repeats,
        treated=split_modules,
        run=lambda replica: _split_step(replica, example, spec, tp, plan),
    )
    peak, split = figures.peak()
    return RankRecord(
        strategy="TP",
        world_size=tp.world_size,
        param_bytes=figures.state[0],
        grad_bytes=figures.state[1],
        optimizer_bytes=figures.state[2],
        peak_bytes=peak,
        peak_split=split,
        blocks=split_modules,
        collective_bytes=figures.by_module["collectives"],
        replicated=replicated,
        stack=stack,
        measured_lengths=lengths,
    )


def _split_step(
    replica: nn.Module, example: Example, spec: Training, tp: TP, plan: Mapping[str, str | ParallelStyle]
) -> Figures:
    """Split the replica by the plan (its keys matched against the replica), then run its step."""
    from torch._subclasses.fake_tensor import FakeTensorMode  # noqa: PLC0415  # heavy, and only here
    from torch.distributed.tensor.parallel import parallelize_module  # noqa: PLC0415

    param_dtype = main_dtype(replica)
    compute_dtype = spec.compute_dtype(param_dtype)
    # mixed precision without FSDP's policy is autocast's: ops compute on casts of the fp32 masters
    mixed = torch.autocast("cpu", dtype=compute_dtype, enabled=param_dtype != compute_dtype)
    with fake_world(tp.world_size, "TP") as mesh:
        # split while meta, where distributing a weight is free; then materialised as fake tensors
        parallelize_module(replica, mesh, {path: _style(style) for path, style in plan.items()})
        with FakeTensorMode(allow_non_fake_inputs=True):
            replica.to_empty(device="cpu")
            try:
                return _measure(replica, example, spec, mixed)
            except (RuntimeError, ValueError) as error:
                raise ValueError(
                    f"TP(world_size={tp.world_size}): the step failed once split by the plan "
                    f"({len(matched_modules(replica, plan))} modules split): {type(error).__name__}: {error}"
                ) from error


def _measure(replica: nn.Module, example: Example, spec: Training, mixed: torch.autocast) -> Figures:
    """Run the split replica's step under the memory tracker and the collective counter."""
    from torchscope.trace.trackers import RunningMemTracker, untracked_propagation  # noqa: PLC0415

    params = [p for p in replica.parameters() if p.requires_grad]
    optimizer = build_optimizer(spec, params)
    call = example.to(torch.device("cpu"))
    tracker = RunningMemTracker()
    tracker.track_external(replica, *([optimizer] if optimizer is not None else []))
    talk = _CollectiveBytes(root=type(replica).__name__)
    with tracker, untracked_propagation(tracker), talk, warnings.catch_warnings():
        # the trackers' module hooks cannot reach into a transformers ModelOutput: nothing lost
        warnings.filterwarnings("ignore", "For backward hooks to be called", UserWarning)
        run_step(replica, spec, optimizer, call, autocast=mixed, tracker=tracker)
    return step_figures(tracker, params, optimizer, {"collectives": dict(talk.bytes)})


def resolve_plan(
    model: nn.Module, plan: Mapping[str, str | ParallelStyle] | None
) -> tuple[dict[str, str | ParallelStyle], list[str]]:
    """Return the plan to apply (module path → style) and the model-plan entries left replicated."""
    if plan is not None:
        for path, style in plan.items():
            if not isinstance(style, ParallelStyle) and style not in STYLES:
                raise ValueError(
                    f"TP(plan={{{path!r}: {style!r}}}): a style is 'colwise', 'rowwise' or a ParallelStyle"
                )
        return dict(plan), []
    own = _model_plan(model)
    if own is None:
        raise ValueError(
            "TP(plan=...) is needed: this model has no tensor-parallel plan of its own "
            "(transformers models carry one in config.base_model_tp_plan)"
        )
    kept = {path: style for path, style in own.items() if style in STYLES}
    replicated = [f"{path} ({style})" for path, style in own.items() if style not in STYLES]
    return dict(kept), replicated


def matched_modules(model: nn.Module, plan: Mapping[str, object]) -> list[str]:
    """Return the module paths the plan splits, in model order; a key that matches none is an error."""
    paths = [path for path, _ in model.named_modules() if path]
    found: list[str] = []
    for key in plan:
        hits = [p for p in paths if _matches(p, key)]
        if not hits:
            raise ValueError(f"TP(plan=...) names {key!r}, which matches no module of this model")
        found.extend(hits)
    order = {p: i for i, p in enumerate(paths)}
    return sorted(set(found), key=order.__getitem__)


def _matches(path: str, key: str) -> bool:
    atoms, pattern = path.split("."), key.split(".")
    if len(atoms) != len(pattern):
        return False
    return all(fnmatch.fnmatch(atom, part) for atom, part in zip(atoms, pattern, strict=True))


def _model_plan(model: nn.Module) -> dict[str, str] | None:
    """Return a transformers model's own plan, its keys from the model's root (None for other models)."""
    config = getattr(model, "config", None)
    plan = getattr(config, "base_model_tp_plan", None)
    if not plan:
        return None
    prefix = getattr(model, "base_model_prefix", "")
    under = prefix if prefix and isinstance(getattr(model, prefix, None), nn.Module) else ""
    return {f"{under}.{key}" if under else key: str(style) for key, style in plan.items()}


def _style(style: str | ParallelStyle) -> ParallelStyle:
    return style if isinstance(style, ParallelStyle) else STYLES[style]()


class _CollectiveBytes(CommDebugMode):  # type: ignore[no-untyped-call]  # torch leaves it untyped
    """PyTorch's CommDebugMode, adding up the bytes of every collective by the module that issued it."""

    def __init__(self, root: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._root = root
        self.bytes: defaultdict[str, int] = defaultdict(int)

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:  # noqa: ANN401  # torch's signature
        packet = func._overloadpacket  # noqa: SLF001  # how CommDebugMode tells a collective
        if args and (packet in self.comm_registry or packet in c10d_collective_ops):
            tensors = [t for t in tree_leaves(args[0]) if isinstance(t, torch.Tensor)]
            sent = sum(t.numel() * t.element_size() for t in tensors)
            self.bytes[self._path(self.advanced_module_tracker.name)] += sent
        return super().__torch_dispatch__(func, types, args, kwargs)  # type: ignore[no-untyped-call]

    def _path(self, name: str) -> str:
        """CommDebugMode names a module ``Root.path.to.it`` (``Global`` outside the model): its path."""
        if name in (self._root, "Global"):
            return ""
        return name.removeprefix(f"{self._root}.")
