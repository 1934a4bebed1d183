"""A model made of hostile strings, for every test that shows model text to people.

``hostile_model()`` returns a model and the keyword inputs to trace it with. Each string of
:data:`HOSTILE` is, at once, the name of a submodule (``add_module``), the ``__name__`` of that
submodule's class, its ``extra_repr``, the value of one of its attributes, the name of a keyword
input and the key of an output. The model's own class is named after the first one. Nothing here
depends on pytest, so a browser test can import it as it is::

    from hostile import HOSTILE, hostile_model

    model, inputs = hostile_model()
    view = torchscope.draw_model(model, kwargs=inputs)
"""

from __future__ import annotations

import torch
from torch import nn

HOSTILE: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "close": "</script><!-- <script>alert(2)</script>",
    "quotes": """it's "double" and 'single' and `back` quoted""",
    "backslashes": "C:\\new\\table\\u003c\\x3c\\",
    # no '.' in any of them: torch refuses it in module names
    "template": "${alert(3)} {{constructor['constructor']('alert(4)')()}}",
    "separators": "line\u2028paragraph\u2029end",
    "chinese": "卷积层与注意力",
    "arabic": "طبقة الانتباه",
    "emoji": "🔥🧠👩‍💻",
    "long": "x" * 9_990 + "<b>bold</b>",  # 10,001 characters
}

FEATURES = 3


def _layer_class(text: str) -> type[nn.Linear]:
    """A Linear subclass whose class name and repr are ``text``."""

    def extra_repr(self: nn.Linear) -> str:
        del self
        return text

    return type(text, (nn.Linear,), {"extra_repr": extra_repr, "__qualname__": text, "__module__": __name__})


class _Root(nn.Module):
    """Runs each hostile layer on its own keyword input; returns a dict keyed by the same strings."""

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: layer(inputs[name]) for name, layer in self.named_children()}


def hostile_model() -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Return the model and its keyword inputs (one ``[1, FEATURES]`` tensor per hostile string)."""
    root_class = type(
        HOSTILE["script"], (_Root,), {"__qualname__": HOSTILE["script"], "__module__": __name__}
    )
    model = root_class()
    for text in HOSTILE.values():
        layer = _layer_class(text)(FEATURES, FEATURES)
        layer.note = text  # a public attribute: shown as an attribute of the node
        model.add_module(text, layer)
    inputs = {text: torch.ones(1, FEATURES) for text in HOSTILE.values()}
    return model, inputs
