"""Models from where users have them, each with the inputs its family makes obvious.

A Hugging Face config, a timm or torchvision name, a ``.pt2`` file, or any ``module:callable``:

======================  =====================================================================
``hf:PATH``             a directory holding ``config.json``, or the file itself: ``AutoConfig``
                        and the class its ``architectures`` names (else the first auto class that
                        knows the config), built on ``meta`` in the config's dtype. No weights are
                        read and nothing is downloaded.
``timm:NAME``           ``timm.create_model(NAME, pretrained=False)``, built on ``meta``.
``torchvision:NAME``    ``torchvision.models.get_model(NAME, weights=None)``: on ``meta``, except
                        detection and optical-flow models, whose forward looks at values (on the
                        CPU, with random weights).
``PATH.pt2``            a program written by ``torch.export.save``: drawn from its FX graph.
``module:callable``     ``module.callable(**kwargs)`` (or ``path/to/file.py:callable``); a model
                        object there is used as it is.
======================  =====================================================================

Inputs inferred (``LoadedModel.inputs``), all on ``meta``, batch ``batch``:

* token ids ``input_ids`` of ``seq_len`` tokens (default 128, at most the config's maximum) for a
  Hugging Face model whose main input is text, and ``decoder_input_ids`` too for an
  encoder-decoder;
* ``pixel_values`` of the config's ``num_channels × image_size²`` for a Hugging Face vision model;
* images of the size the default weights' preprocessing produces for torchvision (``224²``,
  ``299²`` for Inception, ``520²`` for segmentation, 16 frames of ``112²`` for video, a list of
  one ``800²`` image for detection), and of ``pretrained_cfg["input_size"]`` for timm.

Where the family does not make it obvious (audio, multimodal, a plain callable), ``inputs`` is
``None`` and :meth:`LoadedModel.example` raises with what to pass instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

PREFIXES = ("hf", "timm", "torchvision")
DEFAULT_SEQ_LEN = 128


class SourceError(ValueError):
    """A model could not be found or built from its spec; the message says what was wrong."""


@dataclass
class LoadedModel:
    """A model built from a spec, with the inputs its family makes obvious."""

    model: nn.Module | torch.export.ExportedProgram
    name: str
    # positional and keyword inputs for forward; None when not inferred, `needs` says what to pass
    args: tuple[object, ...] | None = None
    kwargs: dict[str, object] | None = None
    needs: str = ""

    @property
    def inferred(self) -> bool:
        """Whether the inputs were inferred (a .pt2 program carries its own: none are needed)."""
        return self.args is not None or self.kwargs is not None

    def example(self) -> tuple[tuple[object, ...], dict[str, object]]:
        """Return the inferred ``(args, kwargs)``, or raise :class:`SourceError` saying what to pass."""
        if not self.inferred:
            raise SourceError(self.needs)
        return tuple(self.args or ()), dict(self.kwargs or {})


def load_model(
    spec: str | Path,
    *,
    batch: int = 1,
    seq_len: int | None = None,
    kwargs: Mapping[str, object] | None = None,
) -> LoadedModel:
    """Build the model ``spec`` names (see the module docstring) and infer its inputs.

    ``kwargs`` go to a ``module:callable``; ``batch`` and ``seq_len`` size the inferred inputs.

    Raises
    ------
    SourceError
        naming what is wrong: an unknown prefix or name, a missing file, a config transformers
        does not know, a callable that failed or returned no model.
    """
    for name, value in (("batch", batch), ("seq_len", seq_len)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SourceError(f"{name} must be a whole number of at least 1, got {value!r}")
    text = str(spec)
    prefix, colon, rest = text.partition(":")
    if kwargs and (prefix in PREFIXES or text.endswith(".pt2")):
        raise SourceError(f"kwargs apply only to a module:callable, not to {text!r}")
    if colon and prefix == "hf":
        from torchscope.sources_hf import load_hf  # noqa: PLC0415  # transformers is optional

        return load_hf(rest, batch=batch, seq_len=seq_len)
    if colon and prefix == "timm":
        return _timm(rest, batch)
    if colon and prefix == "torchvision":
        return _torchvision(rest, batch)
    if text.endswith(".pt2"):
        return _program(Path(text))
    return _callable(text, dict(kwargs or {}))


def _require(module: str, spec: str) -> Any:  # noqa: ANN401  # the optional package, untyped
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SourceError(f"{spec} needs {module}: pip install {module}") from None


def _name(spec: str, what: str) -> str:
    if not spec.strip():
        raise SourceError(f"{what}: give a model name after the colon")
    return spec.strip()


# -- timm and torchvision -------------------------------------------------------------------------


def _timm(spec: str, batch: int) -> LoadedModel:
    name = _name(spec, "timm:NAME")
    timm = _require("timm", f"timm:{name}")
    if not timm.is_model(name):
        near = timm.list_models(f"*{name}*")[:6]
        hint = f"; similar names: {', '.join(near)}" if near else ""
        raise SourceError(f"timm has no model {name!r}{hint}")
    model, device = _build(lambda: timm.create_model(name, pretrained=False), "meta")
    config: dict[str, Any] = getattr(model, "pretrained_cfg", None) or {}
    size = tuple(config.get("input_size") or (3, 224, 224))
    pixels = _image(device, batch, *size)
    return LoadedModel(model, name, args=(pixels,))


# families whose forward looks at values (proposals, flow refinement): built with real weights
_NEEDS_VALUES = ("detection", "optical_flow")


def _torchvision(spec: str, batch: int) -> LoadedModel:
    name = _name(spec, "torchvision:NAME")
    models = _require("torchvision", f"torchvision:{name}").models
    if name not in models.list_models():
        found = (m for m in models.list_models() if name.lower() in m)
        near = sorted(found, key=lambda m: (m.find(name.lower()), m))[:6]
        hint = f"; similar names: {', '.join(near)}" if near else ""
        raise SourceError(f"torchvision has no model {name!r}{hint}")
    family = next(
        (
            f
            for f in ("video", "segmentation", *_NEEDS_VALUES)
            if name in models.list_models(module=getattr(models, f))
        ),
        "classification",
    )
    # no pretrained backbone either: detection and segmentation models download one by default
    options: dict[str, object] = {"weights_backbone": None} if family in ("detection", "segmentation") else {}
    model, device = _build(
        lambda: models.get_model(name, weights=None, **options), "cpu" if family in _NEEDS_VALUES else "meta"
    )
    weights = models.get_model_weights(name).DEFAULT if name in _with_weights(models) else None
    preset = getattr(weights.transforms, "keywords", {}) if weights is not None else {}
    crop = _first(preset.get("crop_size") or preset.get("resize_size")) or 224
    args: tuple[object, ...]
    if family == "video":
        args = (_image(device, batch, 3, 16, crop, crop),)
    elif family == "segmentation":
        args = (_image(device, batch, 3, 520, 520),)
    elif family == "detection":
        args = ([torch.rand(3, 800, 800, generator=_seeded()) for _ in range(batch)],)
    elif family == "optical_flow":
        args = tuple(torch.rand(batch, 3, 224, 224, generator=_seeded()) for _ in range(2))
    else:
        args = (_image(device, batch, 3, crop, crop),)
    return LoadedModel(model, name, args=args)


def _build(make: Callable[[], nn.Module], device: str) -> tuple[nn.Module, torch.device]:
    """Build on ``device``; a model whose constructor computes with values (RegNet's widths) on the CPU."""
    if device == "meta":
        try:
            with torch.device("meta"):
                return make().eval(), torch.device("meta")
        except (NotImplementedError, RuntimeError):
            pass
    return make().eval(), torch.device("cpu")


def _with_weights(models: ModuleType) -> set[str]:
    found: set[str] = set()
    for name in models.list_models():
        try:
            models.get_model_weights(name)
        except ValueError:
            continue
        found.add(name)
    return found


def _first(value: object) -> int | None:
    if isinstance(value, list | tuple):
        return int(value[0]) if value else None
    return int(value) if isinstance(value, int) else None


def _image(device: torch.device, *shape: int) -> torch.Tensor:
    """Shape-only on meta; seeded random values on the CPU, for a model that was built there."""
    if device.type == "meta":
        return torch.empty(shape, device=device)
    return torch.rand(shape, generator=_seeded())


def _seeded() -> torch.Generator:
    return torch.Generator().manual_seed(0)


# -- .pt2 programs --------------------------------------------------------------------------------


def _program(path: Path) -> LoadedModel:
    if not path.is_file():
        raise SourceError(f"no file {str(path)!r}")
    try:
        program = torch.export.load(path)
    except Exception as error:
        raise SourceError(
            f"{str(path)!r} is not a program written by torch.export.save: {type(error).__name__}: {error}"
        ) from error
    return LoadedModel(program, path.stem, args=())


# -- module:callable ------------------------------------------------------------------------------


def _callable(target: str, kwargs: dict[str, object]) -> LoadedModel:
    # rpartition: a Windows path's drive letter has a colon too, a Python name never does
    source, colon, attribute = target.rpartition(":")
    if not colon or not source or not attribute:
        raise SourceError(
            f"{target!r} is not module:callable (e.g. torchvision.models:resnet50 or model.py:Net), "
            "hf:PATH, timm:NAME, torchvision:NAME or a .pt2 file"
        )
    name = attribute.rsplit(".", 1)[-1]
    needs = f"{target} is a plain callable: give its inputs (--input-shape, or inputs=/kwargs= in Python)"
    with _importable_cwd():
        found = _attribute(_import(source), attribute, source)
        if isinstance(found, nn.Module):
            if kwargs:
                raise SourceError(f"{target} is already a model; kwargs apply only to a callable")
            return LoadedModel(found, name, needs=needs)
        if not callable(found):
            raise SourceError(f"{target} is a {type(found).__name__}, not a callable that returns a model")
        try:
            model = found(**kwargs)
        except Exception as error:
            raise SourceError(
                f"calling {target} failed: {type(error).__name__}: {_one_line(error)}"
            ) from error
    if not isinstance(model, nn.Module):
        raise SourceError(f"{target} returned a value of type {type(model).__name__}, not a torch.nn.Module")
    return LoadedModel(model, name, needs=needs)


@contextmanager
def _importable_cwd() -> Iterator[None]:
    """Let ``model:make`` find ``model.py`` in the current directory, as ``python -m`` does."""
    cwd = str(Path.cwd())
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added:
            sys.path.remove(cwd)


def _import(source: str) -> ModuleType:
    if source.endswith(".py"):
        return _import_file(Path(source))
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if source == missing or source.startswith(missing + "."):
            raise SourceError(
                f"no module named {missing!r} (a file is given by its path: path/to/model.py:make)"
            ) from None
        # the module exists but imports something that does not
        raise SourceError(f"importing {source!r} failed: {error}") from error
    except Exception as error:
        raise SourceError(f"importing {source!r} failed: {type(error).__name__}: {error}") from error


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise SourceError(f"no file {str(path)!r}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SourceError(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise SourceError(f"importing {str(path)!r} failed: {type(error).__name__}: {error}") from error
    return module


def _attribute(module: ModuleType, attribute: str, source: str) -> object:
    found: object = module
    for depth, part in enumerate(attribute.split(".")):
        if not hasattr(found, part):
            where = ".".join([source, *attribute.split(".")[:depth]])
            raise SourceError(f"{where!r} has no attribute {part!r}")
        found = getattr(found, part)
    return found


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def read_json(path: Path, what: str) -> dict[str, Any]:
    """Read a JSON object from ``path``, naming the file and the place where it breaks."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SourceError(f"cannot read {what} {str(path)!r}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{what} {str(path)!r} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(value, dict):
        raise SourceError(f"{what} {str(path)!r} holds a {type(value).__name__}, not a JSON object")
    return value
