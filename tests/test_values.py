"""Values traces (``values=True``): every statistic against an independent computation.

The truths here are forward hooks of the test's own, which compute each leaf module's output
statistics with plain float64 torch ops on a separate, hook-only forward (no torchscope running),
NumPy's histogram of the same symmetric-log mapping, and models built to break at a known layer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope import schema
from torchscope.trace.observe import BINS, LINEAR
from torchscope.trace.records import ValueSummary
from unchanged import Fingerprint


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.bn(self.conv1(x)))
        y = y + self.conv2(y)
        return self.fc(torch.flatten(self.pool(y), 1))


class SmallTransformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.norm1 = nn.LayerNorm(16)
        self.up = nn.Linear(16, 32)
        self.gelu = nn.GELU()
        self.down = nn.Linear(32, 16)
        self.norm2 = nn.LayerNorm(16)
        self.head = nn.Linear(16, 50)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        x = self.norm1(x + self.attn(x, x, x)[0])
        x = self.norm2(x + self.down(self.gelu(self.up(x))))
        return self.head(x)


def hooked_truths(model: nn.Module, *inputs: torch.Tensor) -> dict[str, list[dict[str, float]]]:
    """Each leaf module's output statistics, from forward hooks on a plain forward (float64 ops)."""
    found: dict[str, list[dict[str, float]]] = {}
    handles = []
    for name, module in model.named_modules():
        if name and (next(module.children(), None) is None or isinstance(module, nn.MultiheadAttention)):

            def hook(_: nn.Module, __: object, output: object, name: str = name) -> None:
                tensors = (
                    [output] if isinstance(output, torch.Tensor) else [o for o in output if o is not None]
                )  # type: ignore[attr-defined]
                found[name] = [truth(t) for t in tensors]

            handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return found


def truth(tensor: torch.Tensor) -> dict[str, Any]:
    x = tensor.detach().double().reshape(-1)
    finite = x[torch.isfinite(x)]
    top = finite.abs().max().item() if finite.numel() else 0.0
    values = finite.numpy()
    # all zeros: every element sits at 0, in the bin just above it
    folded = (
        np.sign(values) * np.log1p(np.abs(values) / (top * LINEAR)) / math.log1p(1 / LINEAR)
        if top
        else values
    )
    return {
        "mean": finite.mean().item(),
        "std": finite.std(correction=0).item(),
        "min": finite.min().item(),
        "max": finite.max().item(),
        "absmax": top,
        "zeros": (x == 0).double().mean().item(),
        "nan": int(torch.isnan(x).sum()),
        "inf": int(torch.isinf(x).sum()),
        "norm": torch.linalg.norm(finite).item(),
        "histogram": np.histogram(folded, bins=BINS, range=(-1, 1))[0],
    }


def assert_matches(summary: ValueSummary | None, expected: dict[str, Any], where: str) -> None:
    assert summary is not None, where
    got = {
        "mean": summary.mean,
        "std": summary.std,
        "min": summary.min,
        "max": summary.max,
        "absmax": summary.absmax,
        "zeros": summary.zero_fraction,
        "nan": summary.nan,
        "inf": summary.inf,
        "norm": summary.norm,
    }
    for key, value in got.items():
        assert value == pytest.approx(expected[key], rel=1e-5, abs=1e-6), f"{where}.{key}"
    # float32 against float64 mapping: an element on a bin edge may land one bin over
    assert sum(summary.histogram) == summary.finite, where
    moved = np.abs(np.array(summary.histogram) - expected["histogram"]).sum()
    assert moved <= 2 + summary.finite // 1000, (
        f"{where}.histogram: {summary.histogram} vs {expected['histogram']}"
    )


