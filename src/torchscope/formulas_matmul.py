"""Cost formulas of the matmul-like ATen ops: their multiply-accumulates (MACs), and FLOPs.

Where ``torch.utils.flop_counter`` has a formula (mm, addmm, bmm, convolutions, fused attention)
it is used, halved into MACs, so the two agree by construction. The rest are written out here,
each with its arithmetic in the docstring: grouped matmuls (mixture-of-experts), vector products,
oneDNN's LSTM layer, and triangular solves. A bias an op adds counts one FLOP per output element.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils import flop_counter

from torchscope.opcost import Formula, OpCost, argument, numel


def from_torch(packet: Any, bias_arg: int | None = None) -> Formula:  # an OpOverloadPacket
    """Torch's own formula for ``packet``, halved into MACs, plus the bias at ``bias_arg``."""
    registered = flop_counter.flop_registry[packet]
    # torch registers each formula behind a wrapper that turns every argument into its shape
    # through a pytree walk (~100 µs a call, more than the formula); the formula itself, when torch
    # exposes it, gets the shapes from a direct map instead: the same numbers, a few µs
    raw = getattr(registered, "__wrapped__", None)

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        if raw is not None:
            shapes = {k: _shapes(v) for k, v in kwargs.items()}
            flops = raw(*(_shapes(a) for a in args), out_shape=_shapes(out), **shapes)
        else:
            flops = registered(*args, **kwargs, out_val=out)
        macs = int(flops) // 2
        has_bias = bias_arg is not None and len(args) > bias_arg and isinstance(args[bias_arg], torch.Tensor)
        extra = numel(out) if has_bias else 0
        return OpCost(macs=macs, flops=2 * macs + extra)

    return formula


def _shapes(value: Any) -> Any:  # whatever nesting torch's formula expects
    """Map each tensor in ``value``, however nested in lists and tuples, to its shape (as torch does)."""
    if isinstance(value, torch.Tensor):
        return value.shape
    if type(value) is tuple:
        return tuple(_shapes(v) for v in value)
    if type(value) is list:
        return [_shapes(v) for v in value]
    return value


