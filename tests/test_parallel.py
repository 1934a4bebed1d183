"""parallel=FSDP(...): per-rank bytes and collectives under FSDP2 on the fake process group, by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.distributed as dist
from torch import nn

import torchscope
from torchscope import schema
from unchanged import Fingerprint

F32, BF16 = 4, 2


class _Blocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64)) for _ in range(2)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def _shard_elements(world: int) -> int:
    """One block's parameters on one rank: each tensor's dim 0 cut into ``world`` padded chunks."""
    rows = lambda n: math.ceil(n / world)  # noqa: E731
    return rows(128) * 64 + rows(128) + rows(64) * 128 + rows(64)


def _payload(world: int, **spec: object) -> schema.Payload:
    graph = torchscope.trace(
        _Blocks(), [8, 64], training=torchscope.Training(**spec), parallel=torchscope.FSDP(world)
    )  # type: ignore[arg-type]
    return schema.validate(graph.to_json())


@pytest.mark.parametrize("world", [4, 3])  # 3: dim 0 of 64 and 128 is padded to a multiple
def test_per_rank_state_and_collectives_by_hand(world: int) -> None:
    payload = _payload(world)
    totals = payload["totals"]
    per_block = _shard_elements(world)
    assert totals["world_size"] == world
    assert totals["rank_param_bytes"] == 2 * per_block * F32
    assert totals["rank_grad_bytes"] == 2 * per_block * F32
    assert totals["rank_optimizer_bytes"] == 2 * 2 * per_block * F32  # AdamW: two moments
    blocks = {g["id"]: g["stats"] for g in payload["groups"]}
    for block in ("layers.0", "layers.1"):
        assert blocks[block]["all_gather_bytes"] == per_block * world * F32  # unsharded, padded
        assert blocks[block]["reduce_scatter_bytes"] == per_block * world * F32


def test_mixed_precision_gathers_in_bf16_and_reduces_in_fp32() -> None:
    payload = _payload(4, precision="bf16-mixed")
    block = next(g["stats"] for g in payload["groups"] if g["id"] == "layers.0")
    assert block["all_gather_bytes"] == _shard_elements(4) * 4 * BF16
    assert block["reduce_scatter_bytes"] == _shard_elements(4) * 4 * F32
    assert payload["totals"]["rank_param_bytes"] == 2 * _shard_elements(4) * F32  # fp32 masters


def test_the_rank_peak_sits_between_its_shards_and_one_gpu() -> None:
    single = torchscope.trace(_Blocks(), [8, 64], training=True).to_json()["totals"]
    graph = torchscope.trace(_Blocks(), [8, 64], parallel=torchscope.FSDP(4))
    totals = graph.to_json()["totals"]
    shards = int(totals["rank_param_bytes"]) + int(totals["rank_optimizer_bytes"])  # type: ignore[arg-type]
    one_block = _shard_elements(4) * 4 * F32
    assert shards + one_block <= int(totals["rank_peak_bytes"]) < int(single["peak_bytes"])  # type: ignore[arg-type]
    record = graph.trace.parallel
    assert record is not None
    assert record.peak_split["Sharded Param"] == totals["rank_param_bytes"]  # FSDPMemTracker's own split


def test_a_transformers_llama_is_wrapped_layer_by_layer() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=512)  # fmt: skip
    model = LlamaForCausalLM(config)
    ids = torch.zeros(2, 16, dtype=torch.long)
    spec = torchscope.Training(loss="logits")
    graph = torchscope.trace(
        model, inputs=ids, kwargs={"use_cache": False}, training=spec, parallel=torchscope.FSDP(8)
    )
    record = graph.trace.parallel
    assert record is not None
    assert record.blocks == ["model.layers.0", "model.layers.1"]
    layer = model.model.layers[0]
    padded = sum(math.ceil(p.shape[0] / 8) * 8 * p[0].numel() for p in layer.parameters())
    assert record.all_gather_bytes["model.layers.0"] == padded * F32


def test_the_model_and_the_process_are_left_as_they_were() -> None:
    model = _Blocks()
    fingerprint = Fingerprint.of(model)
    torchscope.trace(model, [8, 64], parallel=torchscope.FSDP(2))
    fingerprint.assert_same(model)
    assert not dist.is_initialized()
    assert type(model) is _Blocks


def test_bad_parallel_specs() -> None:
    with pytest.raises(ValueError, match=r"FSDP\(world_size=0\)"):
        torchscope.FSDP(0)
    with pytest.raises(TypeError, match="list of module paths"):
        torchscope.FSDP(2, blocks="layers.0")
    with pytest.raises(ValueError, match=r"names 'nope'"):
        torchscope.trace(_Blocks(), [8, 64], parallel=torchscope.FSDP(2, blocks=["nope"]))
    with pytest.raises(TypeError, match=r"parallel must be a torchscope\.FSDP"):
        torchscope.trace(_Blocks(), [8, 64], parallel=64)  # type: ignore[arg-type]


_TP_PLAN = {"layers.*.0": "colwise", "layers.*.2": "rowwise"}
_WRAPPED_TP_PLAN = {k.replace("*.", "*._checkpoint_wrapped_module."): v for k, v in _TP_PLAN.items()}


@pytest.mark.parametrize(
    ("parallel", "wrapped_parallel"),
    [
        (torchscope.FSDP(4), torchscope.FSDP(4)),
        (torchscope.TP(2, plan=_TP_PLAN), torchscope.TP(2, plan=_WRAPPED_TP_PLAN)),
    ],
    ids=["fsdp", "tp"],
)
def test_checkpointed_blocks_read_as_blocks_in_pytorchs_own_checkpoint_wrapper(
    parallel: torchscope.FSDP | torchscope.TP, wrapped_parallel: torchscope.FSDP | torchscope.TP
) -> None:
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import apply_activation_checkpointing

    spec = torchscope.Training(activation_checkpointing=["Sequential"])
    shape = [256, 64]  # activations (192 KB a block) outweigh the parameters: the peak is in the backward
    ours = torchscope.trace(_Blocks(), shape, training=spec, parallel=parallel).trace.parallel
    wrapped = _Blocks()
    apply_activation_checkpointing(wrapped, check_fn=lambda m: isinstance(m, nn.Sequential))
    theirs = torchscope.trace(wrapped, shape, parallel=wrapped_parallel).trace.parallel
    plain = torchscope.trace(_Blocks(), shape, parallel=parallel).trace.parallel
    assert ours is not None
    assert theirs is not None
    assert plain is not None
    assert (ours.peak_bytes, ours.peak_split) == (theirs.peak_bytes, theirs.peak_split)
    assert ours.peak_bytes < plain.peak_bytes  # what checkpointing is for
