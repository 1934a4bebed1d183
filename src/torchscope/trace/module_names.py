"""How the user names modules in the arguments of a step: by module path or by class name.

``activation_checkpointing=["LlamaDecoderLayer"]`` and ``FSDP(blocks=["model.layers.0"])`` name
modules the same way; these two functions are the one reading of that rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from torch import nn

Modules = Iterable[tuple[str, nn.Module]]


def named_by(modules: Modules, names: Collection[str]) -> list[tuple[str, nn.Module]]:
    """Return the modules that ``names`` names, by path or by class name, in the order given."""
    wanted = set(names)
    return [(path, module) for path, module in modules if path in wanted or type(module).__name__ in wanted]


def naming_nothing(modules: Modules, names: Iterable[str]) -> list[str]:
    """Return the names that name none of ``modules``: neither one's path nor one's class name."""
    listed = list(modules)
    known = {path for path, _ in listed} | {type(module).__name__ for _, module in listed}
    return [name for name in names if name not in known]
