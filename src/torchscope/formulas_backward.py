"""Cost formulas of the backward ATen ops a training step runs, by the forward's conventions.

* **MACs**: the gradients of convolutions (``convolution_backward``: the input and weight
  gradients it is asked for) and of fused attention kernels, from ``torch.utils.flop_counter``'s
  own formulas, halved; CPU flash attention's backward, which it lacks, by the same formula as the
  CUDA one (recompute ``QKᵀ``, then ``dV``, ``dP``, ``dQ``, ``dK``: 2.5 × the forward's matmuls).
  Linear layers and ``matmul`` differentiate into ``mm``/``bmm``, which the forward registry counts.
* **FLOPs**: ``2 × MACs``, plus one per element of the gradient an element-wise backward writes
  (``threshold_backward``, ``gelu_backward``…), one per element of the incoming gradient for the
  backward of norms, softmax, pooling, upsampling and embeddings (each gradient element is read
  and combined once), and one per bias-gradient element summed by ``convolution_backward``.
* **Free**: the backward of views and slices (``select_backward``, ``slice_backward``) fills
  zeros and copies; the profiler's markers around ``optimizer.step`` do nothing.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import flop_counter

from torchscope import formulas_flops as fl
from torchscope import formulas_matmul as mm
from torchscope.opcost import ZERO, Formula, OpCost, numel

_aten = torch.ops.aten


def _convolution_backward(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Input and weight gradients as torch counts them, plus the bias gradient's sum."""
    cost = _CONV(args, kwargs, out)
    mask = args[-1] if isinstance(args[-1], list | tuple) else kwargs.get("output_mask", (True,) * 3)
    bias = numel(args[0]) if len(mask) > 2 and mask[2] else 0  # [input, weight, bias]
    return OpCost(macs=cost.macs, flops=cost.flops + bias)


def _cpu_flash_backward(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``(grad_out, query, key, value, ...)``: the CUDA flash backward's count, halved into MACs."""
    del kwargs, out
    grad_out, query, key, value = args[:4]
    flops = flop_counter.sdpa_backward_flop_count(grad_out.shape, query.shape, key.shape, value.shape)  # type: ignore[no-untyped-call]  # untyped in torch
    return OpCost(macs=flops // 2, flops=flops // 2 * 2)


_CONV = mm.from_torch(_aten.convolution_backward)
_ELEMENTWISE = frozenset(
    """
    threshold_backward gelu_backward silu_backward sigmoid_backward tanh_backward hardtanh_backward
    leaky_relu_backward elu_backward softplus_backward hardswish_backward hardsigmoid_backward
    mish_backward log_sigmoid_backward native_dropout_backward
    """.split()
)
_PER_GRADIENT = frozenset(
    """
    native_batch_norm_backward native_layer_norm_backward native_group_norm_backward
    _fused_rms_norm_backward _softmax_backward_data embedding_dense_backward
    max_pool1d_with_indices_backward max_pool2d_with_indices_backward max_pool3d_with_indices_backward
    avg_pool2d_backward avg_pool3d_backward _adaptive_avg_pool2d_backward _adaptive_avg_pool3d_backward
    adaptive_max_pool2d_backward adaptive_max_pool3d_backward upsample_nearest2d_backward
    upsample_bilinear2d_backward upsample_linear1d_backward upsample_nearest1d_backward
    """.split()
)
# (as_strided_scatter, which autograd also uses for views, is free in costs.py already)
_FREE = frozenset("select_backward slice_backward diagonal_backward unfold_backward".split())
_TORCH = frozenset(
    """
    _scaled_dot_product_flash_attention_backward _scaled_dot_product_efficient_attention_backward
    _scaled_dot_product_cudnn_attention_backward _flash_attention_backward _efficient_attention_backward
    """.split()
)


def formulas() -> dict[Any, Formula]:
    """Every backward op's formula, by ATen overload packet."""
    found: dict[Any, Formula] = {_aten.convolution_backward: _convolution_backward}
    for name in _ELEMENTWISE:
        if hasattr(_aten, name):
            found[getattr(_aten, name)] = fl.per_output
    for name in _PER_GRADIENT:
        if hasattr(_aten, name):
            found[getattr(_aten, name)] = fl.per_input
    for name in _FREE:
        if hasattr(_aten, name):
            found[getattr(_aten, name)] = _free
    for name in _TORCH:
        if hasattr(_aten, name):
            found[getattr(_aten, name)] = mm.from_torch(getattr(_aten, name))
    cpu_flash = getattr(_aten, "_scaled_dot_product_flash_attention_for_cpu_backward", None)
    if cpu_flash is not None:
        found[cpu_flash] = _cpu_flash_backward
    return found


def _free(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    del args, kwargs, out
    return ZERO


# ops outside ``aten``, by name
BY_NAME: dict[str, Formula] = {
    "profiler._record_function_enter_new": _free,
    "profiler._record_function_exit": _free,
}