def grouped_mm(bias_position: int) -> Formula:
    """``_grouped_mm`` and ``_scaled_grouped_mm``: Σ_g m_g·k·n, which the routing cannot change.

    With ``a`` [M, K] and ``b`` [G, K, N] (the experts' weights), each row of ``a`` meets one
    expert's [K, N]: M·K·N MACs however the rows are split between experts, so the count is exact
    on meta. The same holds for the other layouts: [G, M, K]·[G, K, N] is G·M·K·N, [G, M, K]·[K, N_total]
    is M·K·N_total, i.e. output elements × K; only [M, K_total]·[K_total, N] → [G, M, N] splits K,
    giving M·N·K_total.
    """

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        a, b = args[0], args[1]
        depth = a.shape[-1]
        macs = out.numel() * depth
        if a.dim() == 2 and b.dim() == 2:  # K is the grouped dimension: each output row sees its share
            macs = (out.numel() // out.shape[0]) * depth if out.shape[0] else 0
        bias = argument(args, kwargs, bias_position, "bias")
        return OpCost(macs=macs, flops=2 * macs + (numel(out) if isinstance(bias, torch.Tensor) else 0))

    return formula


def grouped_mm_fallback(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Count transformers' ``grouped_mm_fallback`` custom op: [S, K]·[E, K, N] → [S, N], S·K·N MACs."""
    del kwargs
    macs = out.numel() * args[0].shape[-1]
    return OpCost(macs=macs, flops=2 * macs)


def mv(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Matrix [M, N] times vector [N]: M·N MACs."""
    del kwargs, out
    macs = args[0].numel()
    return OpCost(macs=macs, flops=2 * macs)


def addmv(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``bias + mat @ vec``: M·N MACs and M bias additions."""
    del kwargs
    macs = args[1].numel()
    return OpCost(macs=macs, flops=2 * macs + numel(out))


def dot(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``dot`` and ``vdot`` of two N-vectors: N MACs."""
    del kwargs, out
    macs = args[0].numel()
    return OpCost(macs=macs, flops=2 * macs)


def addbmm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``bias + Σ_b A_b @ B_b`` with A [B, M, K], B [B, K, N]: B·M·K·N MACs, M·N bias additions."""
    del kwargs
    batch, rows, depth = args[1].shape
    macs = batch * rows * depth * args[2].shape[-1]
    return OpCost(macs=macs, flops=2 * macs + numel(out))


def addmm_activation(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``act(bias + A @ B)`` fused: addmm's M·K·N MACs, then a bias and an activation per output."""
    del kwargs
    macs = args[1].shape[0] * args[1].shape[1] * args[2].shape[1]
    return OpCost(macs=macs, flops=2 * macs + 2 * numel(out))


# FLOPs of one LSTM time step besides its two matmuls, per hidden unit and batch row, as the
# decomposed LSTM (meta, or oneDNN off) runs it: two bias adds over the 4 gates (8) and their sum
# (4); then 3 sigmoids, 2 tanh, 3 products and 1 sum over H (9)
_LSTM_STEP = 8 + 4 + 9
_LSTM_STEP_NO_BIAS = 4 + 9


def mkldnn_rnn_layer(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Count oneDNN's LSTM layer (one layer, one direction): the MACs and FLOPs of the decomposed LSTM.

    Per time step and batch row, with I inputs, H hidden units and G = 4H gates: G·I MACs for the
    input projection, G·H for the recurrent one, and the element-wise work of ``_LSTM_STEP``·H
    FLOPs. So a CPU trace (oneDNN) counts what a meta trace (decomposed) counts.
    """
    del out
    x, w_input, w_hidden, hidden = args[0], args[1], args[2], args[5]
    has_biases = bool(argument(args, kwargs, 12, "has_biases"))
    inputs = w_input.shape[1]
    steps = x.numel() // inputs  # time steps × batch rows (or the packed rows)
    macs = steps * w_input.shape[0] * (inputs + w_hidden.shape[1])
    per_unit = _LSTM_STEP if has_biases else _LSTM_STEP_NO_BIAS
    return OpCost(macs=macs, flops=2 * macs + steps * hidden.shape[-1] * per_unit)


def solve_triangular(left_position: int | None, unit_position: int) -> Formula:
    """Triangular solve ``A X = B`` (A [*, n, n], k right-hand sides): k·n(n−1)/2 MACs per matrix.

    Substitution computes each unknown ``x_i`` from the i−1 already known (i−1 MACs) and one
    division by the diagonal (none when ``unitriangular``): per right-hand side Σ(i−1) = n(n−1)/2
    MACs and n divisions.
    """

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        solution = out[0] if isinstance(out, tuple | list) else out
        size = solution.shape[-2] if _left(args, kwargs, left_position) else solution.shape[-1]
        columns = solution.numel() // size if size else 0  # right-hand sides, over the batch
        macs = columns * size * (size - 1) // 2
        unit = bool(argument(args, kwargs, unit_position, "unitriangular"))
        return OpCost(macs=macs, flops=2 * macs + (0 if unit else columns * size))

    return formula


def _left(args: tuple[Any, ...], kwargs: dict[str, Any], position: int | None) -> bool:
    if position is None:
        return True
    left = argument(args, kwargs, position, "left")
    return True if left is None else bool(left)


def attention(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Scaled-dot-product attention, any kernel: ``QKᵀ`` (L·S·E) and ``AV`` (L·S·Ev) per head.

    FLOPs add the scaling and softmax of the ``L×S`` score matrix: one per score element each.
    """
    del kwargs, out
    q, k, v = args[0], args[1], args[2]
    *batch, length, embed = q.shape
    source = k.shape[-2]
    value = v.shape[-1]
    heads = math.prod(batch)
    macs = heads * length * source * (embed + value)
    return OpCost(macs=macs, flops=2 * macs + 2 * heads * length * source)


def native_multi_head_attention(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """nn.MultiheadAttention's fused fast path: input projections, attention, output projection."""
    del kwargs, out
    query, key, value, embed_dim, _heads, qkv_weight, _qkv_bias, proj_weight = args[:8]
    del value, qkv_weight
    *batch, length, _ = query.shape
    source = key.shape[-2]
    n = math.prod(batch)
    projections = n * length * embed_dim * embed_dim + 2 * n * source * embed_dim * embed_dim
    attention = 2 * n * length * source * embed_dim
    output = n * length * embed_dim * proj_weight.shape[0]
    macs = projections + attention + output
    biases = n * (length + 2 * source + length) * embed_dim
    return OpCost(macs=macs, flops=2 * macs + biases + 2 * n * length * source)
