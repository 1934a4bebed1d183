"""Where PyTorch's meta kernels and the real ones disagree about what may run.

A meta pass must fail exactly where a real pass would, no sooner and no later:

* **looser** meta kernels: those of ``mm``, ``addmm``, ``convolution``... check shapes only, so
  an ``int64`` input to a float ``Linear`` would trace although no real run can do it.
  :func:`check_operand_dtypes` raises the error the real kernel would raise.
* **stricter** meta kernels: ``_grouped_mm``'s copies the CUDA kernel's dtype check and refuses
  float32, which the CPU kernel takes (transformers' default mixture-of-experts path), and
  ``masked_fill``'s refuses a 0-dim CPU tensor as the fill value, which every real kernel takes as
  a number. A model built under ``torch.device("meta")`` has nothing real to fall back to, so
  :func:`run_kernel` answers these calls itself: the result's shape is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

_aten = torch.ops.aten


def run_kernel(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:  # noqa: ANN401  # an ATen op
    """Run ``func``; where its meta kernel refuses what the real kernels take, answer it instead."""
    try:
        return func(*args, **kwargs)
    except RuntimeError:
        answer = _lenient(func, args, kwargs)
        if answer is None:
            raise
        return answer


def _lenient(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:  # noqa: ANN401
    if not any(isinstance(a, torch.Tensor) and a.device.type == "meta" for a in args):
        return None
    shape = _SHAPES.get(getattr(func, "overloadpacket", None))
    if shape is not None:
        return shape(args, kwargs)
    scalars = [_scalar_on_meta(a) for a in args]
    if all(s is a for s, a in zip(scalars, args, strict=True)):
        return None
    try:
        return func(*scalars, **kwargs)  # type: ignore[no-any-return]  # an ATen op's result
    except RuntimeError:
        return None  # not the 0-dim CPU tensor, then: the first error stands


def _scalar_on_meta(value: object) -> object:
    """Put a 0-dim tensor on meta: real kernels read such a tensor as a number, wherever it lives."""
    if isinstance(value, torch.Tensor) and value.dim() == 0 and value.device.type != "meta":
        return torch.empty((), dtype=value.dtype, device="meta")
    return value


def _grouped_mm(offsets_position: int) -> Callable[[tuple[Any, ...], dict[str, Any]], torch.Tensor | None]:
    """Answer ``_grouped_mm`` (or its scaled form) from the shapes, as the CPU kernel would.

    [M, K]·[G, K, N] → [M, N]; [G, M, K]·[G, K, N] → [G, M, N]; [G, M, K]·[K, N] → [M, N];
    [M, K]·[K, N] with G offsets → [G, M, N]. Other ranks and contraction sizes that differ raise
    the CPU kernel's own errors.
    """

    def answer(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
        a, b = args[0], args[1]
        offsets = args[offsets_position] if len(args) > offsets_position else kwargs.get("offs")
        for name, mat in (("mat_a", a), ("mat_b", b)):
            if mat.dim() not in (2, 3):
                raise RuntimeError(f"{name} has to be 2 or 3d")
        if a.dim() == 2 and b.dim() == 2:
            if not isinstance(offsets, torch.Tensor):
                return None  # the meta kernel's message says what is missing
            shape = [offsets.shape[0], a.shape[0], b.shape[1]]
        elif a.shape[-1] != b.shape[-2]:
            raise RuntimeError("contraction dimension of mat_a and mat_b must match")
        else:
            shape = [*a.shape[:-1], b.shape[-1]] if b.dim() == 3 else [a.shape[1], b.shape[1]]
        return torch.empty(shape, dtype=kwargs.get("out_dtype") or a.dtype, device="meta")

    return answer


_SHAPES: dict[object, Callable[[tuple[Any, ...], dict[str, Any]], torch.Tensor | None]] = {
    _aten._grouped_mm: _grouped_mm(offsets_position=2),  # noqa: SLF001
    _aten._scaled_grouped_mm: _grouped_mm(offsets_position=4),  # noqa: SLF001
}


def check_operand_dtypes(func: Any, args: tuple[Any, ...]) -> None:  # noqa: ANN401  # an ATen op
    """Refuse, on meta, the mixed-dtype matmuls and convolutions that real kernels refuse.

    The meta kernels of ``mm``, ``addmm``, ``convolution``... only check shapes: an ``int64``
    input to a float ``Linear`` would trace on meta, although no real run can do it. Raising the
    error the real kernel would raise keeps a meta trace honest about what the model can run.
    """
    positions = _SAME_DTYPE_OPERANDS.get(str(getattr(func, "overloadpacket", "")))
    if positions is None:
        return
    first, second = (args[i] if i < len(args) else None for i in positions)
    if (
        isinstance(first, torch.Tensor)
        and isinstance(second, torch.Tensor)
        and first.device.type == "meta"
        and first.dtype != second.dtype
    ):
        a, b = (str(t.dtype).removeprefix("torch.") for t in (first, second))
        raise RuntimeError(
            f"{func.overloadpacket}: expected both operands to have the same dtype, but got {a} and {b}"
        )


# matmul- and convolution-like ops: the argument positions whose dtypes the real kernels require equal
_SAME_DTYPE_OPERANDS = {
    "aten.mm": (0, 1),
    "aten.bmm": (0, 1),
    "aten.mv": (0, 1),
    "aten.dot": (0, 1),
    "aten.addmm": (1, 2),
    "aten.baddbmm": (1, 2),
    "aten.addbmm": (1, 2),
    "aten.addmv": (1, 2),
    "aten.convolution": (0, 1),
    "aten._convolution": (0, 1),
}
