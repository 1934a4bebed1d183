"""Output-shape arithmetic of the common ops, as PyTorch's meta kernels compute it.

Pure functions on sizes, no tensors: the shortcuts of :mod:`.shortcuts` call them to answer a
meta call without running PyTorch's Python meta kernels. Each returns None where the arguments
are not plainly valid (a size that would come out below one, a padding beyond half the kernel, an
argument of an unexpected type): the call then goes to PyTorch's own kernel, which raises its
own error, so a meta pass fails exactly where it did. ``tests/test_shapes.py`` compares every
answer with PyTorch's meta kernels over randomised arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

Shape = tuple[int, ...]


def contiguous_strides(shape: Sequence[int]) -> Shape:
    """Row-major strides of ``shape`` (a dimension of size 0 or 1 steps as if it were 1)."""
    strides = [1] * len(shape)
    step = 1
    for i in range(len(shape) - 1, -1, -1):
        strides[i] = step
        step *= max(shape[i], 1)
    return tuple(strides)


def channels_last_strides(shape: Sequence[int]) -> Shape:
    """Return the strides of a 4-D ``shape`` laid out channels-last (NHWC)."""
    n, c, h, w = shape
    del n
    c, h, w = max(c, 1), max(h, 1), max(w, 1)
    return (h * w * c, 1, w * c, c)


def ints(value: object, count: int) -> Shape | None:
    """``value`` as ``count`` ints: an int, or a sequence of one or ``count`` ints (bools refused)."""
    if type(value) is int:
        return (value,) * count
    if type(value) not in (tuple, list) or not all(type(v) is int for v in value):  # type: ignore[attr-defined]
        return None
    items: Shape = tuple(value)  # type: ignore[arg-type]  # checked above
    if len(items) == 1:
        return items * count
    return items if len(items) == count else None


def conv(  # noqa: PLR0913, PLR0917  # the convolution's own arguments
    x: Shape, w: Shape, stride: object, padding: object, dilation: object, groups: object
) -> Shape | None:
    """Output shape of an N-d convolution of batched ``x`` [N, C, *S] with ``w`` [O, C/g, *K]."""
    spatial = len(x) - 2
    if spatial < 1 or len(w) != len(x) or type(groups) is not int or groups < 1:
        return None
    steps, pads, dilations = ints(stride, spatial), ints(padding, spatial), ints(dilation, spatial)
    if steps is None or pads is None or dilations is None:
        return None
    if w[1] * groups != x[1] or w[0] % groups or min(x) < 1 or min(w) < 1:
        return None
    out = [x[0], w[0]]
    for size, kernel, step, pad, dil in zip(x[2:], w[2:], steps, pads, dilations, strict=True):
        if step < 1 or pad < 0 or dil < 1:
            return None
        span = size + 2 * pad - dil * (kernel - 1) - 1
        if span < 0:
            return None
        out.append(span // step + 1)
    return tuple(out)


def pooled(  # noqa: PLR0913  # one dimension of a pooling window
    size: int, kernel: int, step: int, pad: int, dilation: int, *, ceil_mode: bool
) -> int | None:
    """Output length of one pooled dimension (max or average pooling), or None where it is invalid."""
    if kernel < 1 or step < 1 or dilation < 1 or pad < 0 or pad > ((kernel - 1) * dilation + 1) // 2:
        return None
    span = size + 2 * pad - dilation * (kernel - 1) - 1 + (step - 1 if ceil_mode else 0)
    out = span // step + 1  # floor division rounds towards -inf, as PyTorch's div_rtn does
    if ceil_mode and (out - 1) * step >= size + pad:
        out -= 1
    return out if out >= 1 else None


def pool(  # noqa: PLR0913  # the pooling's own arguments
    x: Shape, kernel: object, stride: object, padding: object, dilation: object, *, ceil_mode: object
) -> Shape | None:
    """Output shape of 2-d max or average pooling of ``x`` [N, C, H, W] or [C, H, W]."""
    if len(x) not in (3, 4) or type(ceil_mode) is not bool or min(x[-3:]) < 1:
        return None
    kernels = ints(kernel, 2)
    # an empty stride means "the kernel size", as in F.max_pool2d(x, 3)
    steps = kernels if stride is None or stride in ((), []) else ints(stride, 2)
    pads, dilations = ints(padding, 2), ints(dilation, 2)
    if kernels is None or steps is None or pads is None or dilations is None:
        return None
    out = list(x[:-2])
    for size, k, s, p, d in zip(x[-2:], kernels, steps, pads, dilations, strict=True):
        length = pooled(size, k, s, p, d, ceil_mode=ceil_mode)
        if length is None:
            return None
        out.append(length)
    return tuple(out)


def broadcasts_to(small: Shape, big: Shape) -> bool:
    """Whether ``small`` broadcasts to exactly ``big`` (so ``big op small`` is shaped like ``big``)."""
    if len(small) > len(big):
        return False
    return all(s in (1, b) for s, b in zip(reversed(small), reversed(big), strict=False))


def reduced_dims(dim: object, rank: int) -> frozenset[int] | None:
    """Return the dims a reduction over ``dim`` names: an int, or a non-empty list of distinct ints."""
    if type(dim) is int:
        named: Sequence[object] = (dim,)
    elif type(dim) in (tuple, list) and dim:
        named = cast("Sequence[object]", dim)
    else:
        return None
    found: set[int] = set()
    for d in named:
        if type(d) is not int or not -rank <= d < rank or d % rank in found:
            return None
        found.add(d % rank)
    return frozenset(found)
