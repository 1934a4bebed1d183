"""``hf:PATH``: a transformers model from its ``config.json`` alone, on meta (see :mod:`torchscope.sources`).

Nothing is downloaded: the config is read from the local path, and the model is built under
``torch.device("meta")`` in the config's dtype, so a 70B config costs no memory and the parameter
bytes are those of the published checkpoint.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import torch

from torchscope.sources import DEFAULT_SEQ_LEN, LoadedModel, SourceError, read_json

# Tried in this order when the config names no architecture transformers has
_AUTO_CLASSES = (
    "AutoModelForCausalLM",
    "AutoModelForSeq2SeqLM",
    "AutoModelForImageClassification",
    "AutoModelForMaskedLM",
    "AutoModel",
)
# Config fields that bound the sequence length, by model family
_MAX_POSITIONS = ("max_position_embeddings", "n_positions", "max_sequence_length", "n_ctx")


def load_hf(spec: str, *, batch: int, seq_len: int | None) -> LoadedModel:
    """Build the model of the config at ``spec`` (a directory or a ``config.json``) on meta."""
    transformers = _transformers()
    path = _config_path(spec)
    fields = read_json(path, "the config")
    if "model_type" not in fields:
        raise SourceError(
            f'{str(path)!r} has no "model_type": it is not a transformers config (e.g. a Llama '
            'config.json has "model_type": "llama")'
        )
    # offline: transformers must not look for anything on the Hub
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        config = transformers.AutoConfig.from_pretrained(str(path), local_files_only=True)
    except (ValueError, KeyError, OSError) as error:
        raise SourceError(
            f"transformers cannot read {str(path)!r}: {' '.join(str(error).split())}"
        ) from error
    cls = _model_class(transformers, config, path)
    dtype = _dtype(getattr(config, "dtype", None))
    with torch.device("meta"):
        model = cls._from_config(config, dtype=dtype).eval()  # the auto classes' own builder
    name = type(model).__name__
    args, kwargs, needs = _inputs(model, config, batch, seq_len)
    return LoadedModel(model, name, args=args, kwargs=kwargs, needs=needs)


def _transformers() -> Any:  # noqa: ANN401  # an optional, untyped package
    try:
        import transformers  # noqa: PLC0415  # only hf: needs it
    except ImportError:
        raise SourceError("hf:PATH needs transformers: pip install transformers") from None
    return transformers


def _config_path(spec: str) -> Path:
    if not spec.strip():
        raise SourceError("hf:PATH: give a directory holding config.json, or the config.json itself")
    path = Path(spec.strip()).expanduser()
    if path.is_dir():
        path /= "config.json"
        if not path.is_file():
            raise SourceError(f"hf:{spec}: the directory has no config.json")
    elif not path.is_file():
        raise SourceError(
            f"hf:{spec}: no such file or directory (hf: reads a local config; nothing is downloaded)"
        )
    return path


def _model_class(transformers: Any, config: Any, path: Path) -> Any:  # noqa: ANN401
    for arch in getattr(config, "architectures", None) or []:
        found = getattr(transformers, arch, None)
        if isinstance(found, type):
            return found
    for auto in _AUTO_CLASSES:
        mapping = getattr(transformers, auto)._model_mapping  # noqa: SLF001  # which configs it knows
        if type(config) in mapping:
            return mapping[type(config)]
    raise SourceError(f"no transformers model class builds the {type(config).__name__} of {str(path)!r}")


def _dtype(value: object) -> torch.dtype:
    if isinstance(value, torch.dtype):
        return value
    found = getattr(torch, str(value), None) if isinstance(value, str) else None
    return found if isinstance(found, torch.dtype) else torch.float32


def _inputs(
    model: torch.nn.Module,
    config: Any,  # noqa: ANN401  # a transformers PretrainedConfig, untyped
    batch: int,
    seq_len: int | None,
) -> tuple[tuple[object, ...] | None, dict[str, object] | None, str]:
    """Token ids for a text model, pixel values for a vision one; otherwise say what is needed."""
    main = str(getattr(model, "main_input_name", "input_ids"))
    forward = inspect.signature(model.forward).parameters
    name = type(model).__name__
    needs = (
        f"{name} takes {main!r} (and perhaps more); its inputs are not inferred from the config: "
        "pass them (--input-shape and --dtype, or kwargs= in Python)"
    )
    if main == "input_ids" and "pixel_values" in forward and hasattr(config, "vision_config"):
        return None, None, f"{name} takes text and images together; {needs.split('; ', 1)[1]}"
    if main == "input_ids":
        tokens = _sequence_length(config, seq_len, name)
        ids = torch.empty(batch, tokens, dtype=torch.long, device="meta")
        kwargs: dict[str, object] = {"input_ids": ids}
        if getattr(config, "is_encoder_decoder", False) and "decoder_input_ids" in forward:
            kwargs["decoder_input_ids"] = torch.empty(batch, tokens, dtype=torch.long, device="meta")
        return (), kwargs, ""
    if main == "pixel_values":
        height, width = _image_size(config, name)
        channels = int(getattr(config, "num_channels", 3))
        return (), {"pixel_values": torch.empty(batch, channels, height, width, device="meta")}, ""
    return None, None, needs


def _sequence_length(config: Any, asked: int | None, name: str) -> int:  # noqa: ANN401
    limit = next((int(v) for f in _MAX_POSITIONS if isinstance(v := getattr(config, f, None), int)), None)
    if asked is not None and limit is not None and asked > limit:
        raise SourceError(f"seq_len {asked} is longer than {name}'s maximum of {limit} positions")
    tokens = asked or DEFAULT_SEQ_LEN
    return min(tokens, limit) if limit is not None else tokens


def _image_size(config: Any, name: str) -> tuple[int, int]:  # noqa: ANN401
    size = getattr(config, "image_size", None)
    if isinstance(size, int):
        return size, size
    if isinstance(size, list | tuple) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise SourceError(f"{name}'s config has no image_size to make pixel_values from; pass the inputs")
