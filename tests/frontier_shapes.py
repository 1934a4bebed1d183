"""Published frontier mixture-of-experts shapes, and their parameter and MAC counts by hand.

Each :class:`Shape` builds the model from its published config (the values of the model's
``config.json``, written out here: nothing is downloaded) and carries two independent truths:

* ``published``: the total parameter count the authors published, to the precision they gave it;
* ``params`` and ``active``: the parameter count, and the matmul weights one token meets (its
  attention projections, the router, top-k of the routed experts, the shared experts, the
  output head), both written out from the architecture, weight by weight.

The MACs of a forward over T tokens then follow (:func:`macs`)::

    MACs(T) = T · active + layers · heads · T² · (d_qk + d_v)

the first term every matmul weight once per token, the second ``QKᵀ`` and ``AV`` over the full
T × T score matrix (eager attention and SDPA compute the masked half too). Norm weights, biases
and embeddings are parameters but no matmul work. Used by tests/test_frontier.py and
bench/frontier.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import transformers


@dataclass(frozen=True)
class Shape:
    """One published model: how to build it, and its counts by hand."""

    name: str
    build: Callable[[], Any]  # → a transformers model (call it under torch.device("meta"))
    published: float  # total parameters, in billions, as published
    digits: int  # decimals of billions the publication gives
    params: int  # by hand
    active: int  # matmul weights per token, by hand
    layers: int
    heads: int
    qk_dim: int
    v_dim: int
    experts: int
    top_k: int
    # matmul weights per token as transformers' implementation computes them, where that is not
    # `active`: its Llama 4 runs every expert on every token (the router's scores zero the others)
    computed: int | None = None


def macs(shape: Shape, tokens: int) -> int:
    """MACs of one forward over ``tokens`` tokens (see the module docstring)."""
    per_token = shape.active if shape.computed is None else shape.computed
    return tokens * per_token + shape.layers * shape.heads * tokens * tokens * (shape.qk_dim + shape.v_dim)


def _gqa(hidden: int, heads: int, kv_heads: int, head_dim: int) -> int:
    """q, k, v and o projections of grouped-query attention."""
    return hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden


def _mixtral(  # noqa: PLR0913, PLR0917  # the seven numbers of a Mixtral config
    hidden: int, inter: int, layers: int, heads: int, kv: int, experts: int, vocab: int
) -> tuple[int, int]:
    head_dim = hidden // heads
    attention = _gqa(hidden, heads, kv, head_dim)
    router = experts * hidden
    expert = 3 * hidden * inter  # gate, up, down
    per_layer = attention + router + experts * expert + 2 * hidden  # two RMSNorms
    params = layers * per_layer + 2 * vocab * hidden + hidden  # embeddings, head, final norm
    active = layers * (attention + router + 2 * expert) + vocab * hidden
    return params, active


def _mixtral_8x7b() -> Any:
    return transformers.MixtralForCausalLM(transformers.MixtralConfig())  # its defaults are 8x7B's


def _mixtral_8x22b() -> Any:
    config = transformers.MixtralConfig(
        hidden_size=6144, intermediate_size=16384, num_hidden_layers=56, num_attention_heads=48,
        num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2, vocab_size=32000,
        max_position_embeddings=65536, rope_theta=1e6,
    )  # fmt: skip
    return transformers.MixtralForCausalLM(config)


def _qwen3_30b_a3b() -> Any:
    config = transformers.Qwen3MoeConfig(
        hidden_size=2048, intermediate_size=6144, moe_intermediate_size=768, num_hidden_layers=48,
        num_attention_heads=32, num_key_value_heads=4, head_dim=128, num_experts=128,
        num_experts_per_tok=8, vocab_size=151936, norm_topk_prob=True, max_position_embeddings=40960,
        tie_word_embeddings=False,
    )  # fmt: skip
    return transformers.Qwen3MoeForCausalLM(config)


def _qwen3_counts() -> tuple[int, int]:
    hidden, layers, heads, kv, head_dim, experts, inter, vocab = 2048, 48, 32, 4, 128, 128, 768, 151936
    attention = _gqa(hidden, heads, kv, head_dim)
    router = experts * hidden
    expert = 3 * hidden * inter
    norms = 2 * hidden + 2 * head_dim  # input and post-attention RMSNorms; q and k norms
    params = layers * (attention + router + experts * expert + norms) + 2 * vocab * hidden + hidden
    active = layers * (attention + router + 8 * expert) + vocab * hidden
    return params, active


def _deepseek_v3() -> Any:
    return transformers.DeepseekV3ForCausalLM(transformers.DeepseekV3Config())  # defaults: the 671B model


def _deepseek_counts() -> tuple[int, int]:
    hidden, layers, dense, heads, vocab = 7168, 61, 3, 128, 129280
    q_rank, kv_rank, nope, rope, v = 1536, 512, 128, 64, 128
    experts, top, expert_inter, dense_inter = 256, 8, 2048, 18432
    # multi-head latent attention: q down/up, kv down (+ the shared rotary key)/up, out
    attention = (
        hidden * q_rank + q_rank * heads * (nope + rope)
        + hidden * (kv_rank + rope) + kv_rank * heads * (nope + v)
        + heads * v * hidden
    )  # fmt: skip
    attention_norms = q_rank + kv_rank
    expert = 3 * hidden * expert_inter
    router = experts * hidden
    dense_layer = attention + attention_norms + 3 * hidden * dense_inter + 2 * hidden
    moe_layer = attention + attention_norms + router + experts * expert + expert + 2 * hidden  # + 1 shared
    params = dense * dense_layer + (layers - dense) * moe_layer + 2 * vocab * hidden + hidden
    active = (
        layers * attention + dense * 3 * hidden * dense_inter
        + (layers - dense) * (router + top * expert + expert) + vocab * hidden
    )  # fmt: skip
    return params, active


def _gpt_oss_120b() -> Any:
    return transformers.GptOssForCausalLM(transformers.GptOssConfig())  # defaults: gpt-oss-120b


def _gpt_oss_counts() -> tuple[int, int]:
    hidden, layers, heads, kv, head_dim, experts, top, inter, vocab = (
        2880,
        36,
        64,
        8,
        64,
        128,
        4,
        2880,
        201088,
    )
    attention = _gqa(hidden, heads, kv, head_dim)
    attention_biases = heads * head_dim + 2 * kv * head_dim + hidden
    sinks = heads  # one learned attention sink per head
    router = experts * hidden + experts  # with its bias
    expert = hidden * 2 * inter + inter * hidden  # fused gate-up, down
    expert_biases = 2 * inter + hidden
    per_layer = (
        attention + attention_biases + sinks + router + experts * (expert + expert_biases) + 2 * hidden
    )
    params = layers * per_layer + 2 * vocab * hidden + hidden
    active = layers * (attention + experts * hidden + top * expert) + vocab * hidden
    return params, active


def _llama4_scout() -> Any:
    # transformers 5.24's Llama4ForConditionalGeneration cannot run (its output asks the text
    # model's output for `image_outputs`): the text model is traced, the vision tower counted apart
    return transformers.Llama4ForCausalLM(transformers.Llama4TextConfig())  # defaults: Scout's text model


def llama4_scout_vision_params() -> int:
    """Parameters of Scout's vision tower and projector: the part of the published 109 B not traced."""
    vision = transformers.Llama4VisionConfig(
        hidden_size=1408, image_size=336, intermediate_size=5632, num_attention_heads=16,
        num_hidden_layers=34, patch_size=14, projector_input_dim=4096, projector_output_dim=4096,
        vision_output_dim=4096, pixel_shuffle_ratio=0.5,
    )  # fmt: skip
    text = transformers.Llama4TextConfig()  # defaults: Scout's text model (16 experts, top-1)
    config = transformers.Llama4Config(text_config=text.to_dict(), vision_config=vision.to_dict())
    import torch

    with torch.device("meta"):
        full = transformers.Llama4ForConditionalGeneration(config)
    return sum(p.numel() for n, p in full.named_parameters() if "vision" in n or "multi_modal_projector" in n)


