"""A real CPU training step measured by PyTorch's own MemTracker: the truth the meta step is held to.

``measured_peak`` runs one step to make the optimizer's state (a loop's first iteration), then a
second under ``torch.distributed._tools.mem_tracker.MemTracker`` and returns its peak snapshot
by category (PARAM, BUFFER, GRAD, OPT, ACT, TEMP, and Total). The model's output is held until
the optimizer has stepped, as a loop holding ``out = model(x)`` does and as torchscope assumes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.distributed._tools.mem_tracker import MemTracker


def measured_peak(
    model: nn.Module,
    args: tuple[object, ...],
    kwargs: dict[str, object] | None = None,
    *,
    optimizer: Callable[[list[nn.Parameter]], torch.optim.Optimizer] = torch.optim.AdamW,
    loss: Callable[[object], torch.Tensor] | None = None,
) -> dict[str, int]:
    """The peak of a real CPU training step's second iteration, by MemTracker's categories."""
    model.train()
    opt = optimizer(list(model.parameters()))

    def step() -> None:
        out = model(*args, **(kwargs or {}))
        value = loss(out) if loss is not None else out.sum()  # type: ignore[union-attr]  # a tensor output
        value.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        del out

    step()
    tracker = MemTracker()
    tracker.track_external(model, opt)
    with tracker:
        step()
    snapshot = tracker.get_tracker_snapshot("peak")[torch.device("cpu")]
    return {str(getattr(k, "name", k)): v for k, v in snapshot.items()}
