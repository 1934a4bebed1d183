"""The models people use: every torchvision model and HuggingFace transformers built from configs."""

from __future__ import annotations

import inspect
import logging
import warnings
from typing import Any
from unittest import mock

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models._api import WeightsEnum

import torchscope
from torchscope import ModelGraph, schema

CLASSIFICATION = set(torchvision.models.list_models(torchvision.models))
VIDEO = set(torchvision.models.list_models(torchvision.models.video))
OPTICAL_FLOW = set(torchvision.models.list_models(torchvision.models.optical_flow))
DETECTION = set(torchvision.models.list_models(torchvision.models.detection))


def _build(name: str) -> nn.Module:
    builder = torchvision.models.get_model_builder(name)
    options: dict[str, object] = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:
        options["weights_backbone"] = None  # the default would download backbone weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torchvision.models.get_model(name, **options)


def _input_shape(name: str) -> list[list[int]]:
    if name in VIDEO:
        crop = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
        return [[1, 3, 16, crop, crop]]
    if name in OPTICAL_FLOW:
        return [[1, 3, 128, 128], [1, 3, 128, 128]]  # two frames
    return [[1, 3, 224, 224]]


def _check(graph: ModelGraph, model: nn.Module) -> None:
    payload = schema.validate(graph.to_json())
    assert payload["totals"]["params"] == sum(p.numel() for p in model.parameters())
    kinds = {n["kind"] for n in payload["nodes"]}
    assert {"input", "output"} <= kinds
    assert "module" in kinds


@pytest.mark.slow
@pytest.mark.parametrize("name", torchvision.models.list_models())
def test_every_torchvision_model_traces(name: str) -> None:
    # a detector is built for its published weights (FrozenBatchNorm in the backbone, not the
    # BatchNorm of weights_backbone=None), so that its published params are checked here rather
    # than by a second, equally slow, real-tensor trace below
    model = _build_for_weights(name)[0] if name in DETECTION else _build(name)
    graph = torchscope.trace(model, _input_shape(name))
    _check(graph, model)
    if name in CLASSIFICATION:
        assert graph.device == "meta"
    elif name in DETECTION:
        # anchors and NMS need real data: the fallback ran on the model's own device
        assert graph.device in ("meta", "cpu")
        published = torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]
        assert graph.to_json()["totals"]["params"] == published


transformers = pytest.importorskip("transformers")
logging.getLogger("transformers").setLevel(logging.ERROR)

