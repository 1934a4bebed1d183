"""``torchscope.diff`` of two values traces: each node's relative L2 change against the exact one.

The truth is computed here from both models' real outputs, captured by forward hooks on plain
forwards. The traces keep only a 256-bucket sketch, whose estimate has a relative standard
deviation of about 4.4 % on the norm; its hash is seeded, so each figure below is the same on every
run, and 25 % is more than five standard deviations.
"""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope import schema


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 64), nn.LayerNorm(64), nn.ReLU(), nn.Linear(64, 8)
    ).eval()


def exact_changes(a: nn.Module, b: nn.Module, x_a: torch.Tensor, x_b: torch.Tensor) -> dict[str, float]:
    """‖b − a‖ / ‖a‖ of each child's output, from hooks on plain forwards."""
    outputs: list[dict[str, torch.Tensor]] = [{}, {}]
    handles = []
    for side, model in enumerate((a, b)):
        for name, child in model.named_children():

            def keep(_: nn.Module, __: object, out: torch.Tensor, name: str = name, side: int = side) -> None:
                outputs[side][name] = out.detach().double()

            handles.append(child.register_forward_hook(keep))
    with torch.no_grad():
        a(x_a)
        b(x_b)
    for handle in handles:
        handle.remove()
    return {
        name: float((outputs[1][name] - outputs[0][name]).norm() / outputs[0][name].norm())
        for name in outputs[0]
        if name in outputs[1]
    }


def test_bf16_against_fp32_matches_the_exact_change() -> None:
    a = mlp()
    b = copy.deepcopy(a).to(torch.bfloat16)
    x = torch.randn(16, 32)
    d = ts.diff(ts.trace(a, inputs=x, values=True), ts.trace(b, inputs=x.bfloat16(), values=True))
    assert d.value_changes is not None
    exact = exact_changes(a, b, x, x.bfloat16())
    assert len(exact) == 6
    for name, truth in exact.items():
        assert truth > 1e-4, name  # bf16 moves every layer a little
        assert d.value_changes[name] == pytest.approx(truth, rel=0.25), name
    x_change = float((x.bfloat16().double() - x.double()).norm() / x.double().norm())
    assert d.value_changes["input"] == pytest.approx(x_change, rel=0.25)


def test_dynamic_quantization_reports_the_layers_it_still_pairs() -> None:
    a = mlp()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        b = torch.ao.quantization.quantize_dynamic(copy.deepcopy(a), {nn.Linear}, dtype=torch.qint8)
    x = torch.randn(16, 32)
    d = ts.diff(a, b, inputs=x, values=True)
    assert d.value_changes is not None
    exact = exact_changes(a, b, x, x)
    assert len(exact) == 6
    for name, truth in exact.items():
        assert d.value_changes[name] == pytest.approx(truth, rel=0.25), name
    # a quantized Linear is a module with children (its packed weights): structurally the float
    # layer is removed and the module added, but the change is measured on the module that replaced it
    assert d.status("0") == "added"
    assert d.pair("0") == (None, "0")
    assert d.largest_value_changes(1)[0][1] == max(c for c in d.value_changes.values() if c is not None)


def test_a_block_changes_by_what_leaves_it() -> None:
    torch.manual_seed(0)
    a = nn.Sequential(
        nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16)),
        nn.Sequential(nn.Linear(16, 16), nn.Tanh()),
    ).eval()
    b = copy.deepcopy(a)
    with torch.no_grad():  # only the block's last layer moves: its output doubles, nothing before it
        b[0][2].weight.mul_(2)
        b[0][2].bias.mul_(2)
    x = torch.randn(8, 16)
    d = ts.diff(a, b, inputs=x, values=True)
    assert d.value_changes is not None
    assert d.value_changes["0"] == pytest.approx(1.0, rel=0.25)  # ‖2y − y‖ / ‖y‖ of what leaves it
    assert d.value_changes["0.0"] == 0.0
    exact = exact_changes(a, b, x, x)  # the second block's output, from a hook
    assert d.value_changes["1"] == pytest.approx(exact["1"], rel=0.25)
    payload = schema.validate(d.payload)
    group = next(g for g in payload["groups"] if g["id"] == "0")
    assert group["stats"]["value_change"] == pytest.approx(d.value_changes["0"], rel=1e-3)


def test_identical_runs_change_by_exactly_zero() -> None:
    model = mlp()
    d = ts.diff(ts.trace(model, [4, 32], values=True), ts.trace(model, [4, 32], values=True))
    assert d.value_changes is not None
    assert set(d.value_changes.values()) == {0.0}


def test_a_doubled_layer_changes_by_one() -> None:
    a = mlp()
    b = copy.deepcopy(a)
    with torch.no_grad():
        b[5].weight.mul_(2)
        b[5].bias.mul_(2)
    d = ts.diff(a, b, [4, 32], values=True)
    assert d.value_changes is not None
    assert d.value_changes["5"] == pytest.approx(1.0, rel=0.25)  # ‖2y − y‖ / ‖y‖
    assert d.value_changes["4"] == 0.0
    # the structure is the same; values (parameters' and outputs') never decide a status
    assert d.status("5") == d.status("4") == "same"


def test_the_merged_payload_and_the_reports_carry_the_change() -> None:
    a = mlp()
    b = copy.deepcopy(a).to(torch.bfloat16)
    x = torch.randn(4, 32)
    d = ts.diff(ts.trace(a, inputs=x, values=True), ts.trace(b, inputs=x.bfloat16(), values=True))
    payload = schema.validate(d.payload)
    column = next(c for c in payload["columns"] if c["key"] == "value_change")
    assert column["kind"] == "value"
    by_id = {n["id"]: n for n in payload["nodes"]}
    assert by_id["3"]["stats"]["value_change"] == pytest.approx(d.value_changes["3"], rel=1e-3)  # type: ignore[index]
    assert {r["id"]: r["value_change"] for r in d.rows}["3"] == d.value_changes["3"]  # type: ignore[index]
    assert "largest relative L2 change of the outputs" in str(d)
    assert "relative L2 change of the outputs" in d.to_markdown()


def test_one_side_without_values_is_refused() -> None:
    model = mlp()
    with pytest.raises(ValueError, match="model_b was not"):
        ts.diff(ts.trace(model, [4, 32], values=True), ts.trace(model, [4, 32]))
    plain = ts.diff(ts.trace(model, [4, 32]), ts.trace(model, [4, 32]))
    assert plain.value_changes is None
    with pytest.raises(ValueError, match="values=True"):
        plain.largest_value_changes()


def test_a_shift_of_every_element_is_measured_too() -> None:
    # a change of one sign everywhere: only the sketch's random signs keep it from adding up
    a = mlp()
    b = copy.deepcopy(a)
    with torch.no_grad():
        b[5].bias.add_(0.01)
    x = torch.randn(64, 32)
    d = ts.diff(a, b, inputs=x, values=True)
    assert d.value_changes is not None
    exact = exact_changes(a, b, x, x)["5"]
    assert d.value_changes["5"] == pytest.approx(exact, rel=0.25)
