"""More of the models people use: HuggingFace families built from tiny configs, with attention
masks and keyword inputs; a broad timm sweep; and torchvision segmentation, optical flow and video
models traced in eval and train mode. tests/test_zoo.py already traces every torchvision model
and checks its published figures; here each model must also come back bit for bit unchanged.

Every model: the trace succeeds (or fails as a known limit listed below, with a TraceError that
names the layer), the model is unchanged, the payload validates, parameters are counted once, the
outputs have the shapes worked out by hand from the config, and MACs equal FlopCounterMode's.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from torchscope import ModelGraph, schema
from unchanged import Fingerprint

transformers = pytest.importorskip("transformers")
logging.getLogger("transformers").setLevel(logging.ERROR)


def _check(model: nn.Module, graph: ModelGraph) -> schema.Payload:
    payload = schema.validate(graph.to_json())
    # parameters() yields each tensor once: tied embeddings and heads count once
    assert payload["totals"]["params"] == sum(p.numel() for p in model.parameters())
    return payload


def _outputs(graph: ModelGraph) -> dict[str, tuple[int, ...]]:
    return {n.id: n.inputs[0].shape for n in graph.nodes if n.kind == "output"}


# -- HuggingFace transformers, from configs (nothing downloaded) -------------------------------

BATCH, SEQ, TARGET, VOCAB, HIDDEN, LAYERS = 2, 8, 5, 100, 32, 2
TEXT = {
    "vocab_size": VOCAB,
    "hidden_size": HIDDEN,
    "num_hidden_layers": LAYERS,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
}
SEQ2SEQ = {"vocab_size": VOCAB, "d_model": HIDDEN}


def _ids() -> torch.Tensor:
    return torch.arange(BATCH * SEQ).reshape(BATCH, SEQ) % 50 + 3


def _padded_mask() -> torch.Tensor:
    mask = torch.ones(BATCH, SEQ, dtype=torch.long)
    mask[1, -3:] = 0  # the second sequence is three tokens shorter
    return mask


def _text(**extra: object) -> dict[str, object]:
    return {"input_ids": _ids(), "attention_mask": _padded_mask(), **extra}


def _seq2seq() -> dict[str, object]:
    return _text(decoder_input_ids=_ids()[:, :TARGET], use_cache=False)


def _pixels() -> dict[str, object]:
    return {"pixel_values": torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))}


@dataclass
class HF:
    """A model class, its config, the keyword inputs, and the output shapes worked out by hand."""

    family: str
    model: Callable[[], nn.Module]
    inputs: Callable[[], dict[str, object]]
    outputs: dict[str, tuple[int, ...]]
    extra: dict[str, Any] = field(default_factory=dict)


LM = {"output": (BATCH, SEQ, VOCAB)}  # causal LMs without a cache return only the logits
DECODER = {"num_key_value_heads": 2}

HF_MODELS: dict[str, HF] = {
    "bert": HF(
        "encoder",
        lambda: transformers.BertForMaskedLM(transformers.BertConfig(**TEXT)),
        lambda: _text(token_type_ids=torch.zeros(BATCH, SEQ, dtype=torch.long)),
        {"output": (BATCH, SEQ, VOCAB)},
    ),
    "roberta": HF(
        "encoder",
        lambda: transformers.RobertaForSequenceClassification(
            transformers.RobertaConfig(**TEXT, pad_token_id=1, num_labels=3)
        ),
        _text,
        {"output": (BATCH, 3)},
    ),
    "distilbert": HF(
        "encoder",
        lambda: transformers.DistilBertModel(
            transformers.DistilBertConfig(
                vocab_size=VOCAB, dim=HIDDEN, n_layers=LAYERS, n_heads=4, hidden_dim=64
            )
        ),
        _text,
        {"output": (BATCH, SEQ, HIDDEN)},
    ),
    "albert": HF(
        "encoder",
        lambda: transformers.AlbertModel(transformers.AlbertConfig(**TEXT, embedding_size=16)),
        _text,
        {"output.last_hidden_state": (BATCH, SEQ, HIDDEN), "output.pooler_output": (BATCH, HIDDEN)},
    ),
    "electra": HF(
        "encoder",
        lambda: transformers.ElectraForPreTraining(transformers.ElectraConfig(**TEXT, embedding_size=16)),
        _text,
        {"output": (BATCH, SEQ)},  # one real-or-replaced logit per token
    ),
    "deberta-v2": HF(
        "encoder",
        lambda: transformers.DebertaV2Model(transformers.DebertaV2Config(**TEXT)),
        _text,
        {"output": (BATCH, SEQ, HIDDEN)},
    ),
    "gpt2": HF(
        "decoder",
        lambda: transformers.GPT2LMHeadModel(
            transformers.GPT2Config(n_layer=LAYERS, n_embd=HIDDEN, n_head=4, vocab_size=VOCAB, n_positions=64)
        ),
        lambda: _text(use_cache=False),
        LM,
    ),
    "llama": HF(
        "decoder",
        lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(**TEXT, **DECODER)),
        lambda: _text(use_cache=False),
        LM,
    ),
    "mistral": HF(
        "decoder",
        lambda: transformers.MistralForCausalLM(
            transformers.MistralConfig(**TEXT, **DECODER, sliding_window=4)
        ),
        lambda: _text(use_cache=False),
        LM,
    ),
    "qwen2": HF(
        "decoder",
        lambda: transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**TEXT, **DECODER)),
        lambda: _text(use_cache=False),
        LM,
    ),
    "gemma": HF(
        "decoder",
        lambda: transformers.GemmaForCausalLM(transformers.GemmaConfig(**TEXT, **DECODER, head_dim=8)),
        lambda: _text(use_cache=False),
        LM,
    ),
    "phi": HF(
        "decoder",
        lambda: transformers.PhiForCausalLM(transformers.PhiConfig(**TEXT)),
        lambda: _text(use_cache=False),
        LM,
    ),
    "t5": HF(
        "encoder-decoder",
        lambda: transformers.T5ForConditionalGeneration(
            transformers.T5Config(
                **SEQ2SEQ, d_kv=8, d_ff=64, num_layers=LAYERS, num_heads=4, decoder_start_token_id=0
            )
        ),
        _seq2seq,
        {"output.logits": (BATCH, TARGET, VOCAB), "output.encoder_last_hidden_state": (BATCH, SEQ, HIDDEN)},
    ),
    "bart": HF(
        "encoder-decoder",
        lambda: transformers.BartForConditionalGeneration(
            transformers.BartConfig(
                **SEQ2SEQ,
                encoder_layers=LAYERS,
                decoder_layers=LAYERS,
                encoder_attention_heads=4,
                decoder_attention_heads=4,
                encoder_ffn_dim=64,
                decoder_ffn_dim=64,
                max_position_embeddings=64,
            )
        ),
        _seq2seq,
        {"output.logits": (BATCH, TARGET, VOCAB), "output.encoder_last_hidden_state": (BATCH, SEQ, HIDDEN)},
    ),
    "vit": HF(
        "vision",
        lambda: transformers.ViTForImageClassification(
            transformers.ViTConfig(
                hidden_size=HIDDEN,
                num_hidden_layers=LAYERS,
                num_attention_heads=4,
                intermediate_size=64,
                image_size=32,
                patch_size=8,
                num_labels=5,
            )
        ),
        lambda: {**_pixels(), "output_hidden_states": True},
        # (32 / 8)² = 16 patches and the class token; embeddings plus one state per layer
        {
            "output.logits": (1, 5),
            **{f"output.hidden_states.{i}": (1, 17, HIDDEN) for i in range(LAYERS + 1)},
        },
    ),
    "swin": HF(
        "vision",
        lambda: transformers.SwinForImageClassification(
            transformers.SwinConfig(
                image_size=32,
                patch_size=4,
                embed_dim=16,
                depths=[1, 1],
                num_heads=[2, 2],
                window_size=2,
                num_labels=5,
            )
        ),
        lambda: {**_pixels(), "output_hidden_states": True},
        # 8×8 patches of 16 channels, merged once into 4×4 of 32: states before and after each stage
        {
            "output.logits": (1, 5),
            "output.hidden_states.0": (1, 64, 16),
            "output.hidden_states.1": (1, 16, 32),
            "output.hidden_states.2": (1, 16, 32),
            "output.reshaped_hidden_states.0": (1, 16, 8, 8),
            "output.reshaped_hidden_states.1": (1, 32, 4, 4),
            "output.reshaped_hidden_states.2": (1, 32, 4, 4),
        },
    ),
}


@pytest.mark.parametrize("name", HF_MODELS)
def test_huggingface_models_with_masks_and_keyword_inputs(name: str) -> None:
    spec = HF_MODELS[name]
    model = spec.model()
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, kwargs=spec.inputs())
    before.assert_same(model)
    payload = _check(model, graph)
    # a padded mask is looked at by value in several families: those run again on real tensors
    assert graph.device in ("meta", "cpu")
    assert _outputs(graph) == spec.outputs
    inputs = [n.id for n in graph.nodes if n.kind == "input"]
    assert inputs == [k for k, v in spec.inputs().items() if isinstance(v, torch.Tensor)]

    # eager attention, in every sub-model: FlopCounterMode has no formula for CPU's fused kernels
    model.set_attn_implementation("eager")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(**spec.inputs())
    assert payload["totals"]["macs"] == counter.get_total_flops() // 2


def test_tied_embeddings_count_once() -> None:
    model = HF_MODELS["gpt2"].model()
    assert model.lm_head.weight is model.transformer.wte.weight
    graph = torchscope.trace(model, kwargs=_text(use_cache=False))
    total = graph.to_json()["totals"]["params"]
    # by hand: token and position embeddings, 2 blocks of (2 LayerNorms, qkv, proj, fc, proj), final LN
    per_block = 2 * 2 * HIDDEN + (HIDDEN * 3 * HIDDEN + 3 * HIDDEN) + (HIDDEN * HIDDEN + HIDDEN)
    per_block += (HIDDEN * 4 * HIDDEN + 4 * HIDDEN) + (4 * HIDDEN * HIDDEN + HIDDEN)
    assert total == VOCAB * HIDDEN + 64 * HIDDEN + LAYERS * per_block + 2 * HIDDEN


# Models that look at values: a padded attention mask checked by value (BERT, T5), the causal-mask
# builder reading the input ids (Llama). Built on the meta device they have no weights to fall
# back to; the values they look at are the inputs', which a meta pass knows.
LOOK_AT_VALUES = ["bert", "t5", "llama"]


@pytest.mark.parametrize("name", LOOK_AT_VALUES)
def test_meta_built_models_that_look_at_their_inputs_trace_exactly_on_meta(name: str) -> None:
    spec = HF_MODELS[name]
    with torch.device("meta"):
        model = spec.model()
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, kwargs=spec.inputs())
    before.assert_same(model)
    payload = schema.validate(graph.to_json())
    assert graph.device == "meta"
    # what was looked at were known values, not assumptions: nothing is estimated
    assert "estimated" not in payload["totals"]
    assert not any("estimated" in n for n in payload["nodes"])
    # the same architecture with real weights runs on real tensors: the same layers, the same counts
    real = torchscope.trace(spec.model(), kwargs=spec.inputs())
    assert real.device == "cpu"
    layers = [n.id for n in real.nodes if n.kind == "module"]
    assert [n.id for n in graph.nodes if n.kind == "module"] == layers
    totals = real.to_json()["totals"]
    for key in ("macs", "flops", "params"):
        assert payload["totals"][key] == totals[key], key


@pytest.mark.parametrize("name", ["bert", "t5"])
def test_without_a_padded_mask_the_meta_built_models_need_no_values(name: str) -> None:
    spec = HF_MODELS[name]
    with torch.device("meta"):
        model = spec.model()
    inputs = {k: v for k, v in spec.inputs().items() if k != "attention_mask"}
    graph = torchscope.trace(model, kwargs=inputs)
    assert graph.device == "meta"
    assert _outputs(graph) == spec.outputs


# -- timm: a broad sweep of architectures ------------------------------------------------------

TIMM = {
    "cnn": [
        "resnet18", "resnest14d", "seresnext26d_32x4d", "res2net50_14w_8s", "skresnet18", "dla34",
        "dpn48b", "cspdarknet53", "hrnet_w18_small", "densenet121", "inception_v3", "xception41",
        "regnetx_002", "nfnet_l0", "convnext_atto", "inception_next_tiny", "repvgg_a0", "botnet26t_256",
        "halonet26t",
    ],
    "mobile": [
        "efficientnet_b0", "efficientnetv2_rw_t", "mobilenetv3_small_100", "mobilenetv4_conv_small",
        "ghostnetv2_100", "mixnet_s", "fbnetv3_b", "rexnet_100", "mobileone_s0", "fastvit_t8",
        "mobilevit_xxs", "edgenext_xx_small", "efficientvit_b0", "efficientformer_l1", "levit_128s",
    ],
    "transformer": [
        "vit_tiny_patch16_224", "deit_tiny_patch16_224", "eva02_tiny_patch14_224", "cait_xxs24_224",
        "xcit_nano_12_p16_224", "crossvit_tiny_240", "swin_tiny_patch4_window7_224", "pvt_v2_b0",
        "twins_svt_small", "volo_d1_224", "hiera_tiny_224", "tiny_vit_5m_224",
    ],
    "hybrid": ["maxvit_nano_rw_256", "coatnet_nano_rw_224", "coat_lite_tiny"],
    "mlp and others": ["mixer_s32_224", "resmlp_12_224", "gmlp_ti16_224", "poolformer_s12", "mambaout_femto",
                       "sequencer2d_s"],
}  # fmt: skip
TIMM_MODELS = [(family, name) for family, names in TIMM.items() for name in names]


@pytest.mark.slow
@pytest.mark.parametrize(("family", "name"), TIMM_MODELS, ids=[name for _, name in TIMM_MODELS])
def test_timm_architectures(family: str, name: str) -> None:
    timm = pytest.importorskip("timm")
    del family
    model = timm.create_model(name, pretrained=False, num_classes=10).eval()
    # each architecture's own default resolution; on meta the size costs nothing
    shape = [1, *model.pretrained_cfg["input_size"]]
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, shape)
    before.assert_same(model)
    payload = _check(model, graph)
    assert graph.device == "meta"
    assert _outputs(graph) == {"output": (1, 10)}
    assert payload["totals"]["uncounted"] == ""
    # PyTorch's FlopCounterMode over the same meta pass, as an independent count
    state = {
        k: torch.empty_like(v, device="meta") for k, v in (*model.named_parameters(), *model.named_buffers())
    }
    with FlopCounterMode(display=False) as counter:
        torch.func.functional_call(model, state, (torch.empty(shape, device="meta"),), tie_weights=True)
    assert payload["totals"]["macs"] == counter.get_total_flops() // 2


# -- torchvision segmentation, optical flow and video, eval and train ----------------------------


def _torchvision(name: str, **options: object) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torchvision.models.get_model(name, weights=None, **options)


SEGMENT = 64
TORCHVISION: dict[str, tuple[Callable[[], nn.Module], list[list[int]], dict[str, tuple[int, ...]]]] = {
    # 21 classes (VOC) at the input's resolution; the auxiliary head appears in train mode only
    "lraspp_mobilenet_v3_large": (
        lambda: _torchvision("lraspp_mobilenet_v3_large", weights_backbone=None),
        [[2, 3, SEGMENT, SEGMENT]],
        {"output": (2, 21, SEGMENT, SEGMENT)},
    ),
    "deeplabv3_mobilenet_v3_large": (
        lambda: _torchvision("deeplabv3_mobilenet_v3_large", weights_backbone=None, aux_loss=True),
        [[2, 3, SEGMENT, SEGMENT]],
        {"output.out": (2, 21, SEGMENT, SEGMENT), "output.aux": (2, 21, SEGMENT, SEGMENT)},
    ),
    # one flow field per refinement step: raft_small makes 12 by default
    "raft_small": (
        lambda: _torchvision("raft_small"),
        [[1, 3, 128, 128], [1, 3, 128, 128]],
        {f"output.{i}": (1, 2, 128, 128) for i in range(12)},
    ),
    # Kinetics-400 classes from 16 frames
    "r3d_18": (lambda: _torchvision("r3d_18"), [[1, 3, 16, 112, 112]], {"output": (1, 400)}),
    "s3d": (lambda: _torchvision("s3d"), [[1, 3, 16, 224, 224]], {"output": (1, 400)}),
    "mvit_v2_s": (lambda: _torchvision("mvit_v2_s"), [[1, 3, 16, 224, 224]], {"output": (1, 400)}),
}


@pytest.mark.slow
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_dense_and_video_models_leave_no_trace(name: str, train: bool) -> None:  # noqa: FBT001
    build, shapes, outputs = TORCHVISION[name]
    model = build()
    model.train(not train)  # the opposite of the trace's mode: the flags must come back
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, shapes, train=train)
    before.assert_same(model)
    _check(model, graph)
    assert graph.device == "meta"
    assert _outputs(graph) == outputs


@pytest.mark.slow
def test_a_detection_model_falls_back_to_real_tensors_and_leaves_no_trace() -> None:
    # anchors and NMS need values: the pass runs again on the CPU, with copies of the buffers
    model = _torchvision("fasterrcnn_mobilenet_v3_large_320_fpn", weights_backbone=None)
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, [[1, 3, 320, 320]])
    before.assert_same(model)
    payload = _check(model, graph)
    assert graph.device == "cpu"
    # the number of boxes depends on the random weights; their four coordinates do not
    boxes = [shape for name, shape in _outputs(graph).items() if name.endswith(".boxes")]
    assert len(boxes) == 1
    assert boxes[0][1:] == (4,)
    assert "torchvision.nms" in payload["totals"]["uncounted"]
