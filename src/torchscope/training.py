"""``torchscope.Training``: what training step to trace, and how ``training=`` is read.

``trace(model, shape, training=True)`` traces one step with the defaults here (AdamW, the
model's own precision, no activation checkpointing, the backward from the output). A
:class:`Training` changes any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

OPTIMIZERS = ("sgd", "adam", "adamw", "adafactor", "none")
# "fp32"/"bf16"/"fp16": parameters, gradients, optimizer state and activations all in that dtype;
# "-mixed": fp32 parameters, gradients and state, with the forward and backward on compute-dtype
# copies of the parameters (what autocast or FSDP2's MixedPrecisionPolicy do); "model": as built
PRECISIONS = ("model", "fp32", "bf16", "fp16", "bf16-mixed", "fp16-mixed")
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Training:
    """One training step to trace on meta.

    Parameters
    ----------
    optimizer
        whose state to hold: ``"sgd"`` (momentum: one buffer per parameter), ``"adam"`` and
        ``"adamw"`` (two), ``"adafactor"`` (factored second moments: a row and a column vector per
        matrix, a full one per vector) or ``"none"``. The state is made by ``torch.optim`` itself
        (Adafactor's, whose step reads values, with the shapes ``torch.optim.Adafactor`` gives it).
    precision
        ``"model"`` (as built, the default), ``"fp32"``, ``"bf16"``, ``"fp16"``, or
        ``"bf16-mixed"`` / ``"fp16-mixed"``: fp32 parameters, gradients and optimizer state, the
        forward and backward computed on half-precision copies.
    activation_checkpointing
        module paths (``"layers.0"``) or class names (``"LlamaDecoderLayer"``) whose calls are
        recomputed in the backward instead of keeping their activations
        (``torch.utils.checkpoint``, non-reentrant).
    loss
        where the backward starts: ``None`` takes the output (its ``loss`` member if it has one,
        else its first floating tensor, summed to a scalar if it is not one), a name picks a member
        of the output (``"logits"``), a callable maps the output to the loss.
    """

    optimizer: str = "adamw"
    precision: str = "model"
    activation_checkpointing: Sequence[str] = field(default_factory=tuple)
    loss: str | Callable[[object], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Training(optimizer={self.optimizer!r}): choose one of {', '.join(OPTIMIZERS)}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"Training(precision={self.precision!r}): choose one of {', '.join(PRECISIONS)}")
        names = self.activation_checkpointing
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(
                "Training(activation_checkpointing=...) takes a list of module paths or class names, "
                f"got {names!r}"
            )
        if self.loss is not None and not isinstance(self.loss, str) and not callable(self.loss):
            raise TypeError(f"Training(loss=...) takes a name or a callable, got {self.loss!r}")

    def param_dtype(self, model_dtype: torch.dtype) -> torch.dtype:
        """Return the dtype parameters, gradients and optimizer state are kept in."""
        if self.precision == "model" or not model_dtype.is_floating_point:
            return model_dtype
        return torch.float32 if self.precision.endswith("-mixed") else _DTYPES[self.precision]

    def compute_dtype(self, model_dtype: torch.dtype) -> torch.dtype:
        """Return the dtype the forward and backward compute in (activations, saved tensors)."""
        if self.precision == "model" or not model_dtype.is_floating_point:
            return model_dtype
        return _DTYPES[self.precision.removesuffix("-mixed")]


def as_training(value: object) -> Training | None:
    """Read the ``training=`` keyword: ``False``/``None`` (no step), ``True`` (defaults) or a spec."""
    if value is None or value is False:
        return None
    if value is True:
        return Training()
    if isinstance(value, Training):
        return value
    raise TypeError(f"training must be True, False or a torchscope.Training(...), got {value!r}")
