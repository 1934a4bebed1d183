"""torchscope.diff on the models the issue names, against truths found without the alignment.

The truths: torchvision's published weight metadata (``num_params``, ``_ops``), parameter counts
from ``named_parameters``, MACs by hand (a conv's k·k·C_in·C_out·H·W, a Llama's
T·(linear weights) + 2·L·T²·d) and the module structure itself (how many blocks, which modules a
LoRA config wraps). Everything runs on meta or on small models, so the file stays quick.
"""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
import torchvision
from torch import nn
from torchvision.models import get_model_weights

import torchscope
from unchanged import Fingerprint


def _published(name: str, member: str = "DEFAULT") -> tuple[int, float]:
    meta = getattr(get_model_weights(name), member).meta
    return meta["num_params"], meta["_ops"]


def _subtree_root(diff: torchscope.ModelDiff, member: str) -> str:
    """The outermost id around ``member`` with the same status (an added block, for a layer in it)."""
    status = diff.status(member)
    while (parent := diff.parent_of(member)) is not None and diff.status(parent) == status:
        member = parent
    return member


def test_resnet50_against_resnet101_adds_17_bottlenecks_to_layer3_and_nothing_else() -> None:
    a, b = torchvision.models.resnet50(), torchvision.models.resnet101()
    diff = torchscope.diff(a, b, [1, 3, 224, 224])

    (params_a, ops_a), (params_b, ops_b) = _published("resnet50"), _published("resnet101")
    assert diff.totals["params"]["delta"] == params_b - params_a
    # each _ops is rounded to 3 decimals, so their difference is within 1e-3 of the exact one
    assert abs(diff.totals["macs"]["delta"] / 1e9 - (ops_b - ops_a)) < 1e-3

    extra = len(b.layer3) - len(a.layer3)
    assert extra == 17
    blocks = sorted({_subtree_root(diff, m) for m in diff.added}, key=lambda m: int(m.split(".")[1]))
    assert blocks == [f"layer3.{i}" for i in range(len(a.layer3), len(b.layer3))]
    types = {g["id"]: g["op"] for g in diff.payload["groups"]}
    assert {types[m] for m in blocks} == {"Bottleneck"}
    assert diff.removed == []
    # the only changed member is layer3 itself, rolling up its new blocks
    assert diff.changed == ["layer3"]


def _llama(hidden: int, intermediate: int, layers: int, heads: int) -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        vocab_size=32000,
    )
    with torch.device("meta"):
        return LlamaForCausalLM(config)


def _llama_macs(model: nn.Module, tokens: int) -> int:
    """Every linear layer once per token, plus QKᵀ and AV: 2·L·T²·d."""
    config = model.config
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    return tokens * linear + 2 * config.num_hidden_layers * tokens**2 * config.hidden_size


@pytest.mark.slow
def test_llama_7b_against_13b_on_meta_adds_8_layers_and_widens_the_rest() -> None:
    tokens = 16
    a, b = _llama(4096, 11008, 32, 32), _llama(5120, 13824, 40, 40)
    diff = torchscope.diff(a, b, [1, tokens], dtype=torch.long)

    added = {_subtree_root(diff, m) for m in diff.added}
    new = range(32, 40)
    # the new layers, and the key/value cache each of them returns
    caches = {f"output.cache.layers.{i}.{part}" for i in new for part in ("keys", "values")}
    assert added == {f"model.layers.{i}" for i in new} | caches
    assert diff.removed == []
    for i in range(32):
        q = next(
            c for c in diff.changes_of(f"model.layers.{i}.self_attn.q_proj") if c.field == "attrs.in_features"
        )
        assert (q.a, q.b) == (4096, 5120)
        assert diff.status(f"model.layers.{i}") == "changed"

    count = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert diff.totals["params"] == {
        "a": count(a),
        "b": count(b),
        "delta": count(b) - count(a),
        "ratio": count(b) / count(a),
    }
    assert diff.totals["macs"]["a"] == _llama_macs(a, tokens)
    assert diff.totals["macs"]["delta"] == _llama_macs(b, tokens) - _llama_macs(a, tokens)
    # the per-row deltas of the top-level members add up to the difference of the totals
    top = [r for r in diff.rows if diff.parent_of(r["id"]) is None]
    assert sum(r["macs_delta"] or 0 for r in top) == diff.totals["macs"]["delta"]
    assert sum(r["params_delta"] or 0 for r in top) == diff.totals["params"]["delta"]


