"""The meta fast paths give what PyTorch's own meta kernels give: shape, strides and dtype, and the
same graph and costs as a pass without them."""

from __future__ import annotations

import itertools
from typing import Any
from unittest import mock

import pytest
import torch
import torchvision

import torchscope
from torchscope import costs
from torchscope.trace import costing, fastpaths

aten = torch.ops.aten
BROADCASTS = [
    ((1, 8, 4, 4), (1, 8, 1, 1)),
    ((2, 8, 4, 4), (8, 1, 1)),
    ((2, 3), (3,)),
    ((1, 8, 1, 1), (1, 8, 1, 1)),
    ((4, 1, 5), (4, 1, 5)),
    ((2, 3), (2, 1)),
    ((0, 3), (3,)),
    ((3,), (2, 3)),  # broadcasts the other way: the real kernel's business
]
BINARY = [aten.add.Tensor, aten.sub.Tensor, aten.mul.Tensor, aten.div.Tensor]
DTYPES = [torch.float32, torch.float16, torch.int64]


def _meta(value: torch.Tensor) -> tuple[object, ...]:
    return (value.shape, value.stride(), value.dtype)


def _answered_fast(x: torch.Tensor, other: object) -> bool:
    """Whether the binary fast path must answer ``op(x, other)`` (its docstring's promise): a
    contiguous float ``x`` with a number, or with a contiguous tensor of ``x``'s dtype that
    broadcasts to ``x``'s shape."""
    if not x.dtype.is_floating_point:
        return False
    if not isinstance(other, torch.Tensor):
        return True
    return other.dtype == x.dtype and torch.broadcast_shapes(x.shape, other.shape) == x.shape  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(("shapes", "dtype", "op"), list(itertools.product(BROADCASTS, DTYPES, BINARY)))
def test_binary_fast_path_matches_the_meta_kernel(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], dtype: torch.dtype, op: object
) -> None:
    x = torch.empty(shapes[0], dtype=dtype, device="meta")
    for other in (
        torch.empty(shapes[1], dtype=dtype, device="meta"),
        torch.empty(shapes[1], device="meta"),
        2,
        0.5,
    ):
        fast = fastpaths.meta_binary(op, (x, other))
        # the fast path must be taken exactly where it promises to be, and then agree
        assert (fast is not None) == _answered_fast(x, other), (shapes, dtype, other)
        if fast is not None:
            assert fast is not x
            assert _meta(fast) == _meta(op(x, other))  # type: ignore[operator]


def test_the_fast_paths_hand_back_the_input_of_an_in_place_op() -> None:
    x = torch.empty(2, 3, device="meta")
    assert fastpaths.meta_binary(aten.add_.Tensor, (x, 1.0)) is x
    assert fastpaths.meta_unary(aten.relu_.default, (x,)) is x


def test_binary_fast_path_leaves_channels_last_to_the_kernel() -> None:
    x = torch.empty(1, 8, 4, 4, device="meta").to(memory_format=torch.channels_last)
    assert fastpaths.meta_binary(aten.mul.Tensor, (x, torch.empty(1, 8, 1, 1, device="meta"))) is None


@pytest.mark.parametrize(
    ("dtype", "op"),
    list(
        itertools.product(
            DTYPES, [aten.sigmoid.default, aten.relu.default, aten.exp.default, aten.hardswish.default]
        )
    ),
)
def test_unary_fast_path_matches_the_meta_kernel(dtype: torch.dtype, op: object) -> None:
    x = torch.empty(2, 3, dtype=dtype, device="meta")
    fast = fastpaths.meta_unary(op, (x,))
    # floats always take it; integers never do (exp and sigmoid promote them to float)
    assert (fast is not None) == dtype.is_floating_point
    if fast is not None:
        assert _meta(fast) == _meta(op(x))  # type: ignore[operator]


class Taken:
    """How often each fast path answered in one trace, and how many meta kernels still ran."""

    def __init__(self) -> None:
        self.ops = 0  # ATen ops the cost counter saw
        self.fresh = 0  # ops the memo did not answer: each passes the operand dtype check once
        self.kernels = 0
        self.unary = 0
        self.binary = 0
        self.batch_norm = 0
        self.whole = 0  # calls a whole-function shortcut answered (trace/shortcuts.py)
        self.keyed = 0  # ops the memo could remember

    @property
    def remembered(self) -> int:
        return self.ops - self.fresh


