"""Attention in a meta training step: the fused kernel a GPU runs, not PyTorch's math fallback.

On meta, ``F.scaled_dot_product_attention`` picks the math kernel, whose backward keeps the
T × T attention weights: for long sequences that is most of a transformer's saved activations,
and no fused kernel (flash, memory-efficient, cuDNN, or the CPU's flash kernel) keeps them. A
training step therefore calls the CPU flash kernel's op, which has meta and backward kernels and
keeps what the fused kernels keep (query, key, value, output and the log-sum-exp). Grouped key and
value heads are repeated first, as transformers' ``repeat_kv`` does (a fused GPU kernel reads them
unrepeated: a little more than it keeps). Calls with dropout keep the math kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812  # PyTorch's own spelling
from torch.overrides import TorchFunctionMode

_FUSED = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu  # noqa: SLF001  # the op, not a private API
_NAMES = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")


class FusedAttention(TorchFunctionMode):
    """Runs ``F.scaled_dot_product_attention`` as the fused kernel, for the whole step.

    Entered below the recorder, so that the recorder still sees (and names) the SDPA call, and
    kept through the backward, so that a checkpointed block recomputes the very same kernel.
    """

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: object,
        args: tuple[object, ...] = (),
        kwargs: dict[str, object] | None = None,
    ) -> Any:  # noqa: ANN401  # whatever the function returns
        del types
        call = _scaled_dot_product_attention if func is F.scaled_dot_product_attention else func
        return call(*args, **(kwargs or {}))


def _scaled_dot_product_attention(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401  # SDPA's own arguments
    given = {**dict(zip(_NAMES, args, strict=False)), **kwargs}
    query, key, value = given["query"], given["key"], given["value"]
    takes = (
        all(isinstance(t, torch.Tensor) and t.device.type == "meta" for t in (query, key, value))
        and not given.get("dropout_p")
        and query.dim() == key.dim() == value.dim() == 4  # [batch, heads, tokens, dim]
    )
    if not takes:
        return F.scaled_dot_product_attention(*args, **kwargs)
    if given.get("enable_gqa") and query.shape[-3] != key.shape[-3]:
        # the kernel wants as many key/value heads as query heads: repeated, as repeat_kv does
        groups = query.shape[-3] // key.shape[-3]
        key, value = key.repeat_interleave(groups, dim=-3), value.repeat_interleave(groups, dim=-3)
    mask = given.get("attn_mask")
    out, _ = _FUSED(
        query, key, value, 0.0, bool(given.get("is_causal")), attn_mask=mask, scale=given.get("scale")
    )
    return out


_scaled_dot_product_attention.__name__ = "scaled_dot_product_attention"  # the node's name
