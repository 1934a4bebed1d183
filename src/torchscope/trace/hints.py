"""What a failing layer expected: one sentence for a ``TraceError`` that says what to change.

PyTorch's own messages are written for the op, not the layer, and on the meta device they are
terser still ("Invalid channel dimensions"). For the common layers the expected input is known
from the module's own settings, so the error can say it in the user's terms: which dimension,
which value, and what arrived.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.lazy import LazyModuleMixin

from torchscope.trace.records import TensorMeta

_INTEGER_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8"})


def expected_input(module: nn.Module | None, label: str, inputs: Sequence[TensorMeta]) -> str | None:
    """Say how ``inputs`` fail to fit ``module`` (called ``label`` in the message), or None."""
    # a lazy module learns its sizes from its first input: there is nothing to compare against
    if module is None or not inputs or isinstance(module, LazyModuleMixin):
        return None
    x = inputs[0]
    found: str | None = None
    if isinstance(module, nn.Linear):
        found = _linear(module, label, x)
    elif isinstance(module, _ConvNd):  # every Conv and ConvTranspose
        found = _conv(module, label, x)
    elif isinstance(module, _BatchNorm):
        found = _batch_norm(module, label, x)
    elif isinstance(module, nn.LayerNorm):
        found = _layer_norm(module, label, x)
    elif isinstance(module, nn.GroupNorm):
        found = _group_norm(module, label, x)
    elif isinstance(module, nn.Embedding):
        found = _embedding(x, label)
    return found


def _linear(module: nn.Linear, label: str, x: TensorMeta) -> str | None:
    want = module.in_features
    if not x.shape or x.shape[-1] != want:
        return f"{label} expects the last dimension to be in_features={want}; it got {_shape(x)}"
    return _same_dtype(label, x, str(module.weight.dtype))


def _conv(module: _ConvNd, label: str, x: TensorMeta) -> str | None:
    spatial = len(module.kernel_size)
    channels = module.in_channels
    dims = ", ".join(["H", "W"] if spatial == 2 else ["L"] if spatial == 1 else ["D", "H", "W"])
    batched = f"[N, {channels}, {dims}]"
    unbatched = f"[{channels}, {dims}]"
    expects = f"{label} expects input {batched} (in_channels={channels}), or {unbatched} without a batch"
    ndim = len(x.shape)
    if ndim not in (spatial + 1, spatial + 2):
        return f"{expects}; it got {ndim}-D input {_shape(x)}"
    got = x.shape[ndim - spatial - 1]
    if got != channels:
        return f"{expects}; it got {got} channels in {_shape(x)}"
    return _same_dtype(label, x, str(module.weight.dtype))


def _batch_norm(module: _BatchNorm, label: str, x: TensorMeta) -> str | None:
    want = module.num_features
    if len(x.shape) < 2 or x.shape[1] != want:
        return f"{label} expects num_features={want} channels in dimension 1; it got {_shape(x)}"
    return None


def _layer_norm(module: nn.LayerNorm, label: str, x: TensorMeta) -> str | None:
    want = tuple(module.normalized_shape)
    if tuple(x.shape[-len(want) :]) != want:
        return f"{label} expects the last dimensions to be normalized_shape={list(want)}; it got {_shape(x)}"
    return None


def _group_norm(module: nn.GroupNorm, label: str, x: TensorMeta) -> str | None:
    want = module.num_channels
    if len(x.shape) < 2 or x.shape[1] != want:
        return f"{label} expects num_channels={want} channels in dimension 1; it got {_shape(x)}"
    return None


def _embedding(x: TensorMeta, label: str) -> str | None:
    if x.dtype not in _INTEGER_DTYPES:
        return (
            f"{label} looks up integer indices (token ids), but its input is {x.dtype}: "
            "pass dtype=torch.long with input_shape, or integer tensors as inputs"
        )
    return None


def _same_dtype(label: str, x: TensorMeta, weight: str) -> str | None:
    weight = weight.removeprefix("torch.")
    if x.dtype != weight:
        return (
            f"{label} computes in {weight} (its weight's dtype), but its input is {x.dtype}: "
            f"pass dtype=torch.{weight} with input_shape, or inputs of that dtype"
        )
    return None


def _shape(x: TensorMeta) -> str:
    return str(list(x.shape))
