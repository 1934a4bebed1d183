"""The public entry points, with tensorwatch's call shapes: ``draw_model`` and ``model_stats``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from torchscope.graph import ModelGraph
from torchscope.stats import StatsTable
from torchscope.trace import record_leaf_calls
from torchscope.widget import ORIENTATIONS, ModelView

Shape = Sequence[int]


def trace(
    model: nn.Module, input_shape: Shape | Sequence[Shape], dtype: torch.dtype = torch.float32
) -> ModelGraph:
    """Run ``model`` once on meta tensors of ``input_shape`` and return its layer graph."""
    return ModelGraph(record_leaf_calls(model, _shapes(input_shape), dtype))


def draw_model(model: nn.Module, input_shape: Shape | Sequence[Shape], orientation: str = "TB") -> ModelView:
    """Trace ``model`` and return the interactive diagram widget.

    Parameters
    ----------
    model
        any ``torch.nn.Module``; it is not moved, copied or changed.
    input_shape
        one shape such as ``[1, 3, 224, 224]``, or a list of shapes for several inputs.
    orientation
        ``"TB"`` (top to bottom) or ``"LR"`` (left to right); can be changed live later.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    return ModelView(trace(model, input_shape).to_json(), orientation=orientation)


def model_stats(model: nn.Module, input_shape: Shape | Sequence[Shape]) -> StatsTable:
    """Trace ``model`` and return its per-layer statistics table."""
    return StatsTable.from_payload(trace(model, input_shape).to_json())


def save_html(model: nn.Module, input_shape: Shape | Sequence[Shape], path: str | Path) -> Path:
    """Trace ``model`` and write its diagram as one self-contained HTML page."""
    return draw_model(model, input_shape).save_html(path)


def _shapes(input_shape: object) -> list[list[int]]:
    """Normalise one shape or a list of shapes to a list of shapes, naming what is wrong."""
    if isinstance(input_shape, str | bytes):
        raise TypeError(f"input_shape must be a shape like [1, 3, 224, 224], not the string {input_shape!r}")
    if not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a shape like [1, 3, 224, 224] or a list of shapes, got {input_shape!r}"
        )
    shapes: list[object] = (
        [input_shape] if all(isinstance(d, int) for d in input_shape) else list(input_shape)
    )
    result: list[list[int]] = []
    for i, shape in enumerate(shapes):
        if (
            not isinstance(shape, Sequence)
            or isinstance(shape, str)
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
        ):
            raise TypeError(f"input_shape[{i}] must be a non-empty list of ints, got {shape!r}")
        result.append([int(d) for d in shape])
    return result
