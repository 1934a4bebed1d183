"""The gallery: the models a newcomer opens first, built without downloads, with their inputs.

Read by ``bench/gallery.py`` (standalone pages and JupyterLab screenshots of four views each) and by
the browser tests of the first view (``tests/browser/test_first_view.py``). Big language models are
shapes on the meta device; everything else is built with random weights at full size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torchvision
from torch import nn


@dataclass(frozen=True)
class Entry:
    """A model of the gallery: how to build it, and what `draw_model` is given for it."""

    build: Callable[[], nn.Module]
    input_shape: list[int] | None = None
    dtype: torch.dtype | None = None
    kwargs: Callable[[], dict[str, Any]] | None = None
    trace_args: dict[str, Any] = field(default_factory=dict)

    def trace_keywords(self) -> dict[str, Any]:
        """The keywords of ``torchscope.draw_model`` / ``trace`` besides the model."""
        args: dict[str, Any] = dict(self.trace_args)
        if self.input_shape is not None:
            args["input_shape"] = self.input_shape
        if self.dtype is not None:
            args["dtype"] = self.dtype
        if self.kwargs is not None:
            args["kwargs"] = self.kwargs()
        return args


def _quiet() -> Any:
    logging.getLogger("transformers").setLevel(logging.ERROR)
    import transformers  # only the language models need it

    return transformers


def _gpt2() -> nn.Module:
    transformers = _quiet()
    with torch.device("meta"):
        return transformers.GPT2LMHeadModel(transformers.GPT2Config())


def _llama_7b() -> nn.Module:
    transformers = _quiet()
    config = transformers.LlamaConfig(
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=32,
        vocab_size=32000,
    )
    with torch.device("meta"):
        return transformers.LlamaForCausalLM(config)


def _mixtral_8x7b() -> nn.Module:
    transformers = _quiet()
    config = transformers.MixtralConfig(
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        num_local_experts=8,
        num_experts_per_tok=2,
        vocab_size=32000,
    )
    with torch.device("meta"):
        return transformers.MixtralForCausalLM(config).to(torch.bfloat16)


def _unet() -> nn.Module:
    import diffusers  # only this model needs it

    return diffusers.UNet2DConditionModel(
        sample_size=32,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )


def _unet_inputs() -> dict[str, Any]:
    return {
        "sample": torch.randn(1, 4, 32, 32),
        "timestep": torch.tensor([10]),
        "encoder_hidden_states": torch.randn(1, 8, 32),
    }


def _whisper() -> nn.Module:
    transformers = _quiet()
    config = transformers.WhisperConfig(
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        num_mel_bins=80,
        max_source_positions=50,
        max_target_positions=32,
        vocab_size=200,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
    )
    return transformers.WhisperForConditionalGeneration(config)


def _whisper_inputs() -> dict[str, Any]:
    return {
        "input_features": torch.randn(1, 80, 100),
        "decoder_input_ids": torch.zeros(1, 8, dtype=torch.long),
    }


IMAGE = [1, 3, 224, 224]
TOKENS = [1, 128]

GALLERY: dict[str, Entry] = {
    "alexnet": Entry(torchvision.models.alexnet, IMAGE),
    "resnet50": Entry(torchvision.models.resnet50, IMAGE),
    "densenet121": Entry(torchvision.models.densenet121, IMAGE),
    "vit_b_16": Entry(torchvision.models.vit_b_16, IMAGE),
    "swin_t": Entry(torchvision.models.swin_t, IMAGE),
    "gpt2": Entry(_gpt2, TOKENS, torch.long),
    "llama_7b": Entry(_llama_7b, TOKENS, torch.long),
    "mixtral_8x7b": Entry(_mixtral_8x7b, TOKENS, torch.long),
    "unet": Entry(_unet, kwargs=_unet_inputs),
    "whisper": Entry(_whisper, kwargs=_whisper_inputs),
}


def gallery_view(name: str) -> Any:
    """The ``ModelView`` of one gallery model, as ``draw_model`` returns it."""
    import torchscope  # the registry itself needs no torchscope

    entry = GALLERY[name]
    return torchscope.draw_model(entry.build(), **entry.trace_keywords())
