"""Wrappers drawn as the model they wrap, with a note saying so.

``torch.compile(model)`` returns an ``OptimizedModule`` whose only child is the model, under
``_orig_mod``: traced as it is, every id and label would start with ``_orig_mod.``. The tracer
traces the wrapped module instead (the same parameters, so the same costs), and the payload says
that it was compiled. The class is recognised by name and attribute, so that checking for it never
imports ``torch._dynamo`` (seconds of start-up).
"""

from __future__ import annotations

from torch import nn

COMPILED_NOTE = "compiled with torch.compile: drawn as the module it wraps"


def unwrap(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """Return the module to trace for ``model``, and notes on what was unwrapped."""
    notes: list[str] = []
    while type(model).__name__ == "OptimizedModule" and isinstance(
        inner := getattr(model, "_orig_mod", None), nn.Module
    ):
        model = inner
        if COMPILED_NOTE not in notes:
            notes.append(COMPILED_NOTE)
    return model, notes
