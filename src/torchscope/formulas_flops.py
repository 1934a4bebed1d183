"""Cost formulas of the ATen ops that do arithmetic but no matmul: FLOPs only.

The convention (see :mod:`torchscope.costs`): one FLOP per element an op computes or reduces.
Each family below says what it counts as its elements; FFTs, which no per-element count fits,
take the textbook radix-2 figure and say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchscope.opcost import Formula, OpCost, argument, numel


def pool(dims: int) -> Formula:
    """Pooling reads each window element once: output elements × window size."""

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del kwargs
        output = out[0] if isinstance(out, tuple | list) else out
        kernel = [int(k) for k in args[1]] if isinstance(args[1], Sequence) else [int(args[1])]
        window = math.prod(kernel) if len(kernel) == dims else kernel[0] ** dims  # [3] means 3×3
        return OpCost(flops=numel(output) * window)

    return formula


def interpolate(taps: int) -> Formula:
    """Interpolation weighs ``taps`` input elements per output element (linear 2, bilinear 4...)."""

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del args, kwargs
        return OpCost(flops=numel(out) * taps)

    return formula


def per_output(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """One FLOP per output element."""
    del args, kwargs
    return OpCost(flops=numel(out))


def per_input(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """One FLOP per element of the first input.

    Norms and softmax normalise each element, adaptive pooling's windows tile the input, and
    ``histc`` looks up one bin per element.
    """
    del kwargs, out
    return OpCost(flops=numel(args[0]))


def per_argument(position: int, name: str) -> Formula:
    """One FLOP per element of one argument: what a scatter or index reduction folds in.

    ``scatter_add``/``scatter_reduce`` fold one ``src`` element per ``index`` element (``index``
    may be smaller than ``src``); ``index_add``/``index_reduce`` fold in every ``source`` element.
    """

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del out
        return OpCost(flops=numel(argument(args, kwargs, position, name)))

    return formula


def scatter(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``scatter`` writes (free) unless it reduces (``reduce="add"|"multiply"``): one per index."""
    del out
    if argument(args, kwargs, 4, "reduce") is None:
        return OpCost()
    return OpCost(flops=numel(args[2]))


def index_put(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``x[indices] = values`` writes (free); with ``accumulate`` it adds one FLOP per element written.

    The elements written are those of ``x[indices]``: the broadcast index shape times the
    dimensions no index covers. A boolean mask selects as many as it holds true (all of them, an
    upper bound, on meta).
    """
    del out
    if not argument(args, kwargs, 3, "accumulate"):
        return OpCost()
    target, indices = args[0], args[1]
    index_shapes: list[tuple[int, ...]] = []
    rest, dim = 1, 0
    for index in indices:
        if index is None:
            rest *= target.shape[dim]
            dim += 1
        elif index.dtype == torch.bool:
            chosen = index.numel() if index.device.type == "meta" else int(index.count_nonzero())
            index_shapes.append((chosen,))
            dim += index.dim()
        else:
            index_shapes.append(tuple(index.shape))
            dim += 1
    written = math.prod(torch.broadcast_shapes(*index_shapes)) if index_shapes else 1  # type: ignore[no-untyped-call]
    return OpCost(flops=written * rest * math.prod(target.shape[dim:]))


def weight_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Weight normalisation, ``w = g · v / ‖v‖``: 2 FLOPs per element of ``v``, 1 per element of ``g``.

    The norm reduces every element of ``v``, ``g / ‖v‖`` divides once per element of ``g``, and
    the product scales every element of ``v``.
    """
    del kwargs, out
    v, g = args[0], args[1]
    return OpCost(flops=2 * v.numel() + g.numel())


def fft(share: float, *, sizes_from_output: bool = False) -> Formula:
    """FFT over the dims given: 5·n·log2(n) real FLOPs per complex transform of length n.

    This is the textbook radix-2 count. A transform over dims D of an N-element tensor costs
    5·N·Σ_{d∈D} log2(n_d) (each dim's pass is N/n_d transforms of length n_d). A real-input or
    real-output transform (``share`` 0.5) costs half: 2.5·N·Σ log2(n_d), N the real elements.
    A normalised transform (``norm="ortho"|"forward"|"backward"`` where it scales) adds one FLOP
    per output element.
    """

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        signal = out if sizes_from_output else args[0]
        dims = [int(d) % signal.dim() for d in args[1]]
        passes = sum(math.log2(signal.shape[d]) for d in dims if signal.shape[d] > 0)
        scaled = numel(out) if argument(args, kwargs, 2, "normalization") else 0
        return OpCost(flops=round(5 * share * signal.numel() * passes) + scaled)

    return formula


def binary_search(values_position: int, boundaries_position: int) -> Formula:
    """``bucketize``/``searchsorted``: ⌈log2(L+1)⌉ comparisons per value, L boundaries per row."""

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del kwargs, out
        values, boundaries = args[values_position], args[boundaries_position]
        count = values.numel() if isinstance(values, torch.Tensor) else 1
        length = boundaries.shape[-1] if boundaries.dim() else 1
        return OpCost(flops=count * math.ceil(math.log2(length + 1)))

    return formula
