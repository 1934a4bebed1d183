"""The meta fast paths give what PyTorch's own meta kernels give: shape, strides and dtype, and the
same graph and costs as a pass without them."""

from __future__ import annotations

import itertools
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
        if fast is not None:
            assert _meta(fast) == _meta(op(x, other))  # type: ignore[operator]


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
    if fast is not None:
        assert _meta(fast) == _meta(op(x))  # type: ignore[operator]


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0"])
def test_remembered_results_change_nothing(name: str) -> None:
    model = torchvision.models.get_model(name)
    remembered = torchscope.trace(model, [1, 3, 64, 64]).to_json()
    with mock.patch.object(costing, "_memo_key", return_value=None):
        computed = torchscope.trace(model, [1, 3, 64, 64]).to_json()
    assert remembered == computed


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
