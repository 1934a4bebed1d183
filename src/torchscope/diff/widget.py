"""DiffView: the merged diagram of a :class:`~torchscope.diff.ModelDiff`, as a widget.

The same widget as :class:`~torchscope.ModelView` (the same traits, the same bundle): the front
end sees the payload's ``diff`` section and draws statuses, roll-ups and deltas. ``selected``
names a merged id, which stands for an aligned pair: :attr:`DiffView.pair` gives both sides' ids.
"""

from __future__ import annotations

from torchscope import schema
from torchscope.widget import ModelView


class DiffView(ModelView):
    """The merged diagram of two models; ``selected`` is a merged id (b's, or a's if removed)."""

    def __init__(self, payload: schema.Payload, **kwargs: object) -> None:
        if "diff" not in payload:
            raise ValueError("DiffView needs a payload with a 'diff' section (from torchscope.diff)")
        super().__init__(payload, **kwargs)

    @property
    def pair(self) -> tuple[str | None, str | None]:
        """The selected pair's ids in a and in b (``(None, None)`` when nothing is selected)."""
        if not self.selected:
            return None, None
        item = self.graph["diff"]["items"][self.selected]
        return item["a"], item["b"]

    @property
    def status(self) -> str:
        """The selected member's status (``same``, ``changed``, ``added``, ``removed``), or ``""``."""
        return str(self.graph["diff"]["items"][self.selected]["status"]) if self.selected else ""
