"""The one cost registry: each ATen op → multiply-accumulates, FLOPs and bytes moved.

Conventions (fixed; see DESIGN.md):

* **MACs** are the multiply-accumulates of matmul- and convolution-like ops: ``mm``, ``addmm``,
  ``bmm``, ``baddbmm``, ``mv``, ``dot``, convolutions of any dimension, groups and transposition,
  attention (``QKᵀ`` and ``AV``), grouped matmuls (mixture-of-experts), recurrent layers and
  triangular solves. ``F.linear``, ``matmul`` and ``einsum`` reach ATen as these. This is the
  convention of torchvision's published ``_ops`` figures.
* **FLOPs** are ``2 × MACs`` plus the arithmetic of every other op, counted as one FLOP per
  element an op computes or reduces (element-wise ops, activations, reductions, norms, softmax);
  pooling and interpolation count one per element of each window they read; a bias added by
  ``addmm`` or a convolution counts one per output element.
* Ops that only move or reinterpret data (views, reshapes, copies, gathers, concatenation,
  creation) do no arithmetic and count 0 by design.
* Any other op is *uncounted*: it is reported by name, never silently zero.

The formulas live in :mod:`torchscope.formulas_matmul` (MACs) and :mod:`torchscope.formulas_flops`
(FLOPs only); this module maps each ATen op to one of them, or to one of three name sets. Where
``torch.utils.flop_counter`` has a formula it is used, halved into MACs, so the two agree by
construction.
"""

from __future__ import annotations

from typing import Any

import torch

from torchscope import formulas_backward as bw
from torchscope import formulas_flops as fl
from torchscope import formulas_matmul as mm
from torchscope.opcost import UNCOUNTED, ZERO, Formula, OpCost, numel

__all__ = ["UNCOUNTED", "ZERO", "OpCost", "cost_of", "op_label"]

_aten = torch.ops.aten


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
        return OpCost(flops=numel(out))
    if name in _REDUCTIONS:
        return OpCost(flops=numel(args[0]))
    found = _BY_NAME.get(str(packet))
    return found(args, kwargs, out) if found is not None else UNCOUNTED


def op_label(func: Any) -> str:  # an ATen op
    """Return the name an uncounted op is listed by, e.g. ``aten.foo``."""
    packet = getattr(func, "overloadpacket", func)
    return str(packet)


def _base_name(packet: Any) -> str:
    name = str(packet).removeprefix("aten.")
    return name[:-1] if name.endswith("_") and not name.endswith("__") else name


def _packets(*names: str) -> list[Any]:
    return [getattr(_aten, n) for n in names if hasattr(_aten, n)]


_FORMULAS: dict[Any, Formula] = {}
for _name, _bias in (("mm", None), ("bmm", None), ("addmm", 0), ("baddbmm", 0), ("_scaled_mm", 4)):
    _FORMULAS[getattr(_aten, _name)] = mm.from_torch(getattr(_aten, _name), _bias)
for _packet in _packets("convolution", "_convolution", "cudnn_convolution", "convolution_overrideable"):
    _FORMULAS[_packet] = mm.from_torch(_packet, 2)
_FORMULAS[_aten._slow_conv2d_forward] = mm.from_torch(_aten._slow_conv2d_forward, 3)  # noqa: SLF001
# scaled-dot-product attention kernels, and where their mask and causal flag are
for _name, _mask, _causal in (
    ("_scaled_dot_product_flash_attention_for_cpu", None, 4),  # the mask comes as a keyword
    ("_scaled_dot_product_flash_attention", None, 4),
    ("_scaled_dot_product_efficient_attention", 3, 6),
    ("_scaled_dot_product_cudnn_attention", 3, 6),
    ("_scaled_dot_product_fused_attention_overrideable", 3, 5),
    ("_scaled_dot_product_attention_math", 3, 5),
    ("_flash_attention_forward", None, None),
    ("_efficient_attention_forward", None, None),
):
    for _packet in _packets(_name):
        _FORMULAS[_packet] = mm.attention(_mask, _causal)
_FORMULAS[_aten._native_multi_head_attention] = mm.native_multi_head_attention  # noqa: SLF001
_FORMULAS[_aten._grouped_mm] = mm.grouped_mm(bias_position=3)  # noqa: SLF001
_FORMULAS[_aten._scaled_grouped_mm] = mm.grouped_mm(bias_position=5)  # noqa: SLF001
_FORMULAS[_aten.mv] = mm.mv
_FORMULAS[_aten.addmv] = mm.addmv
_FORMULAS[_aten.dot] = _FORMULAS[_aten.vdot] = mm.dot
_FORMULAS[_aten.addbmm] = mm.addbmm
_FORMULAS[_aten._addmm_activation] = mm.addmm_activation  # noqa: SLF001
_FORMULAS[_aten.mkldnn_rnn_layer] = mm.mkldnn_rnn_layer
_FORMULAS[_aten.linalg_solve_triangular] = mm.solve_triangular(left_position=3, unit_position=4)
_FORMULAS[_aten.triangular_solve] = mm.solve_triangular(left_position=None, unit_position=4)
for _dims in (1, 2, 3):
    for _packet in _packets(f"max_pool{_dims}d", f"avg_pool{_dims}d", f"max_pool{_dims}d_with_indices"):
        _FORMULAS[_packet] = fl.pool(_dims)
