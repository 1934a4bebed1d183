"""Every architecture in transformers' auto mappings, built tiny, and the check each must pass.

A model class is taken from the auto mappings of the tasks in :data:`TASKS` (causal LM, masked
LM, seq2seq, base models, image classification, speech). Its config is built from the config
class's own defaults with the sizes in :data:`SHRINK` (few layers, small widths, few experts),
sub-configs (text, vision, audio) alike; :data:`OVERRIDES` lists the few models that need more,
each with its reason.

:func:`check` then decides one class:

* ``skip``: the tiny model cannot be built, or has no eager CPU forward, or takes an input this
  module does not build; nothing of torchscope's was run. The reason is kept.
* ``pass``: traced as users have it (default attention and experts, device ``auto``), its params
  equal the model's and its MACs equal ``FlopCounterMode`` / 2 over the same model with attention
  and experts forced to eager, SDPA on its math kernel and oneDNN off, with no uncounted op.
* ``fail``: anything else, with what differed.

``tests/test_sweep.py`` runs a fixed sample in CI; ``bench/sweep.py`` runs them all.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

import torchscope

TASKS = {
    "causal-lm": "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
    "masked-lm": "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
    "seq2seq": "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
    "base": "MODEL_MAPPING_NAMES",
    "image-classification": "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",
    "ctc": "MODEL_FOR_CTC_MAPPING_NAMES",
    "speech-seq2seq": "MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES",
    "audio-classification": "MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES",
}
TOKENS = 8

# config attribute → its tiny value, wherever a config has the attribute
SHRINK: dict[str, object] = {
    **dict.fromkeys(
        ["num_hidden_layers", "num_layers", "n_layer", "n_layers", "encoder_layers", "decoder_layers",
         "num_encoder_layers", "num_decoder_layers", "num_decoder_layer"],
        2,
    ),
    **dict.fromkeys(["hidden_size", "d_model", "n_embd", "embed_dim", "word_embed_proj_dim"], 64),
    **dict.fromkeys(
        ["num_attention_heads", "n_head", "n_heads", "encoder_attention_heads", "decoder_attention_heads"], 4
    ),
    **dict.fromkeys(["num_key_value_heads", "num_kv_heads", "multi_query_group_num"], 2),
    **dict.fromkeys(
        ["intermediate_size", "ffn_dim", "encoder_ffn_dim", "decoder_ffn_dim", "d_ff", "n_inner",
         "ffn_hidden_size"],
        128,
    ),
    **dict.fromkeys(["head_dim", "d_kv", "qk_nope_head_dim", "v_head_dim"], 16),
    "qk_rope_head_dim": 8,
    **dict.fromkeys(["q_lora_rank"], 32),
    **dict.fromkeys(["kv_lora_rank"], 16),
    **dict.fromkeys(["num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"], 4),
    **dict.fromkeys(["num_experts_per_tok", "moe_topk", "top_k"], 2),
    **dict.fromkeys(
        ["moe_intermediate_size", "shared_expert_intermediate_size", "expert_intermediate_size"], 32
    ),
    **dict.fromkeys(["n_group", "topk_group"], 1),
    "first_k_dense_replace": 1,
}  # fmt: skip

# models that need more than SHRINK, and why
OVERRIDES: dict[str, dict[str, object]] = {
    # its encoder expects 2·max_source_positions mel frames: 3000 by default
    "whisper": {"max_source_positions": 16},
    # the same encoder layout as Whisper's
    "qwen2_audio_encoder": {"max_source_positions": 16},
    # hybrids: with two layers, the default pattern (three linear-attention layers, then one full)
    # would leave no full-attention layer, which the cache needs
    "qwen3_next": {"layer_types": ["linear_attention", "full_attention"]},
    # multi-head latent attention shares its rotary key across all heads: as many key heads
    "deepseek_v3": {"num_key_value_heads": 4},
}


@dataclass(frozen=True)
class Entry:
    """One model class of an auto mapping."""

    task: str
    model_type: str
    class_name: str

    @property
    def name(self) -> str:
        """The class name, the test id."""
        return self.class_name


@dataclass
class Outcome:
    """What :func:`check` found for one class."""

    entry: Entry
    status: str  # "pass" | "skip" | "fail"
    reason: str = ""
    params: int = 0
    macs: int = 0
    reference: int = 0
    seconds: float = 0.0


def entries() -> list[Entry]:
    """Every class of the auto mappings in :data:`TASKS`, each once (its first task), in order."""
    from transformers.models.auto import modeling_auto  # optional dependency

    found: dict[str, Entry] = {}
    for task, mapping in TASKS.items():
        for model_type, names in getattr(modeling_auto, mapping).items():
            for class_name in [names] if isinstance(names, str) else list(names):
                found.setdefault(class_name, Entry(task, model_type, class_name))
    return list(found.values())


def tiny_config(entry: Entry) -> Any:  # a transformers PretrainedConfig
    """The class's config defaults with the sizes of :data:`SHRINK` and the model's overrides."""
    import transformers

    # the model class's own config: a causal LM of a multimodal family takes the text config
    config_class = getattr(getattr(transformers, entry.class_name), "config_class", None)
    if config_class is None:
        config_class = type(transformers.AutoConfig.for_model(entry.model_type))
    return _shrunk(config_class, OVERRIDES.get(entry.model_type, {}))


def _shrunk(config_class: type, extra: dict[str, object]) -> Any:
    from transformers import PretrainedConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = config_class()
        accepted = set(inspect.signature(config_class.__init__).parameters) | set(vars(base))
        changes: dict[str, object] = {k: v for k, v in SHRINK.items() if k in accepted and hasattr(base, k)}
        for key, value in vars(base).items():
            if isinstance(value, PretrainedConfig):
                changes[key] = _shrunk(type(value), {}).to_dict()
            elif key in _LISTS and isinstance(value, list | tuple):
                changes[key] = _shrink_list(key, value)
        if "qk_rope_head_dim" in changes and "head_dim" in changes:
            changes["head_dim"] = changes["qk_rope_head_dim"]  # multi-head latent attention ropes that part
        changes.update(extra)
        return config_class(**changes)


_LISTS = ("hidden_sizes", "depths", "embed_dims", "num_heads")


def _shrink_list(key: str, value: list[Any] | tuple[Any, ...]) -> list[Any]:
    if key == "depths":
        return [1 for _ in value]
    if key == "num_heads":
        return [min(int(v), 2) for v in value]
    return [16 * (i + 1) for i in range(len(value))]


def build(entry: Entry) -> nn.Module:
    """The tiny model of ``entry`` on the CPU, in eval mode, seeded."""
    import transformers

    config = tiny_config(entry)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(transformers, entry.class_name)(config)
    return model.eval()


def inputs(model: nn.Module) -> dict[str, torch.Tensor]:
    """Inputs for the model's main input: token ids, pixels, a waveform or mel features."""
    config = model.config  # type: ignore[union-attr]
    main = getattr(model, "main_input_name", "input_ids")
    if main == "input_ids":
        vocab = _find(config, "vocab_size", 100)
        ids = (torch.arange(TOKENS) % min(int(vocab), 100)).reshape(1, TOKENS)
        built = {"input_ids": ids}
        if getattr(config, "is_encoder_decoder", False):
            built["decoder_input_ids"] = ids.clone()
        return built
    if main == "pixel_values":
        size = _find(config, "image_size", 32)
        size = size if isinstance(size, int) else int(size[0])
        channels = int(_find(config, "num_channels", 3))
        return {"pixel_values": torch.randn(1, channels, size, size, generator=_seeded())}
    if main == "input_values":
        return {"input_values": torch.randn(1, 1600, generator=_seeded())}
    if main == "input_features":
        bins = int(_find(config, "num_mel_bins", 80))
        frames = 2 * int(_find(config, "max_source_positions", 16))
        built = {"input_features": torch.randn(1, bins, frames, generator=_seeded())}
        if getattr(config, "is_encoder_decoder", False):
            built["decoder_input_ids"] = torch.zeros(1, 4, dtype=torch.long)
        return built
    raise LookupError(f"main input {main!r} is not built generically")


