"""The public entry points, with tensorwatch's call shapes: ``draw_model`` and ``model_stats``."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from torchscope import roofline
from torchscope.errors import TraceError, TraceWarning
from torchscope.graph import ModelGraph
from torchscope.parallel import FSDP, TP, Parallel, trace_parallel
from torchscope.program import trace_program
from torchscope.progress import progress
from torchscope.roofline import Hardware
from torchscope.sources import LoadedModel, load_model
from torchscope.stats import StatsTable
from torchscope.trace import build_example, trace_model
from torchscope.training import Training, as_training
from torchscope.widget import ORIENTATIONS, ModelView

# What `trace`, `draw_model` and `model_stats` take as the model
Model = nn.Module | torch.export.ExportedProgram | LoadedModel | str | Path


def trace(  # noqa: PLR0913  # the documented API: a model, its inputs and nine switches
    model: Model,
    input_shape: object = None,
    *,
    inputs: object = None,
    kwargs: Mapping[str, object] | None = None,
    device: str | torch.device = "auto",
    dtype: torch.dtype | None = None,
    train: bool = False,
    measure: bool = False,
    training: bool | Training = False,
    hardware: str | Hardware | None = None,
    parallel: Parallel | None = None,
    values: bool = False,
) -> ModelGraph:
    """Run ``model`` once and return its layer graph.

    Parameters
    ----------
    model
        any ``torch.nn.Module``. It is not moved, copied or changed: parameters, buffers,
        ``training`` flags, hooks, gradients and the RNG state are as before, even if it fails.
        Or a ``torch.export.ExportedProgram`` (its FX graph is read: it carries its own inputs),
        or a spec that :func:`torchscope.load_model` builds (``"hf:path/to/config.json"``,
        ``"timm:resnet50"``, ``"torchvision:vit_b_16"``, ``"model.pt2"``), whose inputs are
        inferred when none are given.
    input_shape
        one shape (``[1, 3, 224, 224]``) or a list of shapes, one per positional input.
    inputs
        real example inputs instead of shapes: a tensor, a tuple of positional inputs, or any
        nested mixture of tensors, lists and dicts. Not changed by the trace.
    kwargs
        keyword arguments for ``forward`` (``{"input_ids": ..., "attention_mask": ...}``).
    device
        ``"auto"`` (meta, falling back to the model's own device when an op needs real data),
        ``"meta"``, ``"cpu"`` or ``"cuda"``.
    dtype
        dtype of the inputs made from ``input_shape``: float32 by default, ``torch.long`` for
        token ids.
    train
        trace train-mode behaviour (dropout, BatchNorm batch statistics, auxiliary heads) instead
        of eval mode.
    measure
        also time every node on real tensors (the model's own device, or ``device``): median of
        several runs after a warm-up, in the ``latency_ms`` statistic. Off by default; a meta
        trace reports no latency rather than a made-up one.
    training
        ``True`` or a :class:`torchscope.Training` traces one training step on meta instead of a
        forward: the forward in train mode, the backward and the optimizer's step. Adds saved
        activations, gradient and optimizer bytes and backward costs per node, and the step's
        memory timeline and peak (``graph.step``).
    hardware
        an accelerator from :data:`torchscope.roofline.HARDWARE` (``"h100-sxm"``, ``"a100-sxm"``,
        ...) or a :class:`torchscope.Hardware`: adds a roofline estimate per node (``time_ms``, a
        lower bound: the larger of FLOPs at peak and bytes at full bandwidth), its ``bound``
        (compute or memory) and, with ``training``, ``backward_time_ms`` and the step's time.
    parallel
        a :class:`torchscope.FSDP` or :class:`torchscope.TP` runs the training step (``training``,
        or its defaults) once more under FSDP2 or tensor parallelism on PyTorch's fake process
        group: per-rank parameter, gradient, optimizer and peak bytes, and each wrapped block's
        all-gather and reduce-scatter bytes (FSDP) or each module's collective bytes (TP).
    values
        run the pass on real tensors (the model's own device, or ``device``) and summarise what
        flows through it: per output tensor of every node and per parameter the mean, std, min,
        max, abs-max, zero fraction, NaN and Inf counts and a histogram (see
        :meth:`ModelGraph.values`, :meth:`ModelGraph.first_nonfinite`). Inputs made from
        ``input_shape`` are ``torch.randn`` with seed 0; only summaries are kept, never tensors.

    Raises
    ------
    TraceError
        when the forward pass raises; names the module and op, and ``.graph`` holds the partial graph.
    """
    for name, flag in (("train", train), ("measure", measure), ("values", values)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    given = input_shape is not None or inputs is not None or kwargs is not None
    if isinstance(model, str | Path):
        model = load_model(model)
    if isinstance(model, LoadedModel):
        loaded, model = model, model.model
        if not given and not isinstance(model, torch.export.ExportedProgram):
            args, keywords = loaded.example()
            inputs, kwargs = (args or None), keywords
    if isinstance(model, torch.export.ExportedProgram):
        return _read_program(model, given=given, values=values)
    if not isinstance(model, nn.Module):
        raise TypeError(
            "model must be a torch.nn.Module, a torch.export.ExportedProgram or a model spec such as "
            f"'timm:resnet50' or 'hf:path/to/config.json', got {type(model).__name__}"
        )
    step = _step_for(as_training(training), parallel, measure=measure)
    hw = roofline.resolve(hardware)
    example = build_example(input_shape, inputs, kwargs, dtype)
    traced = trace_model(model, example, device, train=train, measure=measure, training=step, values=values)
    traced.hardware = hw
    if parallel is not None and step is not None:
        traced.parallel = trace_parallel(model, example, step, parallel, traced.groups)
    return ModelGraph(traced)


def _read_program(program: torch.export.ExportedProgram, *, given: bool, values: bool) -> ModelGraph:
    """Read an exported program's graph: it carries its example inputs, and is never run."""
    if given:
        raise ValueError("an exported program carries its own example inputs; pass no input_shape or inputs")
    if values:
        raise ValueError("values=True runs an nn.Module's forward; an ExportedProgram is read, not run")
    return ModelGraph(trace_program(program))


def _step_for(step: Training | None, parallel: object, *, measure: bool) -> Training | None:
    """Return the training step to trace: the one asked for, or the defaults when ``parallel`` needs one."""
    if step is not None and measure:
        raise ValueError("measure=True times a forward on real tensors; it cannot be combined with training=")
    if parallel is not None and not isinstance(parallel, FSDP | TP):
        raise TypeError(
            "parallel must be a torchscope.FSDP(world_size=...) or torchscope.TP(world_size=...), "
            f"got {parallel!r}"
        )
    return Training() if parallel is not None and step is None else step


# the keywords `draw_model`, `model_stats` and `save_html` pass on to `trace`, read from its signature
TRACE_KEYWORDS = tuple(
    name
    for name, parameter in inspect.signature(trace).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY
)


def _check_trace_args(caller: str, trace_args: Mapping[str, object]) -> None:
    """Name the caller in the error, not ``trace()``, when a keyword is misspelt."""
    unknown = [k for k in trace_args if k not in TRACE_KEYWORDS]
    if unknown:
        raise TypeError(
            f"{caller}() got an unexpected keyword argument {unknown[0]!r}; "
            f"it passes only {', '.join(TRACE_KEYWORDS)} on to trace()"
        )


def draw_model(
    model: Model,
    input_shape: object = None,
    orientation: str = "TB",
    **trace_args: object,
) -> ModelView:
    """Trace ``model`` and return the interactive diagram widget.

    ``orientation`` is ``"TB"`` (top to bottom) or ``"LR"`` (left to right) and can be changed live
    later; every other keyword goes to :func:`trace`. When the forward pass fails, a
    :class:`TraceWarning` says where and the widget draws the graph up to the failing layer.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    _check_trace_args("draw_model", trace_args)
    try:
        with progress(f"tracing {_name(model)}"):
            graph = trace(model, input_shape, **trace_args)  # type: ignore[arg-type]  # checked by trace
    except TraceError as error:
        # a failure still shows something: the graph up to the failing layer, which is marked
        warnings.warn(f"{error} (drawing the graph traced up to that point)", TraceWarning, stacklevel=2)
        graph = error.graph
    return graph.view(orientation)


def model_stats(
    model: Model, input_shape: object = None, *, depth: int | None = None, **trace_args: object
) -> StatsTable:
    """Trace ``model`` and return its per-layer statistics table.

    One row per layer call and functional op; with ``depth``, module groups that deep are one row
    each (``depth=1``: the top-level modules). Every other keyword goes to :func:`trace`.
    """
    # checked before the trace, which may take a while, rather than after it
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)):
        raise TypeError(f"depth must be an int (1 = the top-level modules) or None, got {depth!r}")
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be at least 1 (the top-level modules), got {depth}")
    _check_trace_args("model_stats", trace_args)
    with progress(f"tracing {_name(model)}"):
        graph = trace(model, input_shape, **trace_args)  # type: ignore[arg-type]  # checked by trace
    return StatsTable.from_payload(graph.to_json(), depth=depth)


def save_html(
    model: Model, input_shape: object, path: str | Path, orientation: str = "TB", **trace_args: object
) -> Path:
    """Trace ``model`` and write its diagram as one self-contained HTML page."""
    return draw_model(model, input_shape, orientation, **trace_args).save_html(path)


def _name(model: Model) -> str:
    if isinstance(model, str | Path):
        return str(model)
    return model.name if isinstance(model, LoadedModel) else type(model).__name__
