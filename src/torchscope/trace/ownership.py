"""Who owns which parameters and buffers: per module, its own and its whole subtree's.

Read from the real model (its real dtypes and ``requires_grad``), never from the pass, which only
sees stand-ins. Each tensor counts once per subtree, so a weight tied between two modules of a
subtree counts once there, and the totals (the root's subtree) count every tensor once.
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch import nn

from torchscope.trace.records import ModuleInfo
from torchscope.trace.values import named_modules

Modules = list[tuple[str, nn.Module]]


def module_infos(model: nn.Module, walk: Modules | None = None) -> dict[str, ModuleInfo]:
    """For every module path: the parameters and buffers it owns, directly and in its subtree.

    Each tensor counts once per subtree, so a weight tied between two modules of a subtree
    counts once there; a module whose own weight is also another module's says so. One pass:
    every tensor is added to each module path above any of its owners.
    """
    modules = dict(named_modules(model) if walk is None else walk)
    owners: dict[int, list[str]] = defaultdict(list)
    tensors: dict[int, tuple[torch.Tensor, bool]] = {}  # id → (tensor, is_parameter)
    for name, module in modules.items():
        for param in module._parameters.values():  # noqa: SLF001  # direct ownership, one dict read
            if param is not None:
                owners[id(param)].append(name)
                tensors[id(param)] = (param, True)
        for buffer in module._buffers.values():  # noqa: SLF001
            if buffer is not None:
                owners[id(buffer)].append(name)
                tensors[id(buffer)] = (buffer, False)
    own: dict[str, list[int]] = {name: [0, 0, 0, 0] for name in modules}
    total: dict[str, list[int]] = {name: [0, 0, 0, 0] for name in modules}
    for key, paths in owners.items():
        tensor, is_param = tensors[key]
        numel, size = tensor.numel(), tensor.numel() * tensor.element_size()
        row = [numel, numel if tensor.requires_grad else 0, size, 0] if is_param else [0, 0, 0, size]
        above: set[str] = set()
        for path in paths:
            _add(own[path], row)
            above.update(_ancestors(path))
        for path in above:
            _add(total[path], row)
    return {
        name: ModuleInfo(
            params=own[name][0],
            params_trainable=own[name][1],
            param_bytes=own[name][2],
            buffer_bytes=own[name][3],
            total_params=total[name][0],
            total_params_trainable=total[name][1],
            total_param_bytes=total[name][2],
            total_buffer_bytes=total[name][3],
            shared_with=tuple(sorted({o for key in _own_params(module) for o in owners[key] if o != name})),
        )
        for name, module in modules.items()
    }


def _add(target: list[int], row: list[int]) -> None:
    for i, value in enumerate(row):
        target[i] += value


def _ancestors(path: str) -> list[str]:
    """``a.b.c`` → ``["a.b.c", "a.b", "a", ""]``: the path and every module above it."""
    parts = path.split(".") if path else []
    return [".".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _own_params(module: nn.Module) -> list[int]:
    return [id(p) for p in module._parameters.values() if p is not None]  # noqa: SLF001