def _seeded() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _find(config: Any, key: str, default: Any) -> Any:
    """The attribute on the config, or on one of its sub-configs, or the default."""
    if hasattr(config, key) and getattr(config, key) is not None:
        return getattr(config, key)
    for sub in ("text_config", "vision_config", "audio_config", "encoder"):
        nested = getattr(config, sub, None)
        if nested is not None and getattr(nested, key, None) is not None:
            return getattr(nested, key)
    return default


@contextlib.contextmanager
def eager(model: nn.Module) -> Iterator[None]:
    """Attention and experts forced to eager, SDPA on its math kernel, oneDNN off: FlopCounterMode's paths."""
    for setter, value in (("set_attn_implementation", "eager"), ("set_experts_implementation", "eager")):
        with contextlib.suppress(Exception):  # a model without that choice keeps its only path
            getattr(model, setter)(value)
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False):
        yield


def _solve_triangular_flops(a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None, **kw: Any) -> int:
    """FLOPs of ``linalg_solve_triangular``, which FlopCounterMode has no formula for.

    Written out here, apart from torchscope's, from back substitution: each of the n unknowns of a
    right-hand side takes the i - 1 known ones (a multiply-add each), so n(n - 1)/2 MACs per
    right-hand side; 2 FLOPs per MAC, as FlopCounterMode counts matmuls.
    """
    del b_shape, args, kw
    n = a_shape[-1]
    right_hand_sides = math.prod(out_shape) // n  # over the batch, whichever side A is on
    return 2 * right_hand_sides * n * (n - 1) // 2


