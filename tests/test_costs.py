"""Every formula family against arithmetic done by hand (written out next to each number)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812  # the conventional name
from torch import nn

import torchscope
from torchscope import costs
from torchscope.graph import ModelGraph


def _node(graph: ModelGraph, node_id: str) -> dict[str, object]:
    payload = graph.to_json()
    return next(n["stats"] for n in payload["nodes"] if n["id"] == node_id)


def _only(model: nn.Module, shape: list[int], node_id: str = "", **options: object) -> dict[str, object]:
    graph = torchscope.trace(model, shape, **options)  # type: ignore[arg-type]
    return _node(graph, node_id or graph.nodes[1].id)


def test_conv2d_with_stride_padding_and_bias() -> None:
    stats = _only(nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)), [2, 3, 16, 16], "0")
    # output 2×8×8×8 (16 + 2·1 − 3) // 2 + 1 = 8; each output: 3·3·3 = 27 MACs
    outputs = 2 * 8 * 8 * 8
    assert stats["macs"] == outputs * 27 == 27_648
    assert stats["flops"] == 2 * 27_648 + outputs  # + one bias add per output
    assert stats["params"] == 8 * 3 * 3 * 3 + 8


def test_conv2d_groups_and_dilation() -> None:
    conv = nn.Conv2d(8, 16, kernel_size=3, groups=4, dilation=2, bias=False)
    stats = _only(nn.Sequential(conv), [1, 8, 10, 10], "0")
    # dilated kernel spans 5: output 10 − 5 + 1 = 6 → 16·6·6 outputs, each sees 8/4 = 2 channels × 9
    assert stats["macs"] == 16 * 6 * 6 * 2 * 9 == 10_368
    assert stats["flops"] == 2 * 10_368  # no bias
    assert stats["params"] == 16 * 2 * 3 * 3


def test_transposed_conv() -> None:
    stats = _only(
        nn.Sequential(nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2, bias=False)), [1, 4, 5, 5], "0"
    )
    # every input element is scattered into 2×2 positions of each of 2 output channels
    assert stats["macs"] == 4 * 5 * 5 * 2 * 2 * 2 == 800


def test_conv1d_and_conv3d() -> None:
    one = _only(nn.Sequential(nn.Conv1d(2, 3, 5, bias=False)), [1, 2, 20], "0")
    assert one["macs"] == 3 * 16 * 2 * 5  # output length 20 − 5 + 1 = 16
    three = _only(nn.Sequential(nn.Conv3d(1, 2, 3, bias=False)), [1, 1, 4, 4, 4], "0")
    assert three["macs"] == 2 * 2 * 2 * 2 * 27  # output 2×2×2 per channel, 27 taps


def test_linear_with_batch_dimensions() -> None:
    stats = _only(nn.Sequential(nn.Linear(16, 32)), [4, 10, 16], "0")
    # 4·10 rows, each 16 × 32 MACs; plus one bias add per output
    assert stats["macs"] == 4 * 10 * 16 * 32 == 20_480
    assert stats["flops"] == 2 * 20_480 + 4 * 10 * 32
    assert stats["params"] == 16 * 32 + 32
    assert stats["param_bytes"] == (16 * 32 + 32) * 4
    assert stats["read_bytes"] == 4 * 10 * 16 * 4 + (16 * 32 + 32) * 4
    assert stats["write_bytes"] == stats["activation_bytes"] == 4 * 10 * 32 * 4


class Bmm(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.bmm(a, b) @ b.transpose(1, 2)


def test_bmm_and_matmul() -> None:
    graph = torchscope.trace(Bmm(), [[3, 4, 5], [3, 5, 6]])
    assert _node(graph, "bmm")["macs"] == 3 * 4 * 5 * 6  # batch · m · k · n
    assert _node(graph, "matmul")["macs"] == 3 * 4 * 6 * 5
    assert _node(graph, "transpose")["flops"] == 0  # a view: no arithmetic


class Attention(nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_scaled_dot_product_attention_whichever_kernel_runs(device: str) -> None:
    batch, heads, length, source, embed, value = 2, 3, 7, 11, 8, 5
    shapes = [[batch, heads, length, embed], [batch, heads, source, embed], [batch, heads, source, value]]
    stats = _node(torchscope.trace(Attention(), shapes, device=device), "scaled_dot_product_attention")
    # QKᵀ: L·S·E and AV: L·S·Ev per batch·head
    macs = batch * heads * length * source * (embed + value)
    assert stats["macs"] == macs == 6_006
    scores = batch * heads * length * source
    # as the math kernel computes it, whichever kernel runs: q and k scaled (one per element of
    # each), then the scores softmaxed
    assert stats["flops"] == 2 * macs + batch * heads * (length + source) * embed + scores


class MaskedAttention(nn.Module):
    def __init__(self, **options: object) -> None:
        super().__init__()
        self.options = options

    def forward(self, q: torch.Tensor, k: torch.Tensor, *mask: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, k, *mask, **self.options)  # type: ignore[arg-type]


@pytest.mark.parametrize("device", ["meta", "cpu"])
@pytest.mark.parametrize(
    ("options", "mask", "extra"),
    [
        # a float mask is added to each of the 2·4·8·6 = 384 scores
        ({}, torch.zeros(2, 1, 8, 6), 384),
        # a boolean mask is first made a float one (one per mask element), then added
        ({}, torch.ones(8, 6, dtype=torch.bool), 48 + 384),
        # grouped-query attention: 2 key heads serve 4 query heads
        ({"enable_gqa": True}, None, 0),
    ],
    ids=["float mask", "bool mask", "grouped-query"],
)
def test_attention_masks_count_the_same_on_every_kernel(
    device: str, options: dict[str, object], mask: torch.Tensor | None, extra: int
) -> None:
    q = torch.randn(2, 4, 8, 4)
    k = torch.randn(2, 2 if options else 4, 6, 4)
    inputs = (q, k) if mask is None else (q, k, mask)
    totals = torchscope.trace(MaskedAttention(**options), inputs=inputs, device=device).to_json()["totals"]
    macs = 2 * 4 * 8 * 6 * (4 + 4)  # QKᵀ and AV over 2·4 query heads
    # scale q (2·4·8·4) and the keys once per query head (2·4·6·4), softmax the 384 scores
    assert (totals["macs"], totals["flops"]) == (macs, 2 * macs + 256 + 192 + 384 + extra)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_causal_attention_counts_its_mask(device: str) -> None:
    q = torch.randn(2, 4, 8, 4)
    graph = torchscope.trace(MaskedAttention(is_causal=True), inputs=(q, q), device=device)
    totals = graph.to_json()["totals"]
    macs = 2 * 4 * 8 * 8 * 8
    # scale q and k (256 each), the 8×8 causal mask made (64) and added to the 512 scores, softmax
    assert totals["flops"] == 2 * macs + 256 + 256 + 64 + 512 + 512


def test_multihead_attention_counts_projections_and_attention() -> None:
    embed, heads, length = 16, 4, 10
    model = nn.MultiheadAttention(embed, heads, batch_first=True)

    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.attn(x, x, x, need_weights=False)[0]

    # q, k, v and output projections: 4·L·E²; attention: 2·L·L·E (summed over heads)
    expected = 4 * length * embed * embed + 2 * length * length * embed
    for device in ("meta", "cpu"):
        with torch.no_grad():  # the fused fast path runs on CPU without grad
            stats = _node(torchscope.trace(Wrap(), [1, length, embed], device=device), "attn")
        assert stats["macs"] == expected, device


@pytest.mark.parametrize(
    ("module", "shape", "flops"),
    [
        # one FLOP per element normalised: 2·4·5·5 elements
        (nn.BatchNorm2d(4), [2, 4, 5, 5], 2 * 4 * 5 * 5),
        (nn.LayerNorm(6), [3, 7, 6], 3 * 7 * 6),
        (nn.GroupNorm(2, 4), [2, 4, 3, 3], 2 * 4 * 3 * 3),
        (nn.RMSNorm(6), [3, 7, 6], None),  # decomposed into element-wise ops; counted below
        (nn.Softmax(dim=-1), [4, 9], 4 * 9),
        (nn.ReLU(), [4, 9], 4 * 9),
        (nn.GELU(), [4, 9], 4 * 9),
        (nn.SiLU(), [4, 9], 4 * 9),
        # pooling: output elements × window: 2×3×3 outputs, 2·2 window
        (nn.MaxPool2d(2), [1, 2, 6, 6], 2 * 3 * 3 * 4),
        (nn.AvgPool2d(3, stride=1), [1, 2, 5, 5], 2 * 3 * 3 * 9),
        # adaptive pooling reads every input element once
        (nn.AdaptiveAvgPool2d(1), [1, 2, 6, 6], 2 * 6 * 6),
        # bilinear interpolation weighs 4 inputs per output: 1·2·8·8 outputs
        (nn.Upsample(scale_factor=2, mode="bilinear"), [1, 2, 4, 4], 2 * 8 * 8 * 4),
        (nn.Upsample(scale_factor=2, mode="nearest"), [1, 2, 4, 4], 0),  # a copy
        (nn.Dropout(0.5), [4, 9], 0),  # eval mode: not run
        (nn.Identity(), [4, 9], 0),
        (nn.Flatten(), [4, 3, 3], 0),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None,
)
def test_non_matmul_families(module: nn.Module, shape: list[int], flops: int | None) -> None:
    stats = _only(nn.Sequential(module), shape, "0")
    assert stats["macs"] == 0
    if flops is not None:
        assert stats["flops"] == flops
    else:
        assert isinstance(stats["flops"], int)
        assert stats["flops"] > 0


def test_rms_norm_counts_its_element_wise_steps() -> None:
    graph = torchscope.trace(nn.Sequential(nn.RMSNorm(6)), [3, 7, 6])
    payload = graph.to_json()
    node = next(n for n in payload["nodes"] if n["id"] == "0")
    assert node["uncounted"] == []
    # at least: square, mean (a reduction), rsqrt, scale by rstd, scale by weight
    assert node["stats"]["flops"] >= 3 * 7 * 6 * 4


class Elementwise(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x * 2 + 1  # 2 ops over 12 elements
        return y.sum(dim=1)  # reduces 12 elements


def test_element_wise_and_reductions() -> None:
    graph = torchscope.trace(Elementwise(), [3, 4])
    assert _node(graph, "mul")["flops"] == 12
    assert _node(graph, "add")["flops"] == 12
    assert _node(graph, "sum")["flops"] == 12
    assert graph.to_json()["totals"]["flops"] == 36


def test_dtypes_decide_bytes() -> None:
    model = nn.Sequential(nn.Linear(8, 8)).to(torch.float16)
    stats = _only(model, [2, 8], "0", dtype=torch.float16)
    assert stats["param_bytes"] == (8 * 8 + 8) * 2
    assert stats["activation_bytes"] == 2 * 8 * 2


def test_buffers_are_their_own_column() -> None:
    stats = _only(nn.Sequential(nn.BatchNorm1d(5)), [4, 5], "0")
    assert stats["param_bytes"] == 2 * 5 * 4  # weight and bias
    assert stats["buffer_bytes"] == 2 * 5 * 4 + 8  # running mean, var and an int64 counter


class Unknown(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.bessel_j0(x) + 1


def test_an_op_without_a_formula_is_listed_never_zero() -> None:
    payload = torchscope.trace(Unknown(), [3, 4]).to_json()
    node = next(n for n in payload["nodes"] if n["op"] == "special_bessel_j0")
    assert node["uncounted"] == ["aten.special_bessel_j0 ×1"]
    assert payload["totals"]["uncounted"] == "aten.special_bessel_j0 ×1"
    table = torchscope.model_stats(Unknown(), [3, 4])
    assert "uncounted: aten.special_bessel_j0 ×1" in str(table)


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def test_tied_weights_count_once_and_say_so() -> None:
    payload = torchscope.trace(Tied(), [2, 3], dtype=torch.long).to_json()
    nodes = {n["id"]: n for n in payload["nodes"]}
    assert nodes["head"]["attrs"]["shares_parameters_with"] == "embed"
    assert nodes["embed"]["attrs"]["shares_parameters_with"] == "head"
    assert payload["totals"]["params"] == 40
    assert nodes["head"]["stats"]["macs"] == 2 * 3 * 4 * 10


def test_groups_sum_their_subtree() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 2))
    payload = torchscope.trace(model, [5, 4]).to_json()
    group = next(g for g in payload["groups"] if g["id"] == "0")
    inner = [n["stats"] for n in payload["nodes"] if n["parent"] == "0"]
    for key in ("macs", "flops", "activation_bytes", "read_bytes", "write_bytes"):
        assert group["stats"][key] == sum(s[key] for s in inner), key
    assert group["stats"]["params"] == 4 * 8 + 8
    assert payload["totals"]["macs"] == 5 * 4 * 8 + 5 * 8 * 2


def test_a_module_called_twice_owns_its_parameters_once() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.fc(x))

    payload = torchscope.trace(Twice(), [1, 4]).to_json()
    stats = {n["id"]: n["stats"] for n in payload["nodes"] if n["kind"] == "module"}
    assert (stats["fc"]["params"], stats["fc#2"]["params"]) == (20, 0)
    assert stats["fc"]["macs"] == stats["fc#2"]["macs"] == 16
    assert payload["totals"]["params"] == 20


# -- the registry's lookups (what the first mutation run of costs.py showed was not pinned down) --

aten = torch.ops.aten


@pytest.mark.parametrize("op", [aten.mm, aten.mm.default], ids=["packet", "overload"])
def test_an_op_costs_and_is_named_the_same_as_a_packet_or_an_overload(op: object) -> None:
    a, b = torch.empty(3, 4, device="meta"), torch.empty(4, 5, device="meta")
    # [3, 4] @ [4, 5]: 3·4·5 MACs
    assert costs.cost_of(op, (a, b), {}, a @ b) == costs.OpCost(macs=60, flops=120)
    assert costs.op_label(op) == "aten.mm"


class Labelled(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.profiler.record_function("scaled"):
            return x * 2


def test_ops_of_other_namespaces_are_found_by_name() -> None:
    # the profiler's enter op reaches the trace as profiler._record_function_enter_new: it marks a
    # range and computes nothing, so the 3·4 multiplications are all and nothing is uncounted
    enter = torch.ops.profiler._record_function_enter_new  # noqa: SLF001
    assert costs.cost_of(enter, ("scaled", None), {}, None) == costs.ZERO != costs.UNCOUNTED
    totals = torchscope.trace(Labelled(), [3, 4]).to_json()["totals"]
    assert (totals["flops"], totals["uncounted"]) == (12, "")


def test_the_registry_skips_op_names_this_torch_lacks() -> None:
    # the registry lists ops of several PyTorch versions; one missing here is left out, not an error
    assert costs._packets("mm", "no_such_op_in_any_torch") == [aten.mm]  # noqa: SLF001
