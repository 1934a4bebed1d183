"""What one ATen call costs, and the small helpers every cost formula shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class OpCost:
    """The cost of one ATen call. ``counted`` is False for an op with no formula."""

    macs: int = 0
    flops: int = 0
    counted: bool = True


ZERO = OpCost()
UNCOUNTED = OpCost(counted=False)

# (the call's positional arguments, its keyword arguments, what it returned) → its cost
Formula = Callable[[tuple[Any, ...], dict[str, Any], Any], OpCost]


def numel(value: object) -> int:
    """Elements of a tensor, or of the first tensor of a tuple/list result; 0 for anything else."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, tuple | list):
        return numel(value[0]) if value else 0
    return 0


def argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    """Return the argument at ``position``, or passed by ``name``, or None (optional ones come either way)."""
    if len(args) > position:
        return args[position]
    return kwargs.get(name)