# ops that some eager paths run, that FlopCounterMode does not count, and that are matmul work
MISSING_FROM_FLOP_COUNTER: dict[Any, Any] = {
    torch.ops.aten.linalg_solve_triangular: _solve_triangular_flops,
}


def reference_macs(model: nn.Module, given: dict[str, torch.Tensor]) -> int:
    """FlopCounterMode / 2 over ``model`` on the eager paths (see :func:`eager`).

    :data:`MISSING_FROM_FLOP_COUNTER` adds the matmul-like ops it does not know.
    """
    with eager(model), FlopCounterMode(display=False, custom_mapping=MISSING_FROM_FLOP_COUNTER) as counter:
        model(**given)
    return int(counter.get_total_flops()) // 2


def check(entry: Entry) -> Outcome:
    """Decide one class: skip (no eager CPU forward), pass, or fail; see the module docstring."""
    import time

    started = time.perf_counter()
    try:
        model = build(entry)
        given = inputs(model)
    except Exception as error:  # noqa: BLE001  # whatever stops the tiny model: a skip, with its reason
        return Outcome(entry, "skip", _short(error))
    params = sum(p.numel() for p in model.parameters())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            totals = torchscope.trace(model, kwargs=given).to_json()["totals"]
    except Exception as error:  # noqa: BLE001  # a finding, unless the model cannot run at all
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                model(**given)
        except Exception as plain:  # noqa: BLE001
            return Outcome(entry, "skip", _short(plain))
        return Outcome(entry, "fail", f"trace: {_short(error)}", params=params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the same model: the trace left it as it was
            reference = reference_macs(model, given)
    except Exception as error:  # noqa: BLE001
        return Outcome(entry, "skip", f"no eager reference: {_short(error)}", params=params)
    outcome = Outcome(
        entry, "pass", params=params, macs=int(totals["macs"]), reference=reference,  # type: ignore[arg-type]
        seconds=time.perf_counter() - started,
    )  # fmt: skip
    problems = []
    if totals["params"] != params:
        problems.append(f"params {totals['params']} != {params}")
    if outcome.macs != reference:
        problems.append(
            f"MACs {outcome.macs} != FlopCounterMode/2 {reference} ({outcome.macs / max(reference, 1):.4f})"
        )
    if totals["uncounted"]:
        problems.append(f"uncounted {totals['uncounted']}")
    if "estimated" in totals:
        problems.append(f"estimated: {totals['estimated']}")
    if problems:
        outcome.status, outcome.reason = "fail", "; ".join(problems)
    return outcome


def _short(error: BaseException, keep: int = 300) -> str:
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text if len(text) <= keep else text[:keep] + "…"


def share(outcomes: list[Outcome], status: str) -> str:
    """``12 of 40 (30%)`` for one status."""
    count = sum(o.status == status for o in outcomes)
    return f"{count} of {len(outcomes)} ({100 * count / max(len(outcomes), 1):.0f}%)"
