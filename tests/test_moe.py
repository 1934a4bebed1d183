"""Mixture-of-experts models: exact on meta in both dtypes, and estimated where only routing decides.

The truths: PyTorch's FlopCounterMode over the same model on real tensors with eager experts and
eager attention (the paths it has formulas for), the parameter count of the model itself, and, for
the estimate, the same model traced on the CPU with uniform routing forced on its router.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from torchscope import schema

transformers = pytest.importorskip("transformers")

TOKENS = 8


def _mixtral() -> object:
    return transformers.MixtralConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, vocab_size=100,
    )  # fmt: skip


def _qwen2_moe() -> object:
    return transformers.Qwen2MoeConfig(
        hidden_size=64, intermediate_size=128, moe_intermediate_size=32, shared_expert_intermediate_size=48,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, num_experts=6,
        num_experts_per_tok=2, vocab_size=100,
    )  # fmt: skip


def _olmoe() -> object:
    return transformers.OlmoeConfig(
        hidden_size=64, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, num_experts=8, num_experts_per_tok=2, vocab_size=100,
    )  # fmt: skip


MOE: dict[str, tuple[Callable[[], object], str]] = {
    "mixtral": (_mixtral, "MixtralForCausalLM"),
    "qwen2_moe": (_qwen2_moe, "Qwen2MoeForCausalLM"),
    "olmoe": (_olmoe, "OlmoeForCausalLM"),
}


def _build(name: str, experts: str, *, dtype: torch.dtype = torch.float32, device: str = "cpu") -> nn.Module:
    make_config, cls = MOE[name]
    config = make_config()
    config._experts_implementation = experts  # type: ignore[attr-defined]  # noqa: SLF001
    config._attn_implementation = "eager"  # type: ignore[attr-defined]  # noqa: SLF001
    torch.manual_seed(0)
    with torch.device(device):
        return getattr(transformers, cls)(config).to(dtype).eval()  # type: ignore[no-any-return]


def _ids() -> torch.Tensor:
    return torch.arange(TOKENS).reshape(1, TOKENS) % 100


def _reference_macs(model: nn.Module) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(_ids())
    return int(counter.get_total_flops()) // 2


@pytest.mark.parametrize("name", list(MOE))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
def test_grouped_mm_experts_are_exact_on_meta(name: str, dtype: torch.dtype) -> None:
    # transformers' default experts run aten._grouped_mm, which FlopCounterMode cannot count, and
    # whose meta kernel refuses float32: the truth is the same weights through eager experts
    reference = _reference_macs(_build(name, "eager"))
    model = _build(name, "grouped_mm", dtype=dtype, device="meta")
    payload = schema.validate(torchscope.trace(model, inputs=_ids()).to_json())
    assert payload["model"]["device"] == "meta"
    assert payload["totals"]["uncounted"] == ""
    assert "estimated" not in payload["totals"]
    assert payload["totals"]["macs"] == reference
    assert payload["totals"]["params"] == sum(p.numel() for p in model.parameters())


def _round_robin(rows: int, picks: int, candidates: int) -> torch.Tensor:
    """Uniform routing, written out: row r takes candidates r·k, r·k + 1, ... modulo E."""
    return (torch.arange(rows)[:, None] * picks + torch.arange(picks)[None, :]) % candidates


@contextmanager
def _uniform_routing() -> Iterator[None]:
    """Force Mixtral's router to route round-robin: the routing the estimate assumes."""
    router = transformers.models.mixtral.modeling_mixtral.MixtralTopKRouter
    original = router.forward

    def forward(self: nn.Module, hidden_states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, _, indices = original(self, hidden_states)
        forced = _round_robin(indices.shape[0], indices.shape[1], logits.shape[-1]).to(indices.device)
        scores = torch.softmax(logits.float(), dim=-1).gather(-1, forced)
        return logits, scores / scores.sum(dim=-1, keepdim=True), forced

    router.forward = forward
    try:
        yield
    finally:
        router.forward = original


def test_eager_experts_on_a_meta_model_are_estimated_as_uniform_routing_measures() -> None:
    estimate = torchscope.trace(_build("mixtral", "eager", device="meta"), inputs=_ids())
    with _uniform_routing():
        forced = torchscope.trace(_build("mixtral", "eager"), inputs=_ids())
        reference = _reference_macs(_build("mixtral", "eager"))
    assert (estimate.device, forced.device) == ("meta", "cpu")
    by_id = {n.id: n for n in forced.nodes}
    assert [n.id for n in estimate.nodes] == list(by_id)
    for node in estimate.nodes:
        real = by_id[node.id]
        assert node.cost.macs == real.cost.macs, node.id
        # element-wise work differs where the code differs: the routers' forward is the test's own
        # on the CPU, and one_hot decomposes into other ops on meta (a compare per element) than on
        # the CPU (a min/max check, then a scatter)
        differs = node.id.endswith((".gate", ".one_hot"))
        assert node.cost.flops == real.cost.flops or differs, node.id
    payload = schema.validate(estimate.to_json())
    assert payload["totals"]["macs"] == forced.to_json()["totals"]["macs"] == reference
    # 8 tokens, top-2 of 4 experts: each expert gets 8·2/4 = 4 rows, and the trace says so
    note = "uniform routing: topk picks 2 of 4 round-robin over 8 rows, so each is chosen 4 times"
    assert str(payload["totals"]["estimated"]).startswith(note)
    router = next(n for n in payload["nodes"] if n["id"] == "model.layers.0.mlp.gate")
    assert router["estimated"][0].startswith(note)
    experts = next(g for g in payload["groups"] if g["id"] == "model.layers.0.mlp.experts")
    assert experts["estimated"][0].startswith(note)
    # the expert matmuls rest on the assumption; the attention does not
    linears = [n for n in payload["nodes"] if n["id"].startswith("model.layers.0.mlp.experts.linear")]
    assert linears
    assert all("estimated" in n for n in linears)
    assert "estimated" not in next(
        n for n in payload["nodes"] if n["id"] == "model.layers.0.self_attn.q_proj"
    )
    table = torchscope.model_stats(_build("mixtral", "eager", device="meta"), inputs=_ids())
    assert "≈ estimated, assuming uniform routing" in str(table)
    assert table.totals["estimated"][0].startswith(note)


def test_a_real_model_is_never_estimated() -> None:
    # eager experts look at the routing by value: a model with weights runs again on real tensors
    payload = torchscope.trace(_build("mixtral", "eager"), inputs=_ids()).to_json()
    assert payload["model"]["device"] == "cpu"
    assert "estimated" not in payload["totals"]
    assert not any("estimated" in n for n in payload["nodes"])
    assert all(c["key"] != "estimated" for c in payload["columns"])


# (hidden, expert intermediate, experts, top-k) of the tiny configs above
TINY_EXPERTS = {"mixtral": (64, 128, 4, 2), "qwen2_moe": (64, 32, 6, 2), "olmoe": (64, 32, 8, 2)}


@pytest.mark.parametrize("name", list(MOE))
def test_an_experts_module_is_one_group_with_its_experts_top_k_and_routed_macs(name: str) -> None:
    hidden, inter, experts, top_k = TINY_EXPERTS[name]
    payload = torchscope.trace(_build(name, "grouped_mm", device="meta"), inputs=_ids()).to_json()
    groups = {g["id"]: g for g in payload["groups"]}
    group = groups["model.layers.0.mlp.experts"]
    # gate, up and down projections of one expert: 3·H·I
    assert group["attrs"] == {"experts": experts, "params_per_expert": 3 * hidden * inter, "top_k": top_k}
    assert group["stats"]["params"] == experts * 3 * hidden * inter
    # routed: each of the 8 tokens meets top-k experts
    assert group["stats"]["macs"] == TOKENS * top_k * 3 * hidden * inter
    router = next(n for n in payload["nodes"] if n["id"] == "model.layers.0.mlp.gate")
    assert router["attrs"]["top_k"] == top_k
    assert sum("attrs" in g for g in payload["groups"]) == 2  # one experts group per layer, no other
