"""Composite torch functions answered from their first call: replayed charges, a fresh result.

``F.scaled_dot_product_attention`` on meta runs PyTorch's math decomposition: some twenty ATen ops
(the mask, the scale, two batched matmuls, the softmax...), each through the cost counter's
dispatch mode and most through Python meta kernels, ~1.5 ms a call. Every layer of a transformer
calls it with the same arguments' metadata. The first such call runs as before while the charges
it makes are kept (each ATen op's registry cost, in order); a later call with the same metadata
(shapes, strides and dtypes of its tensors, and its other arguments: ``is_causal``, ``scale``,
the mask) replays those charges to the node running and returns a new empty tensor laid out as the
first result was. On meta a result's metadata is all there is, and it depends on nothing else, as
for the cost counter's own memo (:mod:`.costing`), which this is the torch-function-level twin of.

Only plain meta tensors that need no grad take this path (as for :mod:`.shortcuts`), and only
while shortcuts are on; a result that is not one fresh plain tensor is not remembered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F  # noqa: N812  # torch's own spelling

from torchscope import costs
from torchscope.trace.costing import NO_KEY, metadata_key
from torchscope.trace.shortcuts import empty, plain

# the composite functions remembered; each is deterministic in its arguments' metadata on meta
COMPOSITES = frozenset({F.scaled_dot_product_attention})


class Charge(NamedTuple):
    """One ATen op's charge, as the cost counter made it."""

    func: object
    cost: costs.OpCost
    estimated: Sequence[str]


class _Known(NamedTuple):
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: torch.dtype
    charges: tuple[Charge, ...]


class Composites:
    """The remembered calls of one pass."""

    def __init__(self) -> None:
        self._known: dict[object, _Known] = {}

    @staticmethod
    def key(
        func: object, args: tuple[object, ...], kwargs: Mapping[str, object]
    ) -> tuple[object, ...] | None:
        """Return the call's metadata when it may be remembered, else None."""
        if func not in COMPOSITES:
            return None
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        if not tensors or not all(plain(t) for t in tensors):
            return None
        arguments = metadata_key(args)
        options = metadata_key(tuple(sorted(kwargs.items())))
        if arguments is NO_KEY or options is NO_KEY:
            return None
        return (func, arguments, options)

    def replay(self, key: object) -> tuple[torch.Tensor, tuple[Charge, ...]] | None:
        """Return a fresh result and the charges to make again, for a call seen before."""
        known = self._known.get(key)
        if known is None:
            return None
        return empty(known.shape, known.dtype, known.strides), known.charges

    def remember(self, key: object, result: object, charges: Sequence[Charge]) -> None:
        """Keep what the first call with ``key`` returned and charged (one fresh plain tensor only)."""
        if type(result) is torch.Tensor and plain(result) and result._base is None:  # noqa: SLF001
            self._known[key] = _Known(tuple(result.shape), result.stride(), result.dtype, tuple(charges))
