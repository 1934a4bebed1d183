"""hardware=: a roofline lower bound per node, against times computed by hand."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import torchscope
from torchscope import schema

F32 = 4
# round figures, so that every time below is arithmetic on the page
TOY = torchscope.Hardware(
    "toy", matmul_flops={"float32": 1e12, "bfloat16": 4e12}, vector_flops=1e11, bandwidth=1e9
)


def _payload(model: nn.Module, shape: list[int], **kwargs: object) -> schema.Payload:
    return schema.validate(torchscope.trace(model, shape, hardware=TOY, **kwargs).to_json())  # type: ignore[arg-type]


def test_a_small_linear_is_memory_bound() -> None:
    node = next(n for n in _payload(nn.Linear(10, 20), [8, 10])["nodes"] if n["id"] == "Linear")
    moved = 8 * 10 * F32 + (10 * 20 + 20) * F32 + 8 * 20 * F32  # input, weight and bias, output
    assert node["stats"]["time_ms"] == pytest.approx(moved / 1e9 * 1e3)
    assert node["stats"]["bound"] == "memory"
    flops = 2 * 8 * 10 * 20 + 8 * 20  # matmul, bias
    assert node["stats"]["intensity"] == pytest.approx(flops / moved)


def test_a_big_matmul_is_compute_bound_at_its_dtypes_rate() -> None:
    fast = torchscope.Hardware("fast memory", {"float32": 1e12, "bfloat16": 4e12}, 1e11, bandwidth=1e15)
    for dtype, rate in ((torch.float32, 1e12), (torch.bfloat16, 4e12)):
        model = nn.Linear(1024, 1024, bias=False).to(dtype)
        graph = torchscope.trace(model, [4096, 1024], dtype=dtype, hardware=fast)
        stats = graph.to_json()["nodes"][1]["stats"]
        assert stats["bound"] == "compute"
        assert stats["time_ms"] == pytest.approx(2 * 4096 * 1024 * 1024 / rate * 1e3)


def test_the_step_time_adds_forward_backward_and_the_optimizer() -> None:
    payload = _payload(nn.Linear(10, 20), [8, 10], training=True)
    totals = payload["totals"]
    params = (10 * 20 + 20) * F32
    optimizer = (2 * params + params + 2 * 2 * params) / 1e9 * 1e3  # params, grads, AdamW's 2 states
    step = float(totals["time_ms"]) + float(totals["backward_time_ms"]) + optimizer  # type: ignore[arg-type]
    assert totals["step_time_ms"] == pytest.approx(step)
    # backward: the gradients of input and output cross memory, parameters are read, gradients written
    node = payload["nodes"][1]["stats"]
    moved = 8 * 10 * F32 + params + 8 * 20 * F32 + params
    assert node["backward_time_ms"] == pytest.approx(moved / 1e9 * 1e3)
    assert totals["hardware"] == "toy"


def test_groups_sum_their_nodes() -> None:
    payload = _payload(nn.Sequential(nn.Sequential(nn.Linear(10, 20), nn.ReLU())), [8, 10])
    group = next(g for g in payload["groups"] if g["id"] == "0")
    times = [n["stats"]["time_ms"] for n in payload["nodes"] if n["parent"] == "0"]
    assert group["stats"]["time_ms"] == pytest.approx(sum(times))  # type: ignore[arg-type]


def test_known_accelerators_and_bad_names() -> None:
    payload = schema.validate(torchscope.trace(nn.Linear(4, 4), [2, 4], hardware="h100-sxm").to_json())
    assert payload["totals"]["hardware"] == "h100-sxm"
    with pytest.raises(ValueError, match=r"hardware='h900'.*h100-sxm"):
        torchscope.trace(nn.Linear(4, 4), [2, 4], hardware="h900")
    with pytest.raises(ValueError, match="needs a 'float32' entry"):
        torchscope.Hardware("x", {"bfloat16": 1.0}, 1.0, 1.0)
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        torchscope.Hardware("x", {"float32": 1.0}, 1.0, 0.0)
    keys = {c["key"] for c in torchscope.trace(nn.Linear(4, 4), [2, 4]).to_json()["columns"]}
    assert "time_ms" not in keys
