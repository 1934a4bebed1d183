"""The formulas added for frontier models and real code, each against arithmetic done by hand.

Grouped matmuls (mixture-of-experts), vector products, recurrent layers on oneDNN, scatter and
index reductions, histograms, weight norm, triangular solves, FFTs, binary searches; and a check
that every op name the registry lists is an ATen op it can reach.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from torchscope import costs

aten = torch.ops.aten
pytestmark = [
    # PyTorch's notes on the APIs these ops come from, not about anything measured here
    pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning"),
    pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta:UserWarning"),
    pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN:UserWarning"),
]


class Call(nn.Module):
    """A model whose forward is one function of its inputs."""

    def __init__(self, fn: Callable[..., object]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> object:
        return self.fn(*xs)


def _totals(fn: Callable[..., object], *inputs: torch.Tensor, device: str = "meta") -> tuple[int, int, str]:
    totals = torchscope.trace(Call(fn), inputs=inputs, device=device).to_json()["totals"]
    return int(totals["macs"]), int(totals["flops"]), str(totals["uncounted"])  # type: ignore[arg-type]


OFFSETS = torch.tensor([2, 5, 10], dtype=torch.int32)  # three experts get 2, 3 and 5 of 10 rows
# the four layouts of a grouped matmul: (a, b, offsets, MACs by hand)
GROUPED = {
    # rows split between experts: Σ m_g·K·N = (2 + 3 + 5)·8·16
    "2d x 3d": ((10, 8), (3, 8, 16), OFFSETS, 10 * 8 * 16),
    # one batch per group: G·M·K·N
    "3d x 3d": ((3, 10, 8), (3, 8, 16), None, 3 * 10 * 8 * 16),
    # columns split: each of N_total = 48 columns meets its group's [10, 8]: M·K·N_total
    "3d x 2d": ((3, 10, 8), (8, 48), torch.tensor([16, 32, 48], dtype=torch.int32), 10 * 8 * 48),
    # the contraction split (weight gradients): M·N·K_total
    "2d x 2d": ((10, 24), (24, 16), torch.tensor([8, 16, 24], dtype=torch.int32), 10 * 16 * 24),
}


@pytest.mark.parametrize("layout", list(GROUPED))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_grouped_matmul_counts_every_row_once_whatever_the_routing(
    layout: str, dtype: torch.dtype, device: str
) -> None:
    a_shape, b_shape, offsets, macs = GROUPED[layout]
    a, b = torch.randn(a_shape, dtype=dtype), torch.randn(b_shape, dtype=dtype)

    def grouped(x: torch.Tensor, w: torch.Tensor, *offs: torch.Tensor) -> torch.Tensor:
        return torch._grouped_mm(x, w, offs=offs[0] if offs else None)  # noqa: SLF001

    extra = () if offsets is None else (offsets,)
    assert _totals(grouped, a, b, *extra, device=device) == (macs, 2 * macs, "")


@pytest.mark.parametrize("layout", list(GROUPED))
def test_the_float32_grouped_matmul_meta_refuses_is_answered_as_the_cpu_kernel_answers(layout: str) -> None:
    a_shape, b_shape, offsets, _ = GROUPED[layout]
    a, b = torch.randn(a_shape), torch.randn(b_shape)
    real = torch._grouped_mm(a, b, offs=offsets)  # noqa: SLF001
    graph = torchscope.trace(
        Call(lambda x, w, *o: torch._grouped_mm(x, w, offs=o[0] if o else None)),  # noqa: SLF001
        inputs=(a, b) if offsets is None else (a, b, offsets),
        device="meta",
    )
    assert graph.nodes[-1].inputs[0].shape == tuple(real.shape)
    assert graph.nodes[-1].inputs[0].dtype == "float32"


def test_a_grouped_matmul_of_mismatched_sizes_still_fails_on_meta() -> None:
    with pytest.raises(torchscope.TraceError, match="contraction dimension"):
        _totals(
            lambda x, w, o: torch._grouped_mm(x, w, offs=o),  # noqa: SLF001
            torch.randn(10, 8),
            torch.randn(3, 4, 16),
            OFFSETS,
        )


def test_transformers_grouped_mm_fallback_counts_like_grouped_mm() -> None:
    pytest.importorskip("transformers.integrations.moe")
    fallback = torch.ops.transformers.grouped_mm_fallback
    # [S, K]·[E, K, N] → [S, N]: S·K·N = 10·8·16
    assert _totals(
        lambda x, w, o: fallback(x, w, offs=o), torch.randn(10, 8), torch.randn(3, 8, 16), OFFSETS
    ) == (
        1280,
        2560,
        "",
    )


VECTOR_PRODUCTS = [
    # [4, 5] @ [5]: 4·5 MACs
    ("mv", torch.mv, [(4, 5), (5,)], 20, 40),
    ("matmul 2-D @ 1-D", lambda m, v: m @ v, [(4, 5), (5,)], 20, 40),
    ("dot", torch.dot, [(5,), (5,)], 5, 10),
    ("vdot", torch.vdot, [(5,), (5,)], 5, 10),
    # bias [4] + [4, 5] @ [5]: 20 MACs, 4 bias additions
    ("addmv", torch.addmv, [(4,), (4, 5), (5,)], 20, 44),
    # [4, 6] + Σ over 3 of [4, 5] @ [5, 6]: 3·4·5·6 MACs, 4·6 bias additions
    ("addbmm", torch.addbmm, [(4, 6), (3, 4, 5), (3, 5, 6)], 360, 744),
    # relu(bias [6] + [4, 5] @ [5, 6]): 120 MACs, then a bias and a relu per output element
    ("_addmm_activation", torch._addmm_activation, [(6,), (4, 5), (5, 6)], 120, 288),  # noqa: SLF001
]


@pytest.mark.parametrize(
    ("name", "fn", "shapes", "macs", "flops"), VECTOR_PRODUCTS, ids=[v[0] for v in VECTOR_PRODUCTS]
)
def test_vector_products(
    name: str, fn: Callable[..., object], shapes: list[tuple[int, ...]], macs: int, flops: int
) -> None:
    del name
    assert _totals(fn, *(torch.randn(s) for s in shapes)) == (macs, flops, "")


def test_fp8_scaled_matmul() -> None:
    a = torch.empty(16, 32, dtype=torch.float8_e4m3fn)
    b = torch.empty(16, 32, dtype=torch.float8_e4m3fn)
    one = torch.ones(())

    def scaled(x: torch.Tensor, w: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return torch._scaled_mm(x, w.t(), s, s, out_dtype=torch.bfloat16)  # noqa: SLF001

    # [16, 32] @ [32, 16]: 16·32·16 MACs
    assert _totals(scaled, a, b, one) == (8192, 16384, "")


def _target() -> torch.Tensor:
    return torch.zeros(5, 3)


REDUCTIONS = [
    # one FLOP per element folded in: index [4, 3] → 12
    ("scatter_add_", lambda x, i, s: x.scatter_add_(0, i, s), 12),
    ("scatter_add", lambda x, i, s: torch.scatter_add(x, 0, i, s), 12),
    ("scatter_reduce_", lambda x, i, s: x.scatter_reduce_(0, i, s, "amax"), 12),
    ("scatter with reduce", lambda x, i, s: x.scatter_(0, i, s, reduce="add"), 12),
    ("scatter without reduce", lambda x, i, s: x.scatter_(0, i, s), 0),
    # source [4, 3] rows added at 4 indices of dim 0: 12
    ("index_add_", lambda x, i, s: x.index_add_(0, i[:, 0], s), 12),
    ("index_reduce_", lambda x, i, s: x.index_reduce_(0, i[:, 0], s, "prod"), 12),
    # x[i] += s, accumulated: 4 index rows × 3 columns
    ("index_put_ accumulate", lambda x, i, s: x.index_put_((i[:, 0],), s, accumulate=True), 12),
    ("index_put_", lambda x, i, s: x.index_put_((i[:, 0],), s), 0),
]


@pytest.mark.parametrize(("name", "fn", "flops"), REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_scatter_and_index_reductions(name: str, fn: Callable[..., object], flops: int, device: str) -> None:
    del name
    index = torch.tensor([[0, 1, 2], [4, 4, 4], [1, 0, 3], [2, 2, 0]])
    assert _totals(fn, _target(), index, torch.randn(4, 3), device=device) == (0, flops, "")


def test_an_accumulating_boolean_mask_counts_what_it_selects_on_real_tensors() -> None:
    mask = torch.tensor([True, False, True, False, False])
    # 2 rows selected × 3 columns, on the CPU; on meta all 5 rows, the bound
    fn = lambda x, m, s: x.index_put_((m,), s, accumulate=True)  # noqa: E731
    assert _totals(fn, _target(), mask, torch.randn(3), device="cpu")[1] == 6
    assert _totals(fn, _target(), mask, torch.randn(3), device="meta")[1] == 15


def test_histogram_and_binary_searches() -> None:
    # one bin lookup per element
    assert _totals(lambda x: torch.histc(x, bins=4, min=0, max=1), torch.randn(8)) == (0, 8, "")
    # ⌈log2(5 + 1)⌉ = 3 comparisons for each of 8 values
    boundaries = torch.arange(5.0)
    assert _totals(torch.bucketize, torch.randn(8), boundaries) == (0, 24, "")
    assert _totals(lambda v, b: torch.searchsorted(b, v), torch.randn(8), boundaries) == (0, 24, "")


def test_weight_norm_parametrization() -> None:
    layer = nn.utils.parametrizations.weight_norm(nn.Linear(5, 7))
    macs, flops, uncounted = _totals(layer, torch.randn(2, 5))
    # w = g·v/‖v‖ with v [7, 5], g [7, 1]: 2·35 + 7 = 77; then the linear: 2·5·7 MACs, 2·7 biases
    assert (macs, uncounted) == (70, "")
    assert flops == 77 + 2 * 70 + 14


def test_spectral_norm_counts_its_vector_products() -> None:
    layer = nn.utils.parametrizations.spectral_norm(nn.Linear(5, 7)).eval()
    macs, _, uncounted = _totals(layer, torch.randn(2, 5))
    # in eval: σ = vdot(u, mv(W, v)), W [7, 5]: 35 + 7 MACs; then the linear: 2·5·7
    assert (macs, uncounted) == (35 + 7 + 70, "")


@pytest.mark.parametrize(
    ("fn", "shapes", "macs", "flops"),
    [
        # A [3, 4, 4], B [3, 4, 2]: 3·2 = 6 columns, each 4·3/2 = 6 MACs and 4 divisions
        (lambda a, b: torch.linalg.solve_triangular(a, b, upper=False), [(3, 4, 4), (3, 4, 2)], 36, 72 + 24),
        (
            lambda a, b: torch.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
            [(3, 4, 4), (3, 4, 2)],
            36,
            72,
        ),
        # X A = B with B [3, 2, 4]: 6 rows, each 6 MACs and 4 divisions
        (
            lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, left=False),
            [(3, 4, 4), (3, 2, 4)],
            36,
            96,
        ),
        # the old API, B first: 2 columns of a 4 × 4 system
        (lambda a, b: torch.triangular_solve(b, a).solution, [(4, 4), (4, 2)], 12, 32),
    ],
)
def test_triangular_solves(
    fn: Callable[..., object], shapes: list[tuple[int, ...]], macs: int, flops: int
) -> None:
    assert _totals(fn, *(torch.randn(s) for s in shapes)) == (macs, flops, "")


@pytest.mark.parametrize(
    ("fn", "x", "flops"),
    [
        # complex transforms of length 16 over 8·16 = 128 elements: 5·128·log2(16), halved: real input
        (torch.fft.fft, torch.randn(8, 16), 1280),
        (torch.fft.rfft, torch.randn(8, 16), 1280),
        # both dims of a complex [8, 16]: 5·128·(3 + 4)
        (torch.fft.fftn, torch.randn(8, 16, dtype=torch.complex64), 4480),
        # back to 16 real outputs a row: 2.5·128·4, plus the 1/n scaling of each of 128 outputs
        (torch.fft.irfft, torch.randn(8, 9, dtype=torch.complex64), 1280 + 128),
        # "ortho" scales the forward transform too
        (lambda x: torch.fft.rfft(x, norm="ortho"), torch.randn(8, 16), 1280 + 8 * 9),
    ],
)
def test_ffts(fn: Callable[..., object], x: torch.Tensor, flops: int) -> None:
    assert _totals(fn, x) == (0, flops, "")


def test_complex_numbers_polar_and_reinterpretations() -> None:
    # polar: one element computed per output; view_as_real / view_as_complex only reinterpret
    assert _totals(torch.polar, torch.randn(8), torch.randn(8)) == (0, 8, "")
    assert _totals(lambda x: torch.view_as_real(torch.view_as_complex(x)), torch.randn(8, 2)) == (0, 0, "")


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_counts_the_same_on_onednn_as_decomposed(bias: bool) -> None:  # noqa: FBT001
    model = nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True, bias=bias)
    x = torch.randn(3, 4, 5)
    cpu = torchscope.trace(model, inputs=x, device="cpu").to_json()["totals"]
    meta = torchscope.trace(model, inputs=x, device="meta").to_json()["totals"]
    assert "mkldnn_rnn_layer" not in str(meta["uncounted"])
    assert (cpu["macs"], cpu["flops"], cpu["uncounted"]) == (meta["macs"], meta["flops"], "")
    # by hand: 3·4 = 12 rows per layer and direction, 4·7 = 28 gates; layer 1 reads 5 inputs,
    # layer 2 the 14 of both directions; 7 recurrent inputs each
    macs = 2 * 12 * 28 * (5 + 7) + 2 * 12 * 28 * (14 + 7)
    assert cpu["macs"] == macs == 22_176
    step = 21 if bias else 13  # element-wise FLOPs per row and hidden unit (see formulas_matmul)
    assert cpu["flops"] == 2 * macs + 4 * 12 * 7 * step
    # and PyTorch's own counter, oneDNN off so that the matmuls it knows run
    with (
        torch.backends.mkldnn.flags(enabled=False),
        torch.no_grad(),
        FlopCounterMode(display=False) as counter,
    ):
        model(x)
    assert counter.get_total_flops() // 2 == macs


def test_a_zero_dim_cpu_constant_meets_a_meta_tensor() -> None:
    # SEW-D's masked_fill(mask, torch.tensor(min)): real kernels take it as a number, meta's refuses
    fn = lambda x: x.masked_fill(x > 0, torch.tensor(-1.0))  # noqa: E731
    with torch.device("meta"):
        model = Call(fn)
    graph = torchscope.trace(model, [2, 3], device="meta")
    assert graph.nodes[-1].inputs[0].shape == (2, 3)


NAME_SETS = {"free": costs._FREE, "element-wise": costs._ELEMENTWISE, "reductions": costs._REDUCTIONS}  # noqa: SLF001


@pytest.mark.parametrize("kind", list(NAME_SETS))
def test_every_listed_name_is_an_aten_op_the_registry_can_reach(kind: str) -> None:
    # cost_of looks names up with a trailing "_" stripped (add_ → add): a listed `set_` never matches
    dead = [
        name
        for name in sorted(NAME_SETS[kind])
        if not hasattr(aten, name) or costs._base_name(getattr(aten, name)) != name  # noqa: SLF001
    ]
    assert dead == []


def test_no_name_is_in_two_sets_or_shadowed_by_a_formula() -> None:
    sets = list(NAME_SETS.values())
    assert all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :])
    named = {costs._base_name(p) for p in costs._FORMULAS}  # noqa: SLF001
    assert named.isdisjoint(costs._FREE | costs._ELEMENTWISE | costs._REDUCTIONS)  # noqa: SLF001