for _packet, _taps in (
    ("upsample_linear1d", 2), ("upsample_bilinear2d", 4), ("_upsample_bilinear2d_aa", 4),
    ("upsample_trilinear3d", 8), ("upsample_bicubic2d", 16), ("_upsample_bicubic2d_aa", 16),
    ("grid_sampler_2d", 4), ("grid_sampler_3d", 8),
):  # fmt: skip
    for _p in _packets(_packet):
        _FORMULAS[_p] = fl.interpolate(_taps)
# Norms, softmax, adaptive pooling (its windows tile the input) and histograms: one FLOP per
# input element
for _packet in _packets(
    "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
    "_native_batch_norm_legit_functional", "native_layer_norm", "native_group_norm", "_fused_rms_norm",
    "_softmax", "_log_softmax", "_safe_softmax", "histc",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d",
    "_adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
):  # fmt: skip
    _FORMULAS[_packet] = fl.per_input
_FORMULAS[_aten.native_dropout] = fl.per_output
_FORMULAS[_aten.scatter_add] = _FORMULAS[_aten.scatter_reduce] = fl.per_argument(2, "index")
_FORMULAS[_aten.index_add] = _FORMULAS[_aten.index_reduce] = fl.per_argument(3, "source")
_FORMULAS[_aten.scatter] = fl.scatter
_FORMULAS[_aten.index_put] = _FORMULAS[_aten._index_put_impl] = fl.index_put  # noqa: SLF001
_FORMULAS[_aten._weight_norm_interface] = fl.weight_norm  # noqa: SLF001
_FORMULAS[_aten._fft_c2c] = fl.fft(share=1.0)  # noqa: SLF001
_FORMULAS[_aten._fft_r2c] = fl.fft(share=0.5)  # noqa: SLF001
_FORMULAS[_aten._fft_c2r] = fl.fft(share=0.5, sizes_from_output=True)  # noqa: SLF001
_FORMULAS[_aten.bucketize] = fl.binary_search(values_position=0, boundaries_position=1)
_FORMULAS[_aten.searchsorted] = fl.binary_search(values_position=1, boundaries_position=0)

_FORMULAS.update(bw.formulas())  # the backward's ops (a training step's)

# an in-place variant (``index_add_``, ``addmm_``) is its own packet, with the same arguments
for _packet, _formula in list(_FORMULAS.items()):
    for _in_place in _packets(f"{_base_name(_packet)}_"):
        _FORMULAS.setdefault(_in_place, _formula)

# Ops of other libraries, by name: their namespaces exist only once the library is imported
_BY_NAME: dict[str, Formula] = {
    "transformers.grouped_mm_fallback": mm.grouped_mm_fallback,
    **bw.BY_NAME,
}

# Ops that only move, copy, reinterpret or create data: no arithmetic.
_FREE = frozenset(
    """
    view _unsafe_view reshape _reshape_alias alias as_strided expand expand_as permute transpose t
    unsqueeze squeeze flatten unflatten select slice narrow split split_with_sizes unbind chunk
    diagonal unfold movedim view_as detach lift_fresh clone copy contiguous _to_copy to
    empty empty_like empty_strided new_empty new_empty_strided zeros zeros_like ones ones_like
    full full_like new_zeros new_ones new_full fill scalar_tensor arange linspace eye tensor
    cat stack index index_select gather embedding take masked_select view_as_real view_as_complex
    complex
    constant_pad_nd pad reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d
    replication_pad2d replication_pad3d roll flip repeat tile repeat_interleave tril triu
    upsample_nearest1d upsample_nearest2d upsample_nearest3d _upsample_nearest_exact1d
    _upsample_nearest_exact2d _upsample_nearest_exact3d pixel_shuffle pixel_unshuffle
    channel_shuffle native_channel_shuffle im2col col2im
    _local_scalar_dense is_nonzero item sym_size sym_stride sym_numel sym_storage_offset
    _assert_async _assert_tensor_metadata _functional_assert_async set resize zero
    bernoulli rand rand_like randn randn_like randint randint_like normal uniform randperm
    unsafe_split unsafe_chunk split_copy view_copy _unsafe_index _unsafe_index_put
    masked_scatter slice_scatter select_scatter diagonal_scatter as_strided_scatter index_copy
    index_fill triu_indices tril_indices nonzero argwhere _pin_memory _nested_tensor_from_mask
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
    glu prelu _prelu_kernel rrelu_with_noise log_sigmoid_forward xlogy copysign hypot heaviside polar
    """.split()
)

# One FLOP per input element: reductions.
_REDUCTIONS = frozenset(
    """
    sum mean amax amin max min argmax argmin prod var std var_mean std_mean norm linalg_vector_norm
    logsumexp any all cumsum cumprod count_nonzero nansum nanmean aminmax _log_softmax_backward_data
    median mode topk sort _is_all_true _is_any_true
    """.split()
)
