"""Models from where users have them: hf: configs, timm: and torchvision: names, .pt2 files.

Expected numbers come from outside our code: hand counts from the published Llama-3-70B shape,
torchvision's published num_params and _ops, and PyTorch's own parameter count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

import torchscope
from torchscope.cli import main
from torchscope.sources import SourceError, load_model

# meta-llama/Meta-Llama-3-70B config.json, as published
LLAMA_3_70B = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 8192,
    "initializer_range": 0.02, "intermediate_size": 28672, "max_position_embeddings": 8192,
    "model_type": "llama", "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8,
    "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 500000.0,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0",
    "use_cache": True, "vocab_size": 128256,
}  # fmt: skip


def _write(folder: Path, config: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def _published(name: str) -> dict[str, float]:
    return torchvision.models.get_model_weights(name).DEFAULT.meta


@pytest.mark.slow
def test_a_llama_3_70b_config_draws_with_its_published_shape(tmp_path: Path, capsys) -> None:
    folder = _write(tmp_path / "Meta-Llama-3-70B", LLAMA_3_70B)
    page = tmp_path / "llama.html"
    assert main(["draw", f"hf:{folder}", "-o", str(page), "--progress", "never"]) == 0
    assert page.stat().st_size > 100_000
    assert f"wrote {page.resolve()}" in capsys.readouterr().out

    graph = torchscope.trace(f"hf:{folder / 'config.json'}")
    totals = graph.to_json()["totals"]
    hidden, mlp, layers, vocab, kv = 8192, 28672, 80, 128256, 1024
    per_layer = 2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * mlp + 2 * hidden
    params = 2 * vocab * hidden + layers * per_layer + hidden
    assert totals["params"] == params == 70_553_706_496  # the published 70.6 B
    assert totals["param_bytes"] == 2 * params  # bfloat16, the config's dtype
    # 128 token ids: every linear weight once per token, plus QKᵀ and AV per head
    tokens, heads, head_dim = 128, 64, 128
    linear = params - vocab * hidden - (2 * layers + 1) * hidden
    assert totals["macs"] == tokens * linear + layers * heads * tokens * tokens * 2 * head_dim
    assert graph.node("input_ids").outputs[0].shape == (1, 128)
    assert graph.device == "meta"


def test_hf_text_models_get_token_ids_within_the_config_maximum(tmp_path: Path) -> None:
    folder = _write(tmp_path / "gpt2", {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 4,
                                        "n_positions": 100, "vocab_size": 500})  # fmt: skip
    loaded = load_model(f"hf:{folder}", batch=2)
    assert type(loaded.model).__name__ == "GPT2LMHeadModel"  # no architectures: the causal-LM class
    _, kwargs = loaded.example()
    assert kwargs["input_ids"].shape == (2, 100)  # 128 asked by default, capped at n_positions
    assert kwargs["input_ids"].dtype == torch.long
    with pytest.raises(SourceError, match="seq_len 101 is longer than GPT2LMHeadModel's maximum of 100"):
        load_model(f"hf:{folder}", seq_len=101)
    graph = torchscope.trace(load_model(f"hf:{folder}", seq_len=16))
    assert graph.node("input_ids").outputs[0].shape == (1, 16)
    assert graph.to_json()["totals"]["params"] == sum(p.numel() for p in loaded.model.parameters())


def test_hf_encoder_decoders_get_decoder_ids_and_vision_models_pixels(tmp_path: Path) -> None:
    t5 = _write(tmp_path / "t5", {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"],
                                  "d_model": 32, "d_ff": 64, "num_layers": 1, "num_heads": 2, "d_kv": 16,
                                  "vocab_size": 100})  # fmt: skip
    _, kwargs = load_model(f"hf:{t5}", seq_len=8).example()
    assert sorted(kwargs) == ["decoder_input_ids", "input_ids"]
    vit = _write(tmp_path / "vit", {"model_type": "vit", "architectures": ["ViTForImageClassification"],
                                    "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                                    "intermediate_size": 64, "image_size": 64, "patch_size": 16,
                                    "num_channels": 1})  # fmt: skip
    graph = torchscope.trace(f"hf:{vit}")
    assert graph.node("pixel_values").outputs[0].shape == (1, 1, 64, 64)


def test_hf_inputs_not_obvious_from_the_config_are_asked_for(tmp_path: Path, capsys) -> None:
    folder = _write(tmp_path / "whisper", {"model_type": "whisper", "architectures": ["WhisperModel"],
                                           "d_model": 32, "encoder_layers": 1, "decoder_layers": 1,
                                           "encoder_attention_heads": 2, "decoder_attention_heads": 2,
                                           "encoder_ffn_dim": 64, "decoder_ffn_dim": 64})  # fmt: skip
    with pytest.raises(SourceError, match=r"WhisperModel takes 'input_features'.*pass them"):
        torchscope.trace(f"hf:{folder}")
    assert main(["draw", f"hf:{folder}", "-o", str(tmp_path / "w.html")]) == 2
    assert "WhisperModel takes 'input_features'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such file or directory"),
        (lambda p: p, "the directory has no config.json"),
        (lambda p: _bad(p, "{not json"), "is not valid JSON: Expecting property name"),
        (lambda p: _bad(p, "[1, 2]"), "holds a list, not a JSON object"),
        (lambda p: _bad(p, '{"hidden_size": 8}'), 'has no "model_type"'),
        (lambda p: _bad(p, '{"model_type": "no-such-family"}'), "transformers cannot read"),
    ],
)
def test_bad_hf_configs_are_named(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        load_model(f"hf:{make(tmp_path)}")


def _bad(folder: Path, text: str) -> Path:
    (folder / "config.json").write_text(text, encoding="utf-8")
    return folder / "config.json"


def test_timm_names_get_their_pretrained_input_size() -> None:
    # timm's resnet50 is torchvision's architecture: the same published counts
    graph = torchscope.trace("timm:resnet50")
    assert graph.node("input").outputs[0].shape == (1, 3, 224, 224)
    totals, meta = graph.to_json()["totals"], _published("resnet50")
    assert totals["params"] == meta["num_params"]
    assert round(totals["macs"] / 1e9, 3) == meta["_ops"]
    loaded = load_model("timm:inception_v3")
    assert loaded.example()[0][0].shape == (1, 3, 299, 299)
    with pytest.raises(SourceError, match=r"timm has no model 'resnet5'; similar names: .*resnet50"):
        load_model("timm:resnet5")


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("inception_v3", (1, 3, 299, 299)),
        ("regnet_x_400mf", (1, 3, 224, 224)),
        ("r3d_18", (1, 3, 16, 112, 112)),
    ],
)
def test_torchvision_names_match_their_published_figures(name: str, shape: tuple[int, ...]) -> None:
    # inputs at the size each one's weights are evaluated at, so _ops applies; regnet cannot be
    # built on meta (its constructor computes widths from values) and is built on the CPU
    graph = torchscope.trace(f"torchvision:{name}")
    totals, meta = graph.to_json()["totals"], _published(name)
    assert graph.node("input").outputs[0].shape == shape
    assert totals["params"] == meta["num_params"]
    assert round(totals["macs"] / 1e9, 3) == meta["_ops"]


@pytest.mark.slow
def test_torchvision_detection_builds_on_the_cpu_without_downloading(monkeypatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("tried to download weights")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    graph = torchscope.trace("torchvision:fasterrcnn_mobilenet_v3_large_320_fpn")
    assert graph.device == "cpu"
    # no pretrained backbone, so trainable BatchNorm where the published model has frozen ones
    built = torchvision.models.get_model(
        "fasterrcnn_mobilenet_v3_large_320_fpn", weights=None, weights_backbone=None
    )
    assert graph.to_json()["totals"]["params"] == sum(p.numel() for p in built.parameters())


def test_unknown_torchvision_and_prefix_errors() -> None:
    with pytest.raises(SourceError, match="torchvision has no model 'resnet'; similar names: resnet101"):
        load_model("torchvision:resnet")
    with pytest.raises(SourceError, match="give a model name after the colon"):
        load_model("timm:")
    with pytest.raises(SourceError, match="kwargs apply only to a module:callable"):
        load_model("timm:resnet18", kwargs={"num_classes": 3})


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean((2, 3)))


def test_a_pt2_file_draws_as_its_model_does(tmp_path: Path, capsys) -> None:
    model = Small().eval()
    path = tmp_path / "small.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(1, 3, 16, 16),)), path)
    assert main(["stats", str(path), "--progress", "never"]) == 0
    printed = capsys.readouterr().out
    assert "body.0" in printed
    eager = torchscope.trace(model, [1, 3, 16, 16]).to_json()["totals"]
    program = torchscope.trace(str(path)).to_json()["totals"]
    for key in ("params", "macs", "flops", "param_bytes", "buffer_bytes"):
        assert program[key] == eager[key], key
    assert main(["draw", str(path), "--input-shape", "1,3,8,8"]) == 2
    assert "exported program with its own inputs" in capsys.readouterr().err
    (tmp_path / "not.pt2").write_text("hello")
    with pytest.raises(SourceError, match=r"'.*not.pt2' is not a program written by torch.export.save"):
        load_model(tmp_path / "not.pt2")


def test_a_plain_callable_still_needs_its_input_shape(capsys) -> None:
    assert main(["draw", "torchvision.models:alexnet"]) == 2
    err = capsys.readouterr().err
    assert "torchvision.models:alexnet is a plain callable: give its inputs" in err
    assert "--input-shape 1,3,224,224" in err
