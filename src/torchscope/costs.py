"""The one cost registry: each ATen op → multiply-accumulates, FLOPs and bytes moved.

Conventions (fixed; see DESIGN.md):

* **MACs** are the multiply-accumulates of matmul- and convolution-like ops: ``mm``, ``addmm``,
  ``bmm``, ``baddbmm``, convolutions of any dimension, groups and transposition, and attention
  (``QKᵀ`` and ``AV``). ``F.linear``, ``matmul`` and ``einsum`` reach ATen as these. This is the
  convention of torchvision's published ``_ops`` figures.
* **FLOPs** are ``2 × MACs`` plus the arithmetic of every other op, counted as one FLOP per
  element an op computes or reduces (element-wise ops, activations, reductions, norms, softmax);
  pooling and interpolation count one per element of each window they read; a bias added by
  ``addmm`` or a convolution counts one per output element.
* Ops that only move or reinterpret data (views, reshapes, copies, gathers, concatenation,
  creation) do no arithmetic and count 0 by design.
* Any other op is *uncounted*: it is reported by name, never silently zero.

Where ``torch.utils.flop_counter`` has a formula (matmuls, convolutions, fused attention kernels)
it is used, halved into MACs, so the two agree by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils import flop_counter

_aten = torch.ops.aten


@dataclass(frozen=True)
class OpCost:
    """The cost of one ATen call. ``counted`` is False for an op with no formula."""

    macs: int = 0
    flops: int = 0
    counted: bool = True


ZERO = OpCost()
UNCOUNTED = OpCost(counted=False)

Formula = Callable[[tuple[Any, ...], dict[str, Any], Any], OpCost]


def cost_of(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Cost of one ATen call ``func(*args, **kwargs) -> out``."""
    packet = getattr(func, "overloadpacket", func)
    formula = _FORMULAS.get(packet)
    if formula is not None:
        return formula(args, kwargs, out)
    name = _base_name(packet)
    if name in _FREE:
        return ZERO
    if name in _ELEMENTWISE:
        return OpCost(flops=_numel(out))
    if name in _REDUCTIONS:
        return OpCost(flops=_numel(args[0]))
    return UNCOUNTED


def op_label(func: Any) -> str:
    """Return the name an uncounted op is listed by, e.g. ``aten.foo``."""
    packet = getattr(func, "overloadpacket", func)
    return str(packet)


# -- matmul-like: torch's own formulas, halved into MACs -------------------------------------


def _from_torch(packet: Any, bias_arg: int | None = None) -> Formula:
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
        # the bias that addmm / convolution add: one FLOP per output element
        has_bias = bias_arg is not None and len(args) > bias_arg and isinstance(args[bias_arg], torch.Tensor)
        extra = _numel(out) if has_bias else 0
        return OpCost(macs=macs, flops=2 * macs + extra)

    return formula


def _shapes(value: Any) -> Any:
    """Map each tensor in ``value``, however nested in lists and tuples, to its shape (as torch does)."""
    if isinstance(value, torch.Tensor):
        return value.shape
    if type(value) is tuple:
        return tuple(_shapes(v) for v in value)
    if type(value) is list:
        return [_shapes(v) for v in value]
    return value