def test_one_kernel_size_changed_is_exactly_that_node_rolled_up_by_its_ancestors() -> None:
    a = torchvision.models.resnet18()
    b = copy.deepcopy(a)
    # padding 2 keeps every shape, so nothing downstream changes
    b.layer2[0].conv2 = nn.Conv2d(128, 128, 5, padding=2, bias=False)
    before = Fingerprint.of(a), Fingerprint.of(b)
    diff = torchscope.diff(a, b, [1, 3, 224, 224])
    before[0].assert_same(a)
    before[1].assert_same(b)

    assert [m for m in diff.changed if m in {n["id"] for n in diff.payload["nodes"]}] == ["layer2.0.conv2"]
    assert set(diff.changed) == {"layer2.0.conv2", "layer2.0", "layer2"}
    for ancestor in ("layer2.0", "layer2"):
        assert "contents" in {c.field for c in diff.changes_of(ancestor)}
    assert diff.added == []
    assert diff.removed == []
    kernel = next(c for c in diff.changes_of("layer2.0.conv2") if c.field == "attrs.kernel_size")
    assert (kernel.a, kernel.b) == ([3, 3], [5, 5])
    # 128 × 128 channels at 28 × 28, with 25 instead of 9 taps each
    assert diff.totals["macs"]["delta"] == 128 * 128 * 28 * 28 * (25 - 9)
    assert diff.totals["params"]["delta"] == 128 * 128 * (25 - 9)


def _tiny_llama() -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        vocab_size=100,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config)


