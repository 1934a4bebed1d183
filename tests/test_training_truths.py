"""A traced training step against PyTorch's own tools on real CPU steps of the same models.

* ``MemTracker`` (``torch.distributed._tools.mem_tracker``) on the second iteration of a real
  step: the peak and its split agree to the byte but for two differences it has and we keep:
  MemTracker counts the optimizer's CPU step counters (4 bytes per parameter; on a GPU they stay
  on the host, so they are no device memory), and it splits activations by when they were born
  (ACT in the forward, TEMP in the backward) where we split them by what keeps them (``saved``
  for the backward, ``temporaries`` otherwise): the two sums are the same bytes.
* ``FlopCounterMode`` around a real forward and backward, with eager attention (it counts no CPU
  SDPA kernel): our backward MACs are its total minus its forward's, halved into MACs.
"""

from __future__ import annotations

import functools

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from real_step import measured_peak


def _gpt2() -> nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel  # heavy import, two tests

    config = GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=64, bos_token_id=0, eos_token_id=0
    )
    config._attn_implementation = "eager"  # noqa: SLF001  # FlopCounterMode counts no CPU SDPA
    return GPT2LMHeadModel(config)


def _llama() -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=512,
    )  # fmt: skip
    config._attn_implementation = "eager"  # noqa: SLF001
    return LlamaForCausalLM(config)


def _logits(out: object) -> torch.Tensor:
    return out.logits.sum()  # type: ignore[attr-defined, no-any-return]  # a CausalLMOutput


OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}
# name → (model, input, forward keywords, loss member, optimizer)
Case = tuple[nn.Module, torch.Tensor, dict[str, object], str | None, str]


@functools.cache  # built when a test first asks, not when the suite is collected
def _cases() -> dict[str, Case]:
    torch.manual_seed(0)
    ids = torch.randint(0, 512, (4, 32))
    return {
        "resnet18": (torchvision.models.resnet18(), torch.randn(4, 3, 96, 96), {}, None, "sgd"),
        "gpt2": (_gpt2(), ids, {"use_cache": False}, "logits", "adamw"),
        "llama": (_llama(), ids, {"use_cache": False}, "logits", "adam"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "gpt2", "llama"])
def test_peak_and_split_match_memtracker_on_a_real_step(name: str) -> None:
    model, x, kwargs, loss, optimizer = _cases()[name]
    spec = torchscope.Training(loss=loss, optimizer=optimizer)
    graph = torchscope.trace(model, inputs=x, kwargs=kwargs, training=spec)
    assert graph.step is not None
    assert graph.step.peak is not None
    assert graph.step.peak.phase == "backward"  # where the activations are: the demanding case
    ours = graph.step.peak.split
    truth = measured_peak(
        model, (x,), kwargs, optimizer=OPTIMIZERS[optimizer], loss=_logits if loss else None
    )
    has_counters = optimizer != "sgd"
    step_counters = 4 * sum(1 for p in model.parameters() if p.requires_grad) * has_counters
    assert ours["params"] == truth["PARAM"]
    assert ours["buffers"] == truth["BUFFER"]
    assert ours["grads"] == truth["GRAD"]
    assert ours["optimizer"] + step_counters == truth["OPT"]
    activations = ours["saved"] + ours["temporaries"]
    assert activations == pytest.approx(truth["ACT"] + truth["TEMP"], rel=1e-3)
    assert graph.step.peak.bytes + step_counters == pytest.approx(truth["Total"], rel=1e-3)


@pytest.mark.parametrize("name", ["resnet18", "gpt2", "llama"])
def test_backward_macs_match_flopcountermode(name: str) -> None:
    model, x, kwargs, loss, _ = _cases()[name]
    graph = torchscope.trace(model, inputs=x, kwargs=kwargs, training=torchscope.Training(loss=loss))
    totals = graph.to_json()["totals"]
    model.train()
    with FlopCounterMode(display=False) as forward_only:
        model(x, **kwargs)
    with FlopCounterMode(display=False) as both:
        out = model(x, **kwargs)
        (_logits(out) if loss else out.sum()).backward()
    model.zero_grad(set_to_none=True)
    backward = (both.get_total_flops() - forward_only.get_total_flops()) // 2
    assert backward > 0
    assert totals["backward_macs"] == backward
