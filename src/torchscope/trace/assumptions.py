"""The stated assumptions an estimate rests on, where a meta pass meets values it does not have.

Each function answers one kind of op whose result depends on values no meta tensor holds, and
returns the sentence that says what was assumed (it travels to the node, the details panel, the
table and the totals):

* **routing** (:func:`route`): ``topk``, ``argmax``, ``max``/``min`` along a dim pick candidates
  by value. Assumed: *uniform routing*, the candidates taken round-robin, so over R rows each of
  E candidates is chosen R·k/E times (tokens·top_k/E rows per expert, for a mixture of experts).
  The indices get those values; everything computed from them (expert masks, ``nonzero``,
  ``where(mask)``, ``histc``/``bincount`` splits, ``.tolist()``) is then computed, not guessed.
* **upper bounds** (:func:`upper_bound`): ``nonzero``, ``masked_select``, ``unique`` and boolean
  indexing of values nothing determines. Assumed: every element is nonzero / selected /
  distinct, the largest result the op can give.
"""

from __future__ import annotations

import math
from typing import Any

import torch

_aten = torch.ops.aten

# ops that choose among candidates by value, and where their index result is
ROUTERS = {
    _aten.topk.default: 1,
    _aten.max.dim: 1,
    _aten.min.dim: 1,
    _aten.argmax.default: 0,
    _aten.argmin.default: 0,
}


def route(func: Any, args: tuple[Any, ...], out: Any) -> tuple[torch.Tensor, torch.Tensor, str] | None:  # noqa: ANN401
    """Round-robin indices for a router's meta result: (the meta indices, their values, the note)."""
    position = ROUTERS.get(func)
    if position is None:
        return None
    scores = args[0]
    indices = out[position] if isinstance(out, tuple | list) else out
    if not isinstance(scores, torch.Tensor) or scores.dim() == 0 or indices.numel() == 0:
        return None
    dim = _dim(func, args, scores)
    if dim is None:  # argmax over the flattened tensor: one choice
        candidates, picks = scores.numel(), 1
        rows = 1
    else:
        candidates = scores.shape[dim]
        picks = int(args[1]) if func is _aten.topk.default else 1
        rows = indices.numel() // picks
    values = (torch.arange(rows).unsqueeze(1) * picks + torch.arange(picks).unsqueeze(0)) % candidates
    layout = list(indices.shape)
    if dim is not None and func is _aten.topk.default:
        # built with the picks last; then put back where topk keeps them
        moved = [*layout[:dim], *layout[dim + 1 :], picks]
        values = values.reshape(moved).movedim(-1, dim)
    else:
        values = values.reshape(layout)
    name = str(func.overloadpacket).removeprefix("aten.")
    share = rows * picks / candidates
    note = (
        f"uniform routing: {name} picks {picks} of {candidates} round-robin over {rows} rows, "
        f"so each is chosen {share:g} times (tokens·top_k/E)"
    )
    return indices, values, note


def _dim(func: Any, args: tuple[Any, ...], scores: torch.Tensor) -> int | None:  # noqa: ANN401
    if func is _aten.topk.default:
        dim = int(args[2]) if len(args) > 2 else -1
    elif func in (_aten.argmax.default, _aten.argmin.default):
        if len(args) < 2 or args[1] is None:
            return None
        dim = int(args[1])
    else:
        dim = int(args[1])
    return dim % scores.dim()


def upper_bound(func: Any, args: tuple[Any, ...]) -> tuple[Any, str] | None:  # noqa: ANN401
    """Return the largest meta result a value-dependent op can give and the note that says so, or None."""
    x = args[0]
    if not isinstance(x, torch.Tensor):
        return None
    name = str(func.overloadpacket).removeprefix("aten.")
    if func in (_aten.nonzero.default, _aten.argwhere.default):
        out = torch.empty((x.numel(), x.dim()), dtype=torch.long, device="meta")
        return out, f"{name}: every one of {x.numel()} elements assumed nonzero (the upper bound)"
    if func is _aten.masked_select.default:
        size = math.prod(torch.broadcast_shapes(x.shape, args[1].shape))  # type: ignore[no-untyped-call]
        out = torch.empty((size,), dtype=x.dtype, device="meta")
        return out, f"masked_select: all {size} elements assumed selected (the upper bound)"
    if func in _UNIQUE:
        inverse, counts = (bool(args[i]) if len(args) > i else False for i in _UNIQUE[func])
        results = (
            torch.empty((x.numel(),), dtype=x.dtype, device="meta"),
            torch.empty(x.shape if inverse else (0,), dtype=torch.long, device="meta"),
            torch.empty((x.numel(),) if counts else (0,), dtype=torch.long, device="meta"),
        )
        return results, f"{name}: all {x.numel()} values assumed distinct (the upper bound)"
    return None


# the positions of return_inverse and return_counts
_UNIQUE = {_aten._unique2.default: (2, 3), _aten.unique_consecutive.default: (1, 2)}  # noqa: SLF001


def all_true_mask(mask: torch.Tensor) -> tuple[torch.Tensor, str]:
    """Take a boolean index whose values nothing determines as all true (the upper bound)."""
    return torch.ones(mask.shape, dtype=torch.bool), (
        f"boolean index: all {mask.numel()} elements assumed selected (the upper bound)"
    )
