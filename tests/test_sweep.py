"""A fixed sample of the sweep over transformers' auto mappings (tests/hf_sweep.py has the rules).

Each sampled class must pass: traced as users have it, params exact, MACs equal FlopCounterMode/2
of the eager reference, nothing uncounted. The sample covers every task of the sweep and the
architectures that once failed (grouped-matmul experts, SEW-D's CPU constant, linear attention's
triangular solves, FFTs, multi-head latent attention, state spaces). bench/sweep.py runs them all.
"""

from __future__ import annotations

import pytest

hf_sweep = pytest.importorskip("hf_sweep")  # needs transformers

# (Llama, GPT-2, BERT and the torchvision families have tests of their own in test_zoo*.py)
SAMPLE = [
    "MixtralForCausalLM", "Qwen3MoeForCausalLM", "GptOssForCausalLM", "DeepseekV3ForCausalLM",
    "Llama4ForCausalLM", "Qwen3NextForCausalLM", "MambaForCausalLM", "T5ForConditionalGeneration",
    "FNetModel", "SEWDModel", "ViTForImageClassification", "Wav2Vec2ForCTC",
    "WhisperForConditionalGeneration",
]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def entries() -> dict[str, object]:
    return {e.class_name: e for e in hf_sweep.entries()}


@pytest.mark.parametrize("name", SAMPLE)
def test_sampled_architecture_traces_exactly(name: str, entries: dict[str, object]) -> None:
    outcome = hf_sweep.check(entries[name])
    assert (outcome.status, outcome.reason) == ("pass", ""), f"{name}: {outcome.status}: {outcome.reason}"
    assert outcome.macs == outcome.reference > 0
