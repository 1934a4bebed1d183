"""ModelView: the anywidget that carries a traced model to the front end. Traits only, no logic.

The bundle under ``static/`` is built from ``js/`` by ``npm run build`` (run by the package build).
Values arriving from the front end are validated here, so a stale or hostile page cannot put the
Python side into a state that names a node that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from torchscope import bundle, schema
from torchscope.standalone import write_html

ORIENTATIONS = schema.ORIENTATIONS


class ModelView(anywidget.AnyWidget):
    """An interactive diagram of a traced model.

    Synced traits: ``graph`` (the schema payload, Python → JS), ``orientation`` (``"TB"`` or
    ``"LR"``), ``selected`` (a node or group id, or ``""``), ``expanded`` (group ids),
    ``metric`` (a stats column key to colour by, or ``""``), ``height`` (pixels) and ``bookkeeping``
    (draw views, reshapes and casts as boxes rather than as markers on their edges).
    """

    _esm = bundle.ESM
    _css = bundle.CSS

    graph = traitlets.Dict().tag(sync=True)
    orientation = traitlets.Enum(ORIENTATIONS, default_value="TB").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    metric = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(800, min=120).tag(sync=True)
    # draw bookkeeping ops (views, reshapes, casts...) as boxes instead of markers on their edges
    bookkeeping = traitlets.Bool(default_value=False).tag(sync=True)

    def __init__(self, payload: schema.Payload, **kwargs: object) -> None:
        schema.validate(payload)
        super().__init__(graph=payload, **kwargs)

    @traitlets.validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value and value not in self._ids():
            raise traitlets.TraitError(f"selected: {value!r} is not a node or group of this graph")
        return str(value)

    @traitlets.validate("expanded")
    def _check_expanded(self, proposal: dict[str, Any]) -> list[str]:
        groups = {g["id"] for g in self.graph.get("groups", [])}
        unknown = [g for g in proposal["value"] if g not in groups]
        if unknown:
            raise traitlets.TraitError(f"expanded: {unknown[:5]!r} are not groups of this graph")
        return list(proposal["value"])

    @traitlets.validate("metric")
    def _check_metric(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        keys = {c["key"] for c in self.graph.get("columns", [])}
        if value and value not in keys:
            raise traitlets.TraitError(f"metric: {value!r} is not one of the columns {sorted(keys)}")
        return str(value)

    def _ids(self) -> set[str]:
        return {n["id"] for n in self.graph.get("nodes", [])} | {
            g["id"] for g in self.graph.get("groups", [])
        }

    def view_state(self) -> dict[str, Any]:
        """Return the synced state as the front end sees it: the payload and the view settings."""
        return {
            "graph": self.graph,
            "orientation": self.orientation,
            "selected": self.selected,
            "expanded": list(self.expanded),
            "metric": self.metric,
            "height": self.height,
            "bookkeeping": self.bookkeeping,
        }

    def save_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML page of this view (works offline from ``file://``)."""
        return write_html(self.view_state(), path)