def _llama4_text_counts() -> tuple[int, int, int]:
    hidden, layers, heads, kv, head_dim, experts, inter, vocab = 5120, 48, 40, 8, 128, 16, 8192, 202048
    attention = _gqa(hidden, heads, kv, head_dim)
    router = experts * hidden
    expert = 3 * hidden * inter
    per_layer = attention + router + experts * expert + expert + 2 * hidden  # + the shared expert
    params = layers * per_layer + 2 * vocab * hidden + hidden
    active = layers * (attention + router + expert + expert) + vocab * hidden  # top-1 and the shared one
    computed = layers * (attention + router + experts * expert + expert) + vocab * hidden
    return params, active, computed


_MIXTRAL_7B = _mixtral(4096, 14336, 32, 32, 8, 8, 32000)
_MIXTRAL_22B = _mixtral(6144, 16384, 56, 48, 8, 8, 32000)
_QWEN3 = _qwen3_counts()
_DEEPSEEK = _deepseek_counts()
_GPT_OSS = _gpt_oss_counts()
_LLAMA4 = _llama4_text_counts()

_ATTENTION_128 = {"qk_dim": 128, "v_dim": 128}

SHAPES: dict[str, Shape] = {
    s.name: s
    for s in [
        Shape("Mixtral-8x7B", _mixtral_8x7b, 46.7, 1, *_MIXTRAL_7B, layers=32, heads=32, **_ATTENTION_128,
              experts=8, top_k=2),
        Shape("Mixtral-8x22B", _mixtral_8x22b, 141, 0, *_MIXTRAL_22B, layers=56, heads=48, **_ATTENTION_128,
              experts=8, top_k=2),
        Shape("Qwen3-30B-A3B", _qwen3_30b_a3b, 30.5, 1, *_QWEN3, layers=48, heads=32, **_ATTENTION_128,
              experts=128, top_k=8),
        # multi-head latent attention: queries and keys of 128 + 64 (rotary), values of 128
        Shape("DeepSeek-V3", _deepseek_v3, 671, 0, *_DEEPSEEK, layers=61, heads=128, qk_dim=192, v_dim=128,
              experts=256, top_k=8),
        Shape("GPT-OSS-120B", _gpt_oss_120b, 116.8, 1, *_GPT_OSS, layers=36, heads=64, qk_dim=64, v_dim=64,
              experts=128, top_k=4),
        # the text model's counts; the published 109 B includes the vision tower (see above)
        Shape("Llama-4-Scout", _llama4_scout, 109, 0, *_LLAMA4[:2], layers=48, heads=40, **_ATTENTION_128,
              experts=16, top_k=1, computed=_LLAMA4[2]),
    ]
}  # fmt: skip
