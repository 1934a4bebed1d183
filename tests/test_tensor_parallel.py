"""parallel=TP(...): per-rank bytes and collectives under tensor parallelism on the fake group, by hand.

Column-wise layers keep ``out_features / world`` rows of their weight and bias; row-wise layers
``in_features / world`` columns of their weight and the whole bias. A row-wise layer all-reduces
its output in the forward; a column-wise layer all-reduces its input's gradient in the backward,
when that input needs one.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
from torch import nn

import torchscope
from torchscope import schema
from unchanged import Fingerprint

F32 = 4
BATCH, WIDTH, HIDDEN = 8, 64, 128


class _Blocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(WIDTH, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, WIDTH)) for _ in range(2)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


PLAN = {"layers.*.0": "colwise", "layers.*.2": "rowwise"}


def _graph(world: int, model: nn.Module | None = None, **kwargs: object) -> torchscope.ModelGraph:
    return torchscope.trace(
        model or _Blocks(),
        [BATCH, WIDTH],
        parallel=torchscope.TP(world, plan=PLAN),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("world", [2, 4])
def test_per_rank_state_and_collectives_by_hand(world: int) -> None:
    graph = _graph(world)
    payload = schema.validate(graph.to_json())
    totals = payload["totals"]
    up = HIDDEN // world * WIDTH + HIDDEN // world  # column-wise: rows of the weight, the bias cut too
    down = WIDTH * (HIDDEN // world) + WIDTH  # row-wise: columns of the weight, the whole bias
    per_layer = (up + down) * F32
    assert totals["world_size"] == world
    assert totals["rank_param_bytes"] == 2 * per_layer
    assert totals["rank_grad_bytes"] == 2 * per_layer
    assert totals["rank_optimizer_bytes"] == 2 * 2 * per_layer  # AdamW: two moments
    activation = BATCH * WIDTH * F32
    nodes = {n["id"]: n["stats"] for n in payload["nodes"]}
    groups = {g["id"]: g["stats"] for g in payload["groups"]}
    assert nodes["layers.0.2"]["tp_collective_bytes"] == activation  # the forward all-reduce
    assert "tp_collective_bytes" not in nodes["layers.0.0"]  # the model's input needs no gradient
    assert nodes["layers.1.0"]["tp_collective_bytes"] == activation  # its input's gradient, all-reduced
    assert "tp_collective_bytes" not in nodes["layers.0.1"]  # a ReLU sends nothing
    assert groups["layers.1"]["tp_collective_bytes"] == 2 * activation
    assert totals["tp_collective_bytes"] == 3 * activation
    record = graph.trace.parallel
    assert record is not None
    assert record.blocks == ["layers.0.0", "layers.0.2", "layers.1.0", "layers.1.2"]


def test_the_rank_peak_sits_between_its_state_and_one_gpu() -> None:
    single = torchscope.trace(_Blocks(), [BATCH, WIDTH], training=True).to_json()["totals"]
    record = _graph(4).trace.parallel
    assert record is not None
    state = record.param_bytes + record.grad_bytes + record.optimizer_bytes
    assert state <= record.peak_bytes < int(single["peak_bytes"])  # type: ignore[arg-type]
    assert record.peak_split["Parameter"] == record.param_bytes  # MemTracker's own split


def test_a_transformers_llama_is_split_by_its_own_plan() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(num_hidden_layers=2, hidden_size=128, intermediate_size=256, num_attention_heads=8,
                         num_key_value_heads=4, vocab_size=1000)  # fmt: skip
    model = LlamaForCausalLM(config)
    ids = torch.zeros(2, 16, dtype=torch.long)
    graph = torchscope.trace(
        model,
        inputs=ids,
        kwargs={"use_cache": False},
        training=torchscope.Training(loss="logits"),
        parallel=torchscope.TP(4),
    )
    record = graph.trace.parallel
    assert record is not None
    split = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert {b.rpartition(".")[2] for b in record.blocks} == split
    assert len(record.blocks) == 2 * len(split)
    # every split weight is a quarter on this rank; norms, embedding and head stay whole
    split_params = sum(p.numel() for n, p in model.named_parameters() if n.split(".")[-2] in split)
    whole = sum(p.numel() for n, p in model.named_parameters() if n.split(".")[-2] not in split)
    assert record.param_bytes == (split_params // 4 + whole) * F32
    hidden = 2 * 16 * 128 * F32
    # per layer: o_proj and down_proj all-reduce their output; q, k, v, gate, up their input's gradient
    assert sum(record.collective_bytes.values()) == 2 * 7 * hidden
    assert record.collective_bytes["model.layers.0.mlp.down_proj"] == hidden
    assert record.replicated == []


def test_the_model_and_the_process_are_left_as_they_were() -> None:
    model = _Blocks()
    fingerprint = Fingerprint.of(model)
    _graph(2, model)
    fingerprint.assert_same(model)
    assert not dist.is_initialized()
    assert all(type(p) is nn.Parameter for p in model.parameters())


def test_bad_tensor_parallel_specs() -> None:
    with pytest.raises(ValueError, match=r"TP\(world_size=0\)"):
        torchscope.TP(0)
    with pytest.raises(TypeError, match="dict of module paths"):
        torchscope.TP(2, plan="layers.*.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"names 'layers\.\*\.9', which matches no module"):
        torchscope.trace(_Blocks(), [8, 64], parallel=torchscope.TP(2, plan={"layers.*.9": "colwise"}))
    with pytest.raises(ValueError, match=r"'colwise', 'rowwise' or a ParallelStyle"):
        torchscope.trace(_Blocks(), [8, 64], parallel=torchscope.TP(2, plan={"layers.*.0": "diagonal"}))
    with pytest.raises(ValueError, match=r"TP\(plan=\.\.\.\) is needed"):
        torchscope.trace(_Blocks(), [8, 64], parallel=torchscope.TP(2))
    assert not dist.is_initialized()


def test_mixed_precision_computes_in_bf16_on_fp32_masters() -> None:
    record = _graph(4, training=torchscope.Training(precision="bf16-mixed")).trace.parallel
    plain = _graph(4).trace.parallel
    assert record is not None
    assert plain is not None
    assert record.param_bytes == plain.param_bytes  # fp32 masters, split the same
    assert record.optimizer_bytes == plain.optimizer_bytes
    # what the collectives carry is computed in bf16: half the bytes
    assert sum(record.collective_bytes.values()) == 3 * BATCH * WIDTH * 2
