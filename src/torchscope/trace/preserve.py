"""Leave no trace: whatever a forward pass does to a model, put everything back afterwards.

The model's module attributes, parameter/buffer/child/hook registries, classes, ``training`` flags
and the global RNG state are restored to the very objects they were (see :func:`preserved`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn


@contextlib.contextmanager
def preserved(model: nn.Module, modules: list[tuple[str, nn.Module]], *, train: bool) -> Iterator[None]:
    """Put every module attribute, ``training`` flag and the RNG state back, whatever happens.

    Some forwards assign attributes (torchvision's AnchorGenerator caches its anchors on the
    device of the pass): a meta pass would leave meta tensors behind. Each module's ``__dict__``
    is restored to the very objects it held before, and so are the entries of its registries:
    ``functional_call`` puts the stand-ins of a module reachable under two names
    (``self.b = self.a``, timm's CoaT) back in the wrong order, and some forwards register hooks
    on their first call and set a flag (transformers' output recorders): keeping the hooks while
    the flag goes would install them twice on the next call. A module's class is restored too.
    """
    attributes: Mapping[nn.Module, dict[str, object]] = {m: dict(vars(m)) for _, m in modules}
    classes = {module: type(module) for module in attributes}
    # registries that live in `attributes`: the same objects, whose entries are restored as well.
    # Most are empty hook registries: those are remembered as None rather than copied (copying
    # thousands of OrderedDicts through `copy.copy` took ~10 ms of an EfficientNet-B0 trace).
    registries: list[tuple[Registry, Registry | None]] = [
        (registry, registry.copy() if registry else None)
        for before in attributes.values()
        for name in _REGISTRIES
        if isinstance(registry := before.get(name), dict | set)
    ]
    initialized = torch.cuda.is_initialized()  # type: ignore[no-untyped-call]  # untyped in torch
    cuda = list(range(torch.cuda.device_count())) if initialized else []
    with torch.random.fork_rng(devices=cuda):
        try:
            model.train(train)
            yield
        finally:
            for module, before in attributes.items():
                now = vars(module)
                for key in [k for k in now if k not in before]:
                    del now[key]
                for key, value in before.items():
                    if now.get(key, _MISSING) is not value:
                        now[key] = value
            _restore(registries)
            for module, cls in classes.items():
                if type(module) is not cls:
                    module.__class__ = cls


# what nn.Module keeps in its own dicts and sets: parameters, buffers, children and hooks
_REGISTRIES = (
    "_parameters",
    "_buffers",
    "_non_persistent_buffers_set",
    "_modules",
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


Registry = dict[str, Any] | set[str]


def _restore(registries: list[tuple[Registry, Registry | None]]) -> None:
    """Give each registry its entries back (None: it was empty)."""
    for registry, entries in registries:
        if entries is None:
            if registry:
                registry.clear()
        elif _changed(registry, entries):
            registry.clear()
            registry.update(entries)  # type: ignore[arg-type]  # the same kind as its copy


def _changed(now: dict[str, Any] | set[str], before: dict[str, Any] | set[str]) -> bool:
    if isinstance(now, set) or isinstance(before, set):
        return now != before
    return now.keys() != before.keys() or any(now[k] is not v for k, v in before.items())


_MISSING = object()
