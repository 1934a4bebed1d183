"""A bit-for-bit fingerprint of everything a trace must leave as it was.

``Fingerprint.of(model)`` before a call and ``.assert_same(model)`` after it compare the model's
tensors by their bytes (NaN and -0.0 included), the identity of every parameter, buffer, submodule
and attribute, ``requires_grad`` and ``.grad``, ``training`` flags, every hook dict of every module,
PyTorch's global hooks, the global RNG states and the process-wide modes a tracer could leave
switched on. Shared by the property, bad-input, hostile-string and zoo tests.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

# per-module hook registries; read by name so that a torch version without one still works
_MODULE_HOOKS = (
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
_GLOBAL_HOOKS = tuple(name for name in dir(nn.modules.module) if name.startswith("_global_"))


_Bits = tuple[tuple[Any, ...], torch.Tensor | None]


def _bits(tensor: torch.Tensor) -> _Bits:
    """A tensor's shape, dtype, device, ``requires_grad`` and (unless on meta) its exact bytes."""
    if is_lazy(tensor):  # a lazy module's parameter has no shape until its first call
        return ("lazy", type(tensor), tensor.requires_grad), None
    head = (tuple(tensor.shape), tensor.dtype, tensor.device.type, tensor.requires_grad)
    if tensor.device.type == "meta":
        return head, None
    return head, tensor.detach().contiguous().reshape(-1).view(torch.uint8).clone()


def _same_bits(a: _Bits, b: _Bits) -> bool:
    if a[0] != b[0]:
        return False
    if a[1] is None or b[1] is None:
        return a[1] is None and b[1] is None
    return torch.equal(a[1], b[1])


def _global_state() -> dict[str, Any]:
    return {
        "grad_enabled": torch.is_grad_enabled(),
        "inference_mode": torch.is_inference_mode_enabled(),
        "default_dtype": torch.get_default_dtype(),
        "function_modes": torch._C._len_torch_function_stack(),  # noqa: SLF001  # no public reader
        "dispatch_modes": torch._C._len_torch_dispatch_stack(),  # noqa: SLF001
        "recursion_limit": sys.getrecursionlimit(),
        "global_hooks": {
            name: list(getattr(nn.modules.module, name).items())
            if isinstance(getattr(nn.modules.module, name), dict)
            else getattr(nn.modules.module, name)
            for name in _GLOBAL_HOOKS
        },
        "python_rng": random.getstate(),
    }


@dataclass
class Fingerprint:
    """What a model and the process looked like at one moment."""

    tensors: dict[str, _Bits]
    grads: dict[str, _Bits | None]
    identities: dict[str, list[tuple[str, int]]]
    attributes: dict[str, dict[str, int]]
    training: dict[str, bool]
    hooks: dict[str, dict[str, list[tuple[object, object]]]]
    tensor_hooks: dict[str, list[object]]
    globals: dict[str, Any]
    rng: torch.Tensor

    @classmethod
    def of(cls, model: nn.Module) -> Fingerprint:
        """Copy everything about ``model`` (and the process) that a trace must not change."""
        modules = dict(model.named_modules(remove_duplicate=False))
        named = dict(model.named_parameters(remove_duplicate=False))
        named.update({f"buffer:{k}": v for k, v in model.named_buffers(remove_duplicate=False)})
        return cls(
            tensors={k: _bits(t) for k, t in named.items()},
            grads={
                k: None if p.grad is None else _bits(p.grad)
                for k, p in model.named_parameters(remove_duplicate=False)
            },
            identities={
                path: [
                    (f"{kind}:{key}", id(value))
                    for kind in ("_parameters", "_buffers", "_modules")
                    for key, value in getattr(module, kind).items()
                ]
                for path, module in modules.items()
            },
            attributes={
                path: {k: id(v) for k, v in vars(module).items()} for path, module in modules.items()
            },
            training={path: module.training for path, module in modules.items()},
            hooks={
                path: {name: list(getattr(module, name, {}).items()) for name in _MODULE_HOOKS}
                for path, module in modules.items()
            },
            tensor_hooks={
                k: list((p._backward_hooks or {}).values())  # noqa: SLF001  # tensor hooks have no reader
                for k, p in model.named_parameters(remove_duplicate=False)
            },
            globals=_global_state(),
            rng=torch.get_rng_state(),
        )

    def assert_same(self, model: nn.Module) -> None:
        """Assert that ``model`` and the process are exactly as when this fingerprint was taken."""
        now = Fingerprint.of(model)
        assert now.tensors.keys() == self.tensors.keys(), "parameters or buffers added or removed"
        for key, before in self.tensors.items():
            assert _same_bits(before, now.tensors[key]), f"{key} changed"
        for key, before_grad in self.grads.items():
            after = now.grads[key]
            assert (before_grad is None) == (after is None), f"{key}.grad appeared or vanished"
            assert before_grad is None or after is None or _same_bits(before_grad, after), (
                f"{key}.grad changed"
            )
        assert now.identities == self.identities, "a parameter, buffer or submodule was replaced"
        for path, attrs in self.attributes.items():
            assert now.attributes[path] == attrs, (
                f"module {path!r}: an attribute was added, removed or replaced"
            )
        assert now.training == self.training, "a training flag changed"
        assert now.hooks == self.hooks, "a module's hooks changed"
        assert now.tensor_hooks == self.tensor_hooks, "a parameter's hooks changed"
        assert now.globals == self.globals, "process-wide state changed"
        assert torch.equal(now.rng, self.rng), "the global RNG state changed"
