"""The recorder's stateless parts: a call's tensors, leaf modules, stack frames, guards.

What :mod:`.recorder` uses besides its own state: which modules are leaves, the frames of the
module stack, the tensors of a call, and the guards around our own work.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from torchscope.trace.values import iter_tensors

# Modules drawn as one node although they have children: their children are implementation
# details that their forward does not call as modules.
LEAF_TYPES: tuple[type[nn.Module], ...] = (nn.MultiheadAttention,)

# Calls that return an alias of their input: the result keeps its input's producer, no node.
PASS_THROUGH = frozenset({"detach", "data", "requires_grad_", "retain_grad"})

# Reads of a tensor's metadata (``x.shape``, ``x.dim()``): they return no tensor and reach no ATen
# op, so they would make no node and charge nothing, and they are a third of a transformer's
# torch-function calls. They run before any bookkeeping; one that raises (``x.size(9)``) runs
# again through the recording path, which records where it failed.
METADATA_READS = frozenset({
    torch.Tensor.dim, torch.Tensor.size, torch.Tensor.stride, torch.Tensor.numel, torch.Tensor.__len__,
    torch.Tensor.is_contiguous, torch.Tensor.is_floating_point, torch.Tensor.is_complex,
    torch.Tensor.element_size, torch.Tensor.get_device,
    *(getattr(torch._C.TensorBase, name).__get__ for name in (  # noqa: SLF001  # the getters torch passes
        "shape", "dtype", "device", "ndim", "layout", "is_cuda", "is_meta", "is_cpu", "requires_grad",
        "is_leaf", "is_sparse", "is_quantized", "is_nested",
    )),
})  # fmt: skip


@dataclass
class Frame:
    """One module call on the stack."""

    module: nn.Module
    path: str | None
    node: str | None = None  # set for a recorded leaf call
    group: str | None = None  # set for a recorded module with children
    hidden: bool = False  # a call inside a leaf, or of a module outside the model
    started: object = None  # the timer's mark when the leaf's own forward began


@dataclass
class Failure:
    """Where the forward pass raised: the innermost op that failed and what reached it."""

    op: str
    module_path: str | None
    module_type: str | None
    input_shapes: list[list[int]]
    node: str | None


def call_tensors(args: tuple[object, ...], kwargs: Mapping[str, object] | None = None) -> list[torch.Tensor]:
    """Return every tensor among ``args`` and then ``kwargs``' values, each once.

    What :func:`iter_tensors` finds, without its generator walk for the flat calls that are
    nearly all of them (~3 µs each).
    """
    found: dict[int, torch.Tensor] = {}
    for value in (*args, *(kwargs.values() if kwargs else ())):
        kind = type(value)
        if isinstance(value, torch.Tensor):
            found.setdefault(id(value), value)
        elif kind not in SCALARS and not (kind in (tuple, list) and all(type(v) in SCALARS for v in value)):
            return [t for _, t in iter_tensors((args, kwargs or {}))]  # nested structures: the full walk
    return list(found.values())


# argument types that hold no tensor
SCALARS = frozenset(
    {
        int,
        float,
        bool,
        str,
        type(None),
        torch.dtype,
        torch.device,
        torch.memory_format,
        torch.layout,
        torch.Size,
    }
)


def own_work() -> AbstractContextManager[None]:
    """Run our hooks' own tensor reads (``.shape``, ``._base``) past every torch-function handler.

    With the recorder's mode on the stack, each such read would be dispatched to
    ``__torch_function__`` (several microseconds each, thousands per trace) and would look like
    the model's own call; a tensor subclass's handler would run our reads as user code.
    (Inside ``__torch_function__`` itself the mode is already off the stack.)
    """
    return torch._C.DisableTorchFunction()  # noqa: SLF001  # the one switch torch offers for this


@contextmanager
def spare_frames(error: Exception) -> Iterator[None]:
    """After a RecursionError, lend the few frames that describing the failure takes.

    The op that overflowed ran at the very limit, wherever the kernels' own depth put it;
    recording it must not overflow again and lose the place that failed.
    """
    if not isinstance(error, RecursionError):
        yield
        return
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 100)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def safe_repr(module: nn.Module) -> str:
    """Return the module's repr; one that raises must not fail a forward that runs fine without us."""
    try:
        return repr(module)
    except Exception as error:  # noqa: BLE001  # any error of user code in __repr__/extra_repr
        return f"{type(module).__name__}(<repr failed: {type(error).__name__}: {error}>)"


def is_in_place(name: str) -> bool:
    """Tell an op that writes its first input (``add_``, ``setitem``)."""
    return name == "setitem" or (name.endswith("_") and not name.startswith("_"))


def is_library_module(module: nn.Module) -> bool:
    """Tell one of PyTorch's own layers."""
    # a model that is itself a plain layer (nn.Linear) is one node; a model of its own making
    # with no submodules is drawn from the functions its forward calls
    return type(module).__module__.startswith("torch.nn.")


def is_leaf(module: nn.Module) -> bool:
    """Tell a module drawn as one node: no children, or one of :data:`LEAF_TYPES`."""
    return isinstance(module, LEAF_TYPES) or next(module.children(), None) is None