def test_lora_adds_only_the_adapters_and_aligns_the_base_weights() -> None:
    peft = pytest.importorskip("peft")  # in the dev extra, so CI always has it
    from peft.tuners.lora import LoraLayer

    a = _tiny_llama()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = peft.get_peft_model(copy.deepcopy(a), peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    diff = torchscope.diff(a, b, [1, 8], dtype=torch.long)

    wrapped = [name for name, module in b.named_modules() if isinstance(module, LoraLayer)]
    assert len(wrapped) == 4
    graph_b = diff.b
    functions_in = {n["id"] for n in graph_b["nodes"] if n["parent"] in wrapped and n["kind"] == "function"}
    adapters = {
        f"{layer}.{part}.default" for layer in wrapped for part in ("lora_dropout", "lora_A", "lora_B")
    }
    expected = set(wrapped) | adapters | functions_in | {"base_model.model"}
    assert set(diff.added) == expected
    assert diff.removed == []
    adapter_params = sum(p.numel() for n, p in b.named_parameters() if "lora_" in n)
    assert diff.totals["params"]["delta"] == adapter_params

    for layer in wrapped:
        plain = layer.removeprefix("base_model.model.")
        assert diff.pair(f"{layer}.base_layer") == (plain, f"{layer}.base_layer")
        # the base weights are the same weights, now frozen
        fields = {c.field for c in diff.changes_of(f"{layer}.base_layer")}
        assert fields == {"params_trainable"}
        # a wrapper's delta is what it adds to the layer it wraps: its adapters
        row = next(r for r in diff.rows if r["id"] == layer)
        assert row["wrapper"] is True
        assert row["params_delta"] == sum(
            p.numel() for n, p in b.named_parameters() if n.startswith(f"{layer}.lora_")
        )


class _HandLora(nn.Module):
    """A LoRA wrapper written by hand: the base layer plus a low-rank update."""

    def __init__(self, base: nn.Linear, rank: int) -> None:
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, base.out_features, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base_layer(x) + self.lora_B(self.lora_A(x))


def test_a_hand_written_lora_wrapper_aligns_the_same_way() -> None:
    a = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    b = copy.deepcopy(a)
    b[2] = _HandLora(b[2], rank=2)
    diff = torchscope.diff(a, b, [4, 16])
    assert diff.pair("2.base_layer") == ("2", "2.base_layer")
    assert diff.status("2.base_layer") == "same"
    assert set(diff.added) == {"2", "2.lora_A", "2.lora_B", "2.add"}
    assert diff.totals["params"]["delta"] == 32 * 2 + 2 * 8


@pytest.mark.slow
def test_vit_b_16_at_224_against_384_changes_every_attention_and_nothing_structural() -> None:
    a = torchvision.models.vit_b_16()
    b = torchvision.models.vit_b_16(image_size=384)
    diff = torchscope.diff(a, b, [1, 3, 224, 224], input_shape_b=[1, 3, 384, 384])

    assert diff.added == []
    assert diff.removed == []
    attention = [n["id"] for n in diff.payload["nodes"] if n["op"] == "MultiheadAttention"]
    assert len(attention) == len(a.encoder.layers) == 12
    for member in attention:
        assert "macs" in {c.field for c in diff.changes_of(member)}
    (params_a, ops_a) = _published("vit_b_16", "IMAGENET1K_V1")
    (params_b, ops_b) = _published("vit_b_16", "IMAGENET1K_SWAG_E2E_V1")  # evaluated at 384 px
    assert (diff.totals["params"]["a"], diff.totals["params"]["b"]) == (params_a, params_b)
    assert round(diff.totals["macs"]["a"] / 1e9, 3) == ops_a
    assert round(diff.totals["macs"]["b"] / 1e9, 3) == ops_b


def _prune_first_conv(model: torchvision.models.ResNet, keep: int) -> torchvision.models.ResNet:
    """Remove the weakest output channels of layer1.0.conv1 (L1 norm), and their uses after it."""
    pruned = copy.deepcopy(model)
    block = pruned.layer1[0]
    kept = block.conv1.weight.abs().sum(dim=(1, 2, 3)).topk(keep).indices.sort().values
    conv1 = nn.Conv2d(64, keep, 3, padding=1, bias=False)
    conv1.weight.data = block.conv1.weight.data[kept].clone()
    bn1 = nn.BatchNorm2d(keep)
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(bn1, name).data = getattr(block.bn1, name).data[kept].clone()
    conv2 = nn.Conv2d(keep, 64, 3, padding=1, bias=False)
    conv2.weight.data = block.conv2.weight.data[:, kept].clone()
    block.conv1, block.bn1, block.conv2 = conv1, bn1, conv2
    return pruned


def test_a_pruned_copy_changes_the_pruned_layers_and_what_carries_their_channels() -> None:
    a = torchvision.models.resnet18()
    b = _prune_first_conv(a, keep=40)
    diff = torchscope.diff(a, b, [1, 3, 224, 224])

    nodes = {n["id"] for n in diff.payload["nodes"]}
    # conv1 and bn1 lose 24 channels, relu carries them, conv2 reads them
    assert {m for m in diff.changed if m in nodes} == {
        "layer1.0.conv1",
        "layer1.0.bn1",
        "layer1.0.relu",
        "layer1.0.conv2",
    }
    assert diff.added == []
    assert diff.removed == []
    count = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert diff.totals["params"]["delta"] == count(b) - count(a) == -(2 * 24 * 64 * 9 + 2 * 24)
    assert diff.totals["macs"]["delta"] == -2 * 24 * 64 * 9 * 56 * 56


def test_a_compiled_model_aligns_with_the_plain_one() -> None:
    a = torchvision.models.resnet18()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = torchscope.diff(a, torch.compile(a), [1, 3, 224, 224])
    # the tracer draws a compiled model as the module it wraps: nothing differs at all
    assert diff.added == []
    assert diff.removed == []
    assert diff.changed == []
    assert diff.totals["macs"]["delta"] == 0


class _Holder(nn.Module):
    """A wrapper the tracer does not unwrap, as graphs traced before it learnt to (or DataParallel)."""

    def __init__(self, inner: nn.Module, name: str) -> None:
        super().__init__()
        self.add_module(name, inner)
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.name)(x)


@pytest.mark.parametrize("name", ["_orig_mod", "module"])
def test_a_whole_model_wrapper_is_dissolved_and_everything_inside_pairs(name: str) -> None:
    a = torchvision.models.resnet18()
    diff = torchscope.diff(a, _Holder(a, name), [1, 3, 224, 224])
    assert diff.added == [name]
    assert diff.removed == []
    assert diff.pair(f"{name}.layer1.0.conv1") == ("layer1.0.conv1", f"{name}.layer1.0.conv1")
    assert diff.changed == []
    row = next(r for r in diff.rows if r["id"] == name)
    assert row["wrapper"] is True
    assert row["params_delta"] == 0