def _trace(model: torch.nn.Module, *, fast: bool, whole: bool = False) -> tuple[object, Taken]:
    """Trace ``model`` at 64 px counting the fast paths taken; ``fast=False`` turns every ATen-level
    one off (the memo, the unary and binary answers, the batch-norm shortcut); ``whole=True`` turns
    the other whole-function shortcuts on."""
    taken = Taken()

    def counted(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            setattr(taken, name, getattr(taken, name) + 1)
            return real(*args, **kwargs)

        return wrapper

    def optional(name: str, real: Any, *, on: bool = fast) -> Any:
        # a fast path answers None to say "not mine": off, it says so to every call
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs) if on else None
            if result is not None:
                setattr(taken, name, getattr(taken, name) + 1)
            return result

        return wrapper

    batch_norm = torch.nn.functional.batch_norm
    with (
        mock.patch.object(
            costing.CostCounter, "__torch_dispatch__", counted("ops", costing.CostCounter.__torch_dispatch__)
        ),
        mock.patch.object(costing, "check_operand_dtypes", counted("fresh", costing.check_operand_dtypes)),
        mock.patch.object(costing, "_kernel", counted("kernels", costing._kernel)),  # noqa: SLF001
        mock.patch.object(costing, "meta_unary", optional("unary", costing.meta_unary)),
        mock.patch.object(costing, "meta_binary", optional("binary", costing.meta_binary)),
        mock.patch.object(costing, "_memo_key", optional("keyed", costing._memo_key)),  # noqa: SLF001
        mock.patch.dict(
            fastpaths.META_SHORTCUTS,
            {
                **{f: optional("whole", s, on=whole) for f, s in fastpaths.META_SHORTCUTS.items()},
                batch_norm: optional("batch_norm", fastpaths.META_SHORTCUTS[batch_norm]),
            },
        ),
    ):
        payload = torchscope.trace(model, [1, 3, 64, 64]).to_json()
    return payload, taken


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0"])
def test_the_fast_paths_change_nothing(name: str) -> None:
    model = torchvision.models.get_model(name)
    fastest, shortcuts = _trace(model, fast=True, whole=True)
    fast, taken = _trace(model, fast=True)
    slow, plain = _trace(model, fast=False)
    assert fastest == fast == slow
    assert shortcuts.whole > shortcuts.ops, vars(shortcuts)  # most calls never reach ATen
    assert taken.whole == plain.whole == 0
    # every fast path was taken, so the comparison above covers each of them
    assert min(taken.unary, taken.binary, taken.batch_norm, taken.remembered) > 0, vars(taken)
    assert plain.unary == plain.binary == plain.batch_norm == plain.remembered == 0, vars(plain)
    # each op the counter sees is answered once: remembered, by a fast path, or by its kernel
    assert taken.ops == taken.remembered + taken.unary + taken.binary + taken.kernels, vars(taken)
    assert plain.ops == plain.kernels, vars(plain)


class _Norms(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = torch.nn.BatchNorm2d(4)
        self.plain = torch.nn.BatchNorm2d(4, affine=False, track_running_stats=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.plain(self.bn(x))


def test_the_batch_norm_shortcut_changes_nothing_but_the_time() -> None:
    model = _Norms()
    fast = torchscope.trace(model, [2, 4, 5, 5]).to_json()
    with mock.patch.dict(fastpaths.META_SHORTCUTS, clear=True):
        slow = torchscope.trace(model, [2, 4, 5, 5]).to_json()
    assert fast == slow
    # one FLOP per element normalised, by hand: 2·4·5·5 per norm
    assert fast["totals"]["flops"] == 2 * 200


def test_the_batch_norm_shortcut_charges_what_the_registry_says() -> None:
    seven = costs.OpCost(flops=7)
    with mock.patch.dict(costs._FORMULAS, {aten.native_batch_norm: lambda *_: seven}):  # noqa: SLF001
        payload = torchscope.trace(_Norms(), [2, 4, 5, 5]).to_json()
    assert payload["totals"]["flops"] == 2 * 7
