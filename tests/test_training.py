"""training=: saved activations, gradients, optimizer state and backward costs, against hand counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

import torchscope
from torchscope import schema
from torchscope.cli import main
from unchanged import Fingerprint

B, F32 = 8, 4  # the batch, and the bytes of a float32


def _stats(model: nn.Module, shape: list[int], **spec: object) -> dict[str, dict[str, object]]:
    graph = torchscope.trace(model, shape, training=torchscope.Training(**spec) if spec else True)  # type: ignore[arg-type]
    payload = schema.validate(graph.to_json())
    return {n["id"]: n["stats"] for n in payload["nodes"]} | {"total": payload["totals"]}


def test_linear_saves_its_input_and_relu_its_output() -> None:
    # Linear "1" keeps its input (what "0" produced); ReLU "2" keeps its output; "0"'s own input is
    # the graph input, which exists before the step
    stats = _stats(nn.Sequential(nn.Linear(10, 20), nn.Linear(20, 30), nn.ReLU()), [B, 10])
    assert stats["0"]["saved_bytes"] == B * 20 * F32
    assert stats["1"]["saved_bytes"] == 0  # its output is ReLU's input, which ReLU does not keep
    assert stats["2"]["saved_bytes"] == B * 30 * F32


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pre = nn.Linear(10, 16)
        self.fc = nn.Linear(16, 16)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(self.pre(x))
        return self.act(h) + h  # the add keeps nothing; ReLU keeps its output


def test_a_residual_keeps_what_its_branches_keep() -> None:
    stats = _stats(_Residual(), [B, 10])
    assert stats["pre"]["saved_bytes"] == B * 16 * F32  # fc's input
    assert stats["fc"]["saved_bytes"] == 0  # h feeds ReLU and the add, neither keeps it
    assert stats["act"]["saved_bytes"] == B * 16 * F32
    assert stats["add"]["saved_bytes"] == 0


def test_an_in_place_op_keeps_the_storage_it_changed_once() -> None:
    # ReLU(inplace) keeps its output and the next Linear its input: one storage, made by "0"
    stats = _stats(nn.Sequential(nn.Linear(10, 20), nn.ReLU(inplace=True), nn.Linear(20, 5)), [B, 10])
    assert stats["0"]["saved_bytes"] == B * 20 * F32
    assert stats["1"]["saved_bytes"] == 0
    assert stats["total"]["saved_bytes"] == B * 20 * F32


class _View(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(10, 20)
        self.out = nn.Linear(20, 20)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(x)
        v = h.view(B, 4, 5)
        return self.out(h) + torch.sin(v).flatten(1)  # both keep h's storage: out its base, sin a view


def test_a_view_and_its_base_count_once() -> None:
    stats = _stats(_View(), [B, 10])
    assert stats["fc"]["saved_bytes"] == B * 20 * F32
    assert stats["total"]["saved_bytes"] == B * 20 * F32


@pytest.mark.parametrize(
    ("optimizer", "state_per_param"),
    [("adamw", 2 * F32), ("adam", 2 * F32), ("sgd", F32), ("none", 0)],
)
def test_optimizer_state_per_parameter(optimizer: str, state_per_param: int) -> None:
    stats = _stats(nn.Sequential(nn.Linear(10, 20), nn.ReLU()), [B, 10], optimizer=optimizer)
    params = 10 * 20 + 20
    assert stats["0"]["grad_bytes"] == params * F32
    assert stats["0"]["optimizer_bytes"] == params * state_per_param
    assert stats["1"]["optimizer_bytes"] == 0
    assert stats["total"]["optimizer_bytes"] == params * state_per_param


def test_adafactor_factors_the_second_moment_of_matrices() -> None:
    stats = _stats(nn.Linear(10, 20), [B, 10], optimizer="adafactor")
    # weight [20, 10]: a row vector of 20 and a column vector of 10; bias [20]: a full one
    assert stats["total"]["optimizer_bytes"] == (20 + 10 + 20) * F32


def test_precision_sets_the_bytes_of_each_kind() -> None:
    model = nn.Sequential(nn.Linear(10, 20), nn.Linear(20, 5))
    params = 10 * 20 + 20 + 20 * 5 + 5
    pure = _stats(model, [B, 10], precision="bf16")
    assert pure["total"]["grad_bytes"] == params * 2
    assert pure["total"]["optimizer_bytes"] == params * 2 * 2
    assert pure["0"]["saved_bytes"] == B * 20 * 2
    mixed = _stats(model, [B, 10], precision="bf16-mixed")
    assert mixed["total"]["grad_bytes"] == params * F32  # fp32 master weights, fp32 gradients
    assert mixed["total"]["optimizer_bytes"] == params * 2 * F32
    assert mixed["0"]["saved_bytes"] == B * 20 * 2  # activations in bf16
    # the second layer keeps its weight for its input's gradient: a bf16 copy under mixed
    # precision (a temporary it made), the parameter itself otherwise (counted as a parameter)
    assert mixed["1"]["saved_bytes"] == 20 * 5 * 2
    assert pure["1"]["saved_bytes"] == 0


def test_backward_macs_of_linear_layers_by_hand() -> None:
    stats = _stats(nn.Sequential(nn.Linear(10, 20), nn.Linear(20, 5)), [B, 10])
    # the first layer's input needs no gradient: its weight's only; the second: weight and input
    assert stats["0"]["backward_macs"] == B * 10 * 20
    assert stats["1"]["backward_macs"] == 2 * B * 20 * 5
    assert stats["total"]["backward_macs"] == B * 10 * 20 + 2 * B * 20 * 5


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(32, 64)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(64, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def test_activation_checkpointing_recomputes_the_block_in_the_backward() -> None:
    model = nn.Sequential(nn.Linear(16, 32), _Block(), nn.Linear(32, 8))
    plain = torchscope.trace(model, [B, 16], training=True).to_json()
    ckpt = torchscope.trace(model, [B, 16], training=torchscope.Training(activation_checkpointing=["1"]))
    checked = ckpt.to_json()
    block = next(g for g in checked["groups"] if g["id"] == "1")
    unchecked = next(g for g in plain["groups"] if g["id"] == "1")
    # kept without checkpointing: fc1's output (GELU's input), GELU's (fc2's input), and the
    # block's output (the last Linear's input); checkpointed, only the last
    assert unchecked["stats"]["saved_bytes"] == 2 * B * 64 * F32 + B * 32 * F32
    assert block["stats"]["saved_bytes"] == B * 32 * F32
    # the backward recomputes fc1 and GELU; fc2's output is kept by nothing, so torch's
    # checkpoint stops before it (its early stop)
    recompute = 2 * B * 32 * 64 + B * 64 + B * 64  # fc1 with its bias, GELU
    assert checked["totals"]["backward_flops"] == plain["totals"]["backward_flops"] + recompute
    assert ckpt.step is not None
    unchecked_step = torchscope.trace(model, [B, 16], training=True).step
    assert unchecked_step is not None
    most_saved = max(p.bytes["saved"] for p in unchecked_step.timeline)
    assert max(p.bytes["saved"] for p in ckpt.step.timeline) < most_saved
    assert ckpt.step.checkpointed == ["1"]


def test_the_model_is_left_as_it_was() -> None:
    model = torchvision.models.resnet18()  # BatchNorm statistics a train-mode forward would move
    model.layer1.insert = nn.Dropout()  # type: ignore[assignment]  # an attribute of its own
    fingerprint = Fingerprint.of(model)
    torchscope.trace(
        model, [2, 3, 32, 32], training=torchscope.Training(activation_checkpointing=["BasicBlock"])
    )
    fingerprint.assert_same(model)
    assert all(p.grad is None for p in model.parameters())


def test_a_dropout_model_keeps_its_rng() -> None:
    model = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.5))
    fingerprint = Fingerprint.of(model)
    torchscope.trace(model, [B, 10], training=True)
    fingerprint.assert_same(model)


def test_bad_specs_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"optimizer='lamb'.*sgd, adam, adamw, adafactor, none"):
        torchscope.Training(optimizer="lamb")
    with pytest.raises(ValueError, match=r"precision='int8'"):
        torchscope.Training(precision="int8")
    with pytest.raises(TypeError, match="list of module paths"):
        torchscope.Training(activation_checkpointing="layer1")
    with pytest.raises(TypeError, match=r"training must be True, False or a torchscope\.Training"):
        torchscope.trace(nn.Linear(2, 2), [1, 2], training="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="traces the step on meta"):
        torchscope.trace(nn.Linear(2, 2), [1, 2], device="cpu", training=True)
    with pytest.raises(ValueError, match=r"activation_checkpointing names 'nope'"):
        torchscope.trace(
            nn.Sequential(nn.Linear(2, 2)),
            [1, 2],
            training=torchscope.Training(activation_checkpointing=["nope"]),
        )
    with pytest.raises(ValueError, match=r"loss='logits'.*no such member"):
        torchscope.trace(nn.Linear(2, 2), [1, 2], training=torchscope.Training(loss="logits"))


def test_a_forward_trace_has_no_step_columns() -> None:
    payload = torchscope.trace(nn.Linear(2, 2), [1, 2]).to_json()
    keys = {c["key"] for c in payload["columns"]}
    assert not keys & {"saved_bytes", "grad_bytes", "optimizer_bytes", "backward_macs", "peak_bytes"}


LINEAR = ["torch.nn:Linear", "--kwargs", '{"in_features": 10, "out_features": 20}', "--input-shape", "8,10"]


def test_the_cli_traces_a_step_and_writes_its_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table = tmp_path / "step.csv"
    status = main(
        ["stats", *LINEAR, "--training", "--optimizer", "sgd", "--hardware", "h100-sxm", "--csv", str(table)]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert err.startswith("wrote ")
    params = (10 * 20 + 20) * F32
    assert "training step peak:" in out
    assert "step time on h100-sxm: at least" in out
    rows = list(csv.DictReader(table.open()))
    assert rows[-1]["optimizer_bytes"] == str(params)
    assert main(["stats", *LINEAR, "--precision", "bf16"]) == 2
    assert "add --training" in capsys.readouterr().err


class _Attention(nn.Module):
    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        return nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)


def test_attention_keeps_what_a_fused_kernel_keeps() -> None:
    b, t, d, h = 2, 64, 32, 4
    stats = _stats(_Attention(d, h), [b, t, d])
    # query, key and value are views of the projection's output: kept once, charged to it
    assert stats["qkv"]["saved_bytes"] == b * t * 3 * d * F32
    # the kernel keeps its output and the log-sum-exp, never the T x T weights
    assert (
        stats["scaled_dot_product_attention"]["saved_bytes"] == b * h * t * (d // h) * F32 + b * h * t * F32
    )


def test_a_checkpointed_attention_block_recomputes_the_same_kernel() -> None:
    # torch's checkpoint checks that the recomputed saved tensors match the forward's: the
    # backward must run the fused kernel too
    model = nn.Sequential(nn.Linear(32, 32), _Attention(32, 4))
    plain = _stats(model, [2, 64, 32], precision="bf16-mixed")
    stats = _stats(model, [2, 64, 32], activation_checkpointing=["1"], precision="bf16-mixed")
    # the recomputation adds the projection's and the attention's forward MACs to the backward
    # (torch's early stop ends it at the kernel, whose output nothing inside the block keeps)
    recomputed = 2 * 64 * 32 * 96 + 2 * 2 * 4 * 64 * 64 * 8  # qkv, then QK^T and AV
    assert stats["total"]["backward_macs"] == plain["total"]["backward_macs"] + recomputed