TINY = {"num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 120}


def _repeats(graph: ModelGraph) -> dict[str, str | None]:
    return {g.id: g.repeat_of for g in graph.groups}


def test_gpt2_from_a_config() -> None:
    config = transformers.GPT2Config(
        n_layer=3, n_embd=64, n_head=4, vocab_size=120, bos_token_id=0, eos_token_id=0
    )
    model = transformers.GPT2LMHeadModel(config)
    graph = torchscope.trace(model, [2, 16], dtype=torch.long)
    _check(graph, model)
    assert graph.device == "meta"
    outputs = [n for n in graph.nodes if n.kind == "output"]
    assert outputs[0].id == "output.logits"
    assert outputs[0].inputs[0].shape == (2, 16, 120)
    assert graph.nodes[0].outputs[0].dtype == "int64"
    assert _repeats(graph)["transformer.h.1"] == "transformer.h.0"
    assert _repeats(graph)["transformer.h.2"] == "transformer.h.0"
    ops = {n.op for n in graph.nodes}
    assert {"Embedding", "Conv1D", "LayerNorm", "scaled_dot_product_attention"} <= ops


def test_bert_from_a_config_with_keyword_inputs() -> None:
    config = transformers.BertConfig(**TINY, intermediate_size=128)
    model = transformers.BertModel(config)
    ids = torch.zeros(2, 16, dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    graph = torchscope.trace(model, kwargs={"input_ids": ids, "attention_mask": mask})
    _check(graph, model)
    # BERT's mask handling looks at the mask's values, so the pass ran on real tensors
    assert graph.device in ("meta", "cpu")
    assert [n.id for n in graph.nodes if n.kind == "input"] == ["input_ids", "attention_mask"]
    outputs = {n.id: n.inputs[0].shape for n in graph.nodes if n.kind == "output"}
    assert outputs == {"output.last_hidden_state": (2, 16, 64), "output.pooler_output": (2, 64)}
    assert _repeats(graph)["encoder.layer.2"] == "encoder.layer.0"


def test_llama_style_decoder_from_a_config() -> None:
    config = transformers.LlamaConfig(**TINY, num_key_value_heads=2, intermediate_size=128)
    model = transformers.LlamaForCausalLM(config)
    graph = torchscope.trace(model, [1, 32], dtype=torch.long)
    _check(graph, model)
    assert graph.device == "meta"
    logits = next(n for n in graph.nodes if n.id == "output.logits")
    assert logits.inputs[0].shape == (1, 32, 120)
    assert _repeats(graph)["model.layers.2"] == "model.layers.0"
    ops = {n.op for n in graph.nodes}
    assert {"LlamaRMSNorm", "Linear", "Embedding", "scaled_dot_product_attention"} <= ops


@pytest.mark.slow
def test_a_llama_7b_shape_traces_on_meta_without_weights() -> None:
    hidden, ffn, vocab, layers = 4096, 11008, 32000, 32
    config = transformers.LlamaConfig(
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=32,
        num_key_value_heads=32,
        intermediate_size=ffn,
        vocab_size=vocab,
    )
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    graph = torchscope.trace(model, [1, 128], dtype=torch.long)
    assert graph.device == "meta"
    # embedding + untied head, and per layer q/k/v/o (4 h²), gate/up/down (3 h·ffn), two RMSNorms
    per_layer = 4 * hidden * hidden + 3 * hidden * ffn + 2 * hidden
    expected = 2 * vocab * hidden + layers * per_layer + hidden
    assert expected == 6_738_415_616  # Llama-2-7B's published parameter count
    assert graph.to_json()["totals"]["params"] == expected
    repeats = _repeats(graph)
    assert [repeats[f"model.layers.{i}"] for i in range(1, layers)] == ["model.layers.0"] * (layers - 1)


# -- published figures: torchvision's weight metadata is the independent truth -----------------


def _build_for_weights(name: str) -> tuple[nn.Module, Any]:
    """The model built for its DEFAULT weights (their architecture kwargs), without loading them.

    Quantized weights publish the figures of the float weights they were made from
    (``meta["unquantized"]``): that float model is built, and the quantized weights returned.
    """
    weights = torchvision.models.get_model_weights(name).DEFAULT
    float_name = name.removeprefix("quantized_")
    build_with = weights.meta["unquantized"] if name.startswith("quantized_") else weights
    with (
        mock.patch.object(WeightsEnum, "get_state_dict", return_value={}),
        mock.patch.object(nn.Module, "load_state_dict", return_value=None),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        if name in DETECTION:  # anchors and NMS need real tensors
            return torchvision.models.get_model(name, weights=weights), weights
        try:
            with torch.device("meta"):
                return torchvision.models.get_model(float_name, weights=build_with), weights
        except (NotImplementedError, RuntimeError):  # builders that compute from tensors (RegNet)
            return torchvision.models.get_model(float_name, weights=build_with), weights


def _published_shape(name: str, weights: Any) -> list[list[int]]:
    if name in CLASSIFICATION or name.startswith("quantized_"):
        crop = weights.transforms().crop_size[0]
        return [[1, 3, crop, crop]]
    return _input_shape(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(torchvision.models.list_models()) - DETECTION))
def test_totals_match_torchvision_published_figures(name: str) -> None:
    model, weights = _build_for_weights(name)
    totals = torchscope.trace(model, _published_shape(name, weights)).to_json()["totals"]
    assert totals["params"] == weights.meta["num_params"]
    if name in CLASSIFICATION or name in VIDEO or name.startswith("quantized_"):
        # `_ops` is GMACs of matmul/conv-like ops at the weights' eval crop, to 3 decimals
        assert round(totals["macs"] / 1e9, 3) == weights.meta["_ops"]
        assert totals["uncounted"] == ""


def test_transformer_matmul_flops_agree_with_torch_flop_counter() -> None:
    config = transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=120, bos_token_id=0, eos_token_id=0
    )
    models = {
        "gpt2": transformers.GPT2LMHeadModel(config),
        "bert": transformers.BertModel(transformers.BertConfig(**TINY, intermediate_size=128)),
        "llama": transformers.LlamaForCausalLM(
            transformers.LlamaConfig(**TINY, num_key_value_heads=2, intermediate_size=128)
        ),
    }
    for name, model in models.items():
        ids = torch.zeros(2, 16, dtype=torch.long)
        # eager attention: FlopCounterMode counts its matmuls (it has no formula for CPU sdpa)
        model.config._attn_implementation = "eager"  # noqa: SLF001
        with FlopCounterMode(display=False) as counter:
            model.eval()(input_ids=ids)
        graph = torchscope.trace(model, kwargs={"input_ids": ids})
        ours = 2 * graph.to_json()["totals"]["macs"]
        assert ours == counter.get_total_flops(), name