@pytest.mark.parametrize(
    ("model", "inputs"),
    [
        (SmallCNN(), (torch.randn(2, 3, 8, 8),)),
        (SmallTransformer(), (torch.randint(0, 50, (2, 7)),)),
    ],
    ids=["cnn", "transformer"],
)
def test_outputs_match_forward_hooks(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
    model.eval()
    expected = hooked_truths(model, *inputs)
    graph = ts.trace(model, inputs=inputs, values=True)
    assert graph.device == "cpu"
    assert len(expected) >= 6
    for name, truths in expected.items():
        values = graph.values(name)
        assert len(values.outputs) == len(truths), name
        for i, (summary, wanted) in enumerate(zip(values.outputs, truths, strict=True)):
            assert_matches(summary, wanted, f"{name}[{i}]")
    # the payload carries the same, to four significant digits
    payload = schema.validate(graph.to_json())
    for node in payload["nodes"]:
        if node["id"] in expected and len(expected[node["id"]]) == 1:
            wanted = expected[node["id"]][0]
            assert node["stats"]["value_std"] == pytest.approx(wanted["std"], rel=1e-3)
            assert node["stats"]["value_absmax"] == pytest.approx(wanted["absmax"], rel=1e-3)
            assert node["values"]["outputs"][0]["counts"] == list(
                graph.values(node["id"]).outputs[0].histogram
            )  # type: ignore[union-attr]


def test_parameters_match_their_tensors() -> None:
    model = SmallCNN().eval()
    graph = ts.trace(model, [2, 3, 8, 8], values=True)
    seen: dict[str, ValueSummary] = {}
    for node in graph.nodes:
        seen.update(graph.values(node.id).params)
    assert set(seen) == {name for name, _ in model.named_parameters()}
    for name, param in model.named_parameters():
        assert_matches(seen[name], truth(param), name)
    assert set(graph.values("conv1").params) == {"conv1.weight", "conv1.bias"}


def test_inputs_made_from_shapes_are_seeded_and_stated() -> None:
    model = SmallCNN().eval()
    graph = ts.trace(model, [2, 3, 8, 8], values=True)
    made = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert_matches(graph.values("input").outputs[0], truth(made), "input")
    assert graph.to_json()["model"]["values"] == {"linear": LINEAR, "seed": 0, "origin": None}
    given = ts.trace(model, inputs=made, values=True)
    assert given.to_json()["model"]["values"]["seed"] is None


class LogOfNegative(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.before = nn.Linear(4, 4)
        self.after = nn.Linear(4, 4)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.log(self.before(x) - 100)  # every element negative: NaN
        return self.act(self.after(y)).sum(dim=-1)


class Divide(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / torch.zeros_like(x)


class DivisionByZero(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.before = nn.Linear(4, 4)
        self.div = Divide()
        self.norm = nn.LayerNorm(4)
        self.after = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.after(self.norm(self.div(self.before(x))))


class HalfOverflow(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.before = nn.Linear(16, 16)
        self.big = nn.Linear(16, 16, bias=False)
        self.norm = nn.LayerNorm(16)
        self.after = nn.Linear(16, 4)
        with torch.no_grad():
            self.big.weight.fill_(100.0)  # 16 × 100 × |x| ≥ 65504 for |x| ≥ 41

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.after(self.norm(self.big(self.before(x) * 0 + 50)))


def _later(graph: ts.ModelGraph, origin: str) -> Iterator[str]:
    ids = [n.id for n in graph.nodes if n.kind != "output"]
    yield from ids[ids.index(origin) + 1 :]


@pytest.mark.parametrize(
    ("model", "origin", "dtype"),
    [
        (LogOfNegative(), "log", torch.float32),
        (DivisionByZero(), "div", torch.float32),
        (HalfOverflow(), "big", torch.float16),
    ],
    ids=["log-of-negative", "division-by-zero", "fp16-matmul-overflow"],
)
def test_nonfinite_origin_is_the_layer_that_made_it(
    model: nn.Module, origin: str, dtype: torch.dtype
) -> None:
    model = model.to(dtype).eval()
    graph = ts.trace(model, inputs=torch.randn(3, model.before.in_features, dtype=dtype), values=True)
    assert graph.first_nonfinite() == origin
    ids = [n.id for n in graph.nodes if n.kind != "output"]
    for before in ids[: ids.index(origin)]:
        pooled = graph.values(before).pooled
        assert pooled is not None, before
        assert pooled.nan == pooled.inf == 0, before
    later = list(_later(graph, origin))
    assert later, "the model has layers after the origin"
    for node in [origin, *later]:
        pooled = graph.values(node).pooled
        assert pooled is not None, node
        assert pooled.nan + pooled.inf > 0, node
    payload = schema.validate(graph.to_json())
    assert payload["model"]["values"]["origin"] == origin
    flagged = [
        n["id"] for n in payload["nodes"] if n["stats"].get("value_nan") or n["stats"].get("value_inf")
    ]
    assert flagged == [origin, *later]


def test_finite_model_has_no_origin() -> None:
    assert ts.trace(SmallCNN().eval(), [1, 3, 8, 8], values=True).first_nonfinite() is None


def test_zeroed_weights_show_exactly_where() -> None:
    model = SmallCNN().eval()
    with torch.no_grad():
        model.bn.bias.fill_(0.1)  # BatchNorm starts with a zero bias: not one of ours
        model.conv2.weight.zero_()
        model.fc.bias.zero_()
    graph = ts.trace(model, [2, 3, 8, 8], values=True)
    params: dict[str, ValueSummary] = {}
    for node in graph.nodes:
        params.update(graph.values(node.id).params)
    zeroed = {name for name, s in params.items() if s.zero_fraction == 1.0 and s.norm == 0}
    assert zeroed == {"conv2.weight", "fc.bias"}
    for name, summary in params.items():
        if name not in zeroed:
            assert summary.norm > 0, name
            assert summary.zero_fraction < 1, name
    by_name = {p["name"]: p for n in graph.to_json()["nodes"] for p in n.get("values", {}).get("params", [])}
    assert by_name["conv2.weight"]["zeros"] == 1.0
    assert by_name["conv2.weight"]["norm"] == 0
    assert by_name["conv1.weight"]["zeros"] == 0


def test_model_and_rng_are_left_as_they_were() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 2))
    before = Fingerprint.of(model)
    ts.trace(model, [4, 4], values=True, train=True)  # dropout draws from the RNG, BatchNorm updates
    ts.trace(model, [4, 4], values=True)
    before.assert_same(model)


def test_a_group_shows_what_leaves_it() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), nn.Linear(4, 2))
    graph = ts.trace(model, [3, 4], values=True)
    group = next(g for g in graph.to_json()["groups"] if g["id"] == "0")
    relu = graph.values("0.1").pooled
    assert relu is not None
    assert group["stats"]["value_zeros"] == pytest.approx(relu.zero_fraction, rel=1e-3)
    assert group["stats"]["value_max"] == pytest.approx(relu.max, rel=1e-3)


def test_pooled_outputs_add_up() -> None:
    class Split(nn.Module):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return torch.chunk(x, 2, dim=1)

    x = torch.tensor([[1.0, 2.0, 0.0, -4.0]])
    graph = ts.trace(Split(), inputs=x, values=True)
    node = next(n for n in graph.nodes if n.op == "chunk")
    pooled = graph.values(node.id).pooled
    assert pooled is not None
    assert (pooled.mean, pooled.min, pooled.max, pooled.zero_fraction) == (-0.25, -4.0, 2.0, 0.25)
    assert pooled.std == pytest.approx(float(x.std(correction=0)))


def test_payload_stays_a_few_hundred_bytes_per_node() -> None:
    model = SmallCNN().eval()
    plain = ts.trace(model, [1, 3, 8, 8], device="cpu").to_json()
    big = ts.trace(model, [64, 3, 96, 96], values=True).to_json()  # ~5M elements per activation
    small = ts.trace(model, [1, 3, 8, 8], values=True).to_json()

    def per_node(payload: schema.Payload) -> float:
        return len(json.dumps(payload, separators=(",", ":"))) / len(payload["nodes"])

    assert per_node(small) - per_node(plain) < 700
    assert per_node(big) - per_node(plain) < 900  # counts grow by digits, not by elements


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device": "meta"}, "device='meta' was asked for"),
        ({"values": "yes"}, "values must be True or False"),
    ],
)
def test_bad_requests_say_what_is_wrong(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        ts.trace(SmallCNN(), [1, 3, 8, 8], **{"values": True, **kwargs})


def test_a_model_on_meta_has_no_values() -> None:
    with torch.device("meta"):
        model = SmallCNN()
    with pytest.raises(ValueError, match="parameters live on meta"):
        ts.trace(model, [1, 3, 8, 8], values=True)


def test_a_trace_without_values_says_so() -> None:
    graph = ts.trace(SmallCNN(), [1, 3, 8, 8])
    with pytest.raises(ValueError, match="values=True"):
        graph.values("conv1")
    with pytest.raises(ValueError, match="values=True"):
        graph.first_nonfinite()
    with pytest.raises(KeyError, match="no node"):
        ts.trace(SmallCNN(), [1, 3, 8, 8], values=True).values("nope")


def test_statistics_are_over_the_finite_elements() -> None:
    class Log(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.log(x)

    x = torch.tensor([[-1.0, 0.0, 0.5, 2.0, 3.0, -2.0, 1.0, 4.0]])
    graph = ts.trace(Log(), inputs=x, values=True)
    summary = graph.values("log").outputs[0]
    assert summary is not None
    assert (summary.count, summary.finite, summary.nan, summary.inf) == (8, 5, 2, 1)
    assert_matches(summary, truth(torch.log(x)), "log")


def test_model_stats_draw_model_and_the_cli_take_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from torchscope.cli import main  # only this test runs the command

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    table = ts.model_stats(model, [3, 4], values=True)
    relu = next(r for r in table.rows if r["type"] == "ReLU")
    assert relu["value_min"] == 0
    assert table.sorted_by("value_zeros").rows[0]["name"] == "1"  # ReLU zeroes what is negative
    assert "value_mean" not in ts.model_stats(model, [3, 4]).columns
    view = ts.draw_model(model, [3, 4], values=True)
    assert view.document["model"]["values"]["origin"] is None
    target = ["torch.nn:Linear", "--kwargs", '{"in_features": 3, "out_features": 4}', "--input-shape", "2,3"]
    assert main(["stats", *target, "--values", "--csv", str(tmp_path / "t.csv")]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header[-6:] == ["value_mean", "value_std", "value_absmax", "value_zeros", "value_nan", "value_inf"]
    assert "value_inf" in (tmp_path / "t.csv").read_text().splitlines()[0]