def _attention(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
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


def _native_multi_head_attention(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
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


# -- windows: pooling and interpolation ------------------------------------------------------


def _pool(dims: int) -> Formula:
    """Pooling reads each window element once: output elements × window size."""

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del kwargs
        output = out[0] if isinstance(out, tuple | list) else out
        kernel = [int(k) for k in args[1]] if isinstance(args[1], Sequence) else [int(args[1])]
        window = math.prod(kernel) if len(kernel) == dims else kernel[0] ** dims  # [3] means 3×3
        return OpCost(flops=_numel(output) * window)

    return formula


def _adaptive_pool(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Adaptive pooling's windows tile the input: every input element is read about once."""
    del kwargs, out
    return OpCost(flops=_numel(args[0]))


def _interpolate(taps: int) -> Formula:
    """Interpolation weighs ``taps`` input elements per output element (linear 2, bilinear 4...)."""

    def formula(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        del args, kwargs
        return OpCost(flops=_numel(out) * taps)

    return formula


def _per_output(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    del args, kwargs
    return OpCost(flops=_numel(out))


def _per_input(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    del kwargs, out
    return OpCost(flops=_numel(args[0]))


def _numel(value: object) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, tuple | list):
        return _numel(value[0]) if value else 0
    return 0


def _base_name(packet: Any) -> str:
    name = str(packet).removeprefix("aten.")
    return name[:-1] if name.endswith("_") and not name.endswith("__") else name


def _packets(*names: str) -> list[Any]:
    return [getattr(_aten, n) for n in names if hasattr(_aten, n)]


_FORMULAS: dict[Any, Formula] = {}
for _name, _bias in (("mm", None), ("bmm", None), ("addmm", 0), ("baddbmm", 0)):
    _FORMULAS[getattr(_aten, _name)] = _from_torch(getattr(_aten, _name), _bias)
for _packet in _packets("convolution", "_convolution", "cudnn_convolution", "convolution_overrideable"):
    _FORMULAS[_packet] = _from_torch(_packet, 2)
_FORMULAS[_aten._slow_conv2d_forward] = _from_torch(_aten._slow_conv2d_forward, 3)  # noqa: SLF001
for _packet in _packets(
    "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_flash_attention",
    "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_cudnn_attention",
    "_scaled_dot_product_fused_attention_overrideable",
    "_scaled_dot_product_attention_math",
    "_flash_attention_forward",
    "_efficient_attention_forward",
):
    _FORMULAS[_packet] = _attention
_FORMULAS[_aten._native_multi_head_attention] = _native_multi_head_attention  # noqa: SLF001
for _dims in (1, 2, 3):
    for _packet in _packets(f"max_pool{_dims}d", f"avg_pool{_dims}d", f"max_pool{_dims}d_with_indices"):
        _FORMULAS[_packet] = _pool(_dims)
for _packet in _packets(
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d",
    "_adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
):  # fmt: skip
    _FORMULAS[_packet] = _adaptive_pool
for _packet, _taps in (
    ("upsample_linear1d", 2), ("upsample_bilinear2d", 4), ("_upsample_bilinear2d_aa", 4),
    ("upsample_trilinear3d", 8), ("upsample_bicubic2d", 16), ("_upsample_bicubic2d_aa", 16),
    ("grid_sampler_2d", 4), ("grid_sampler_3d", 8),
):  # fmt: skip
    for _p in _packets(_packet):
        _FORMULAS[_p] = _interpolate(_taps)
# Norms and softmax: one FLOP per element they normalise, as every non-matmul op (see above).
for _packet in _packets(
    "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
    "_native_batch_norm_legit_functional", "native_layer_norm", "native_group_norm", "_fused_rms_norm",
    "_softmax", "_log_softmax", "_safe_softmax",
):  # fmt: skip
    _FORMULAS[_packet] = _per_input
_FORMULAS[_aten.native_dropout] = _per_output

# Ops that only move, copy, reinterpret or create data: no arithmetic.
_FREE = frozenset(
    """
    view _unsafe_view reshape _reshape_alias alias as_strided expand expand_as permute transpose t
    unsqueeze squeeze flatten unflatten select slice narrow split split_with_sizes unbind chunk
    diagonal unfold movedim view_as detach lift_fresh clone copy contiguous _to_copy to
    empty empty_like empty_strided new_empty new_empty_strided zeros zeros_like ones ones_like
    full full_like new_zeros new_ones new_full fill scalar_tensor arange linspace eye tensor
    cat stack index index_select gather embedding take index_put scatter masked_select
    constant_pad_nd pad reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d
    replication_pad2d replication_pad3d roll flip repeat tile repeat_interleave tril triu
    upsample_nearest1d upsample_nearest2d upsample_nearest3d _upsample_nearest_exact1d
    _upsample_nearest_exact2d _upsample_nearest_exact3d pixel_shuffle pixel_unshuffle
    channel_shuffle native_channel_shuffle im2col col2im
    _local_scalar_dense is_nonzero item sym_size sym_stride sym_numel sym_storage_offset
    _assert_async _assert_tensor_metadata _functional_assert_async set_ resize_ zero
    bernoulli rand rand_like randn randn_like randint randint_like normal uniform randperm
    unsafe_split unsafe_chunk split_copy view_copy _unsafe_index _unsafe_index_put
    masked_scatter slice_scatter select_scatter diagonal_scatter as_strided_scatter index_copy
    index_fill masked_fill_ triu_indices tril_indices nonzero argwhere _pin_memory _nested_tensor_from_mask
    """.split()
)

# One FLOP per output element: element-wise arithmetic, comparisons, activations.
_ELEMENTWISE = frozenset(
    """
    add sub rsub mul div true_divide floor_divide remainder fmod neg abs sign pow square sqrt rsqrt
    exp exp2 expm1 log log2 log10 log1p reciprocal sin cos tan asin acos atan atan2 sinh cosh tanh
    erf erfc erfinv sigmoid logit relu relu6 leaky_relu elu selu celu gelu silu mish softplus
    softshrink hardshrink hardtanh hardsigmoid hardswish threshold clamp clamp_min clamp_max clip
    minimum maximum fmin fmax where masked_fill lerp addcmul addcdiv round floor ceil trunc frac
    eq ne lt le gt ge logical_and logical_or logical_xor logical_not bitwise_and bitwise_or
    bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift isnan isinf isfinite nan_to_num
    glu prelu _prelu_kernel rrelu_with_noise log_sigmoid_forward xlogy copysign hypot heaviside
    """.split()
)

# One FLOP per input element: reductions.
_REDUCTIONS = frozenset(
    """
    sum mean amax amin max min argmax argmin prod var std var_mean std_mean norm linalg_vector_norm
    logsumexp any all cumsum cumprod count_nonzero nansum nanmean aminmax _log_softmax_backward_data
    median mode topk sort
    """.split()
)
