"""Plain-data views of the values a forward pass handles.

Tensors found in any structure, their shapes and dtypes, readable op names, and module or call
attributes fit for JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from torchscope.trace.records import AttrValue, TensorMeta

_ARITHMETIC = frozenset(
    {
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "matmul",
        "pow",
        "mod",
        "and",
        "or",
        "xor",
        "lshift",
        "rshift",
    }
)
_MAX_ATTR_LEN = 200
_MAX_OUTPUT_DEPTH = 6

SKIP = object()


def attr_value(value: object) -> object:
    """Return a JSON-friendly attribute value, or ``SKIP`` for tensors and other objects."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:_MAX_ATTR_LEN]
    if isinstance(value, torch.dtype | torch.device | torch.memory_format | torch.layout):
        return str(value).removeprefix("torch.")
    if isinstance(value, list | tuple | torch.Size) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return [int(v) for v in value]
    if isinstance(value, slice | type(Ellipsis)) or (
        isinstance(value, tuple)
        and all(v is None or isinstance(v, int | slice | type(Ellipsis)) for v in value)
    ):
        return repr(value)[:_MAX_ATTR_LEN]
    return SKIP


def module_attrs(module: nn.Module) -> dict[str, AttrValue]:
    """Constructor-like attributes of a module: its public simple-valued instance attributes."""
    attrs: dict[str, AttrValue] = {}
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training":
            continue
        converted = attr_value(value)
        if converted is not SKIP:
            attrs[key] = converted  # type: ignore[assignment]  # checked against SKIP
    if "bias" in module._parameters:  # noqa: SLF001  # a None bias is registered there, not in vars()
        attrs["bias"] = module._parameters["bias"] is not None  # noqa: SLF001
    return attrs


def op_name(func: Callable[..., Any]) -> str:
    """Return a readable op name: ``Tensor.__add__`` and ``__radd__`` → ``add``, ``__iadd__`` → ``add_``."""
    name = getattr(func, "__name__", None) or type(func).__name__
    if name == "__get__":  # a property such as Tensor.T
        return str(getattr(getattr(func, "__self__", None), "__name__", "getattr"))
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core.startswith("i") and core[1:] in _ARITHMETIC:
            core = core[1:] + "_"
        elif core.startswith("r") and core[1:] in _ARITHMETIC:
            core = core[1:]
        return {"truediv": "div", "truediv_": "div_"}.get(core, core)
    return name


def tensor_meta(tensor: torch.Tensor) -> TensorMeta:
    """Shape and dtype of ``tensor`` as plain data.

    A hot path: a 20,000-node trace asks 70,000 times, for a few hundred distinct answers. Each
    is made once and shared (a frozen record), which saves making it and keeps the collector's
    passes over the trace's records a third shorter.
    """
    key = (tuple(tensor.shape), tensor.dtype)
    meta = _METAS.get(key)
    if meta is None:
        if len(_METAS) >= _METAS_KEPT:
            _METAS.clear()
        meta = _METAS[key] = TensorMeta(key[0], str(key[1]).removeprefix("torch."))
    return meta


_METAS: dict[tuple[tuple[int, ...], torch.dtype], TensorMeta] = {}
_METAS_KEPT = 65_536  # distinct shapes kept between traces; past that the table starts again


def named_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``list(model.named_modules())``, each module once under its first name, in the same order.

    ``named_modules`` is a recursive generator, a few microseconds per module and level; a trace
    walks the tree several times (stand-ins, hooks, attributes, ownership), so it walks it once,
    here, with a loop.
    """
    found: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:
        prefix, module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        found.append((prefix, module))
        children = [
            (f"{prefix}.{name}" if prefix else name, child)
            for name, child in module._modules.items()  # noqa: SLF001  # the registry named_modules reads
            if child is not None
        ]
        stack.extend(reversed(children))
    return found


def named_tensors(modules: list[tuple[str, nn.Module]], registry: str) -> list[tuple[str, torch.Tensor]]:
    """``named_parameters()`` (``registry="_parameters"``) or ``named_buffers()`` from a module walk."""
    found: list[tuple[str, torch.Tensor]] = []
    seen: set[int] = set()
    for prefix, module in modules:
        for name, tensor in getattr(module, registry).items():
            if tensor is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            found.append((f"{prefix}.{name}" if prefix else name, tensor))
    return found


def meta_like(tensor: torch.Tensor) -> torch.Tensor:
    """Return an empty meta tensor with ``tensor``'s shape, dtype and memory format.

    ``torch.empty_like(t, device="meta")`` goes through a Python meta kernel (~20 µs a call);
    making a contiguous or channels-last tensor directly takes ~1 µs. Other layouts (expanded,
    strided slices) keep ``empty_like``'s rules.
    """
    if tensor.is_contiguous():
        return torch.empty(tensor.shape, dtype=tensor.dtype, device="meta")
    if tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last):
        return torch.empty(tensor.shape, dtype=tensor.dtype, device="meta", memory_format=torch.channels_last)
    return torch.empty_like(tensor, device="meta")


def iter_tensors(value: object, key: str = "", depth: int = 0) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor inside ``value`` with its dotted key path, each object visited once.

    Walks tensors, mappings, lists/tuples, dataclasses (HuggingFace ``ModelOutput``) and, a few
    levels deep, the attributes of other objects (a ``DynamicCache``), so any output structure works.
    """
    seen: set[int] = set()
    yield from _walk(value, key, depth, seen)


def _walk(value: object, key: str, depth: int, seen: set[int]) -> Iterator[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        if id(value) not in seen:
            seen.add(id(value))
            yield key, value
        return
    if (
        depth > _MAX_OUTPUT_DEPTH
        or id(value) in seen
        or value is None
        or isinstance(value, str | bytes | int | float)
    ):
        return
    seen.add(id(value))
    join = (lambda k: f"{key}.{k}") if key else str
    if isinstance(value, Mapping):
        items: Iterator[tuple[object, object]] = iter(value.items())
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = ((f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value))
    elif hasattr(value, "__dict__") and not isinstance(value, nn.Module | type):
        items = iter(vars(value).items())
    else:
        return
    for k, v in items:
        yield from _walk(v, join(k), depth + 1, seen)
