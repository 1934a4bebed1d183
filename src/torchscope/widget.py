"""ModelView: the anywidget that carries a traced model to the front end. Traits only, no logic.

The bundle under ``static/`` is built from ``js/`` by ``npm run build`` (run by the package build).
Values arriving from the front end are validated here, so a stale or hostile page cannot put the
Python side into a state that names a node that does not exist.

``graph`` holds the expanded document (schema 1, what Python reads); it travels as the compact
wire of :mod:`torchscope.wire` (schema 2), encoded once per payload object, and a saved page
embeds the same wire. A wire of either schema may also be assigned: it is decoded on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import anywidget
import traitlets
from ipywidgets.widgets import widget as ipywidgets_widget  # type: ignore[import-untyped]

from torchscope import bundle, schema, wire
from torchscope.standalone import write_html
from torchscope.wire_checks import member_ids

ORIENTATIONS = schema.ORIENTATIONS


class ModelView(anywidget.AnyWidget):
    """An interactive diagram of a traced model.

    Synced traits: ``graph`` (the payload's wire, Python → JS; see :attr:`document`),
    ``orientation`` (``"TB"`` or ``"LR"``), ``selected`` (a node or group id, or ``""``),
    ``expanded`` (group ids), ``metric`` (a stats column key to colour by, or ``""``), ``height``
    (pixels) and ``bookkeeping`` (draw views, reshapes and casts as boxes rather than as markers
    on their edges).
    """

    _esm = bundle.ESM
    _css = bundle.CSS

    # the wire, sent as it is: ipywidgets' default to_json would walk every entry for widgets
    graph = traitlets.Dict().tag(sync=True, to_json=lambda value, _view: value)
    orientation = traitlets.Enum(ORIENTATIONS, default_value="TB").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    metric = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(800, min=120).tag(sync=True)
    # draw bookkeeping ops (views, reshapes, casts...) as boxes instead of markers on their edges
    bookkeeping = traitlets.Bool(default_value=False).tag(sync=True)
    comm: Any  # ipywidgets' trait, set by open() below (an annotation only, for mypy)

    def __init__(self, payload: schema.Payload | dict[str, Any], **kwargs: object) -> None:
        # the ids of every member and of the groups, of the wire they were read from (see _ids)
        self._index: tuple[object, frozenset[str], frozenset[str]] | None = None
        # the document of the wire it was made from or expanded from (see document)
        self._document: tuple[object, schema.Payload] | None = None
        # the wire _checked returned last: traitlets validates the payload it is given once more
        self._checked_wire: dict[str, Any] | None = None
        # checked first: traitlets cross-validates the other traits (selected...) in no set order
        super().__init__(graph=self._checked(payload), **kwargs)

    @traitlets.validate("graph")
    def _check_graph(self, proposal: dict[str, Any]) -> dict[str, Any]:
        value: dict[str, Any] = proposal["value"]
        return value if value is self._checked_wire else self._checked(value)

    def _checked(self, payload: object) -> dict[str, Any]:
        """Return the checked wire of a payload of either schema (see :func:`wire.check`)."""
        sent, document = wire.check(payload)
        if document is not None:  # keyed by the wire, so a refused assignment leaves nothing behind
            self._document = (sent, document)
        self._checked_wire = sent
        return sent

    def _shown(self) -> dict[str, Any]:
        """Return the checked wire of ``graph``, also while traitlets holds one not yet validated."""
        graph = self.graph
        return graph if graph is self._checked_wire else self._checked(graph)

    @property
    def document(self) -> schema.Payload:
        """The document (schema 1) of the payload shown: what Python code reads.

        Expanded from the wire once per payload object, on first use; a payload assigned as a
        document is that document, validated. Keyed by identity, as ``_ids`` is.
        """
        graph = self._shown()
        if self._document is None or self._document[0] is not graph:
            self._document = (graph, wire.expand(graph))
        return self._document[1]

    @traitlets.validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value and value not in self._ids()[0]:
            raise traitlets.TraitError(f"selected: {value!r} is not a node or group of this graph")
        return str(value)

    @traitlets.validate("expanded")
    def _check_expanded(self, proposal: dict[str, Any]) -> list[str]:
        groups = self._ids()[1]
        unknown = [g for g in proposal["value"] if g not in groups]
        if unknown:
            raise traitlets.TraitError(f"expanded: {unknown[:5]!r} are not groups of this graph")
        return list(proposal["value"])

    @traitlets.validate("metric")
    def _check_metric(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        keys = {c["key"] for c in self._shown()["columns"]}
        if value and value not in keys:
            raise traitlets.TraitError(f"metric: {value!r} is not one of the columns {sorted(keys)}")
        return str(value)

    def _ids(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the ids of every node and group, and of the groups: built once per payload object.

        Keyed by identity, holding the wire so that its id is not reused; a payload mutated in
        place is not re-read, as it is not re-sent to the page either.
        """
        graph = self._shown()
        if self._index is None or self._index[0] is not graph:
            ids = member_ids(graph)[1]
            self._index = (graph, frozenset(ids), frozenset(ids[: len(graph["groups"]["name"])]))
        return self._index[1], self._index[2]

    # ipywidgets walks the whole state for binary buffers before each send: a second of Python
    # per 100,000 nodes, for a payload that is validated JSON and so holds none. These two are
    # ipywidgets 8's own, with the payload set aside from that walk.
    def open(self) -> None:
        """Open a comm to the front end if one isn't already open (as ``Widget.open``)."""
        if self.comm is None:
            state, buffer_paths, buffers = _without_buffers(self.get_state())
            args: dict[str, Any] = {
                "target_name": "jupyter.widget",
                "data": {"state": state, "buffer_paths": buffer_paths},
                "buffers": buffers,
                "metadata": {"version": ipywidgets_widget.__protocol_version__},
            }
            if self._model_id is not None:
                args["comm_id"] = self._model_id
            self.comm = ipywidgets_widget.comm.create_comm(**args)

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        """Send the state, or a piece of it, to the front end (as ``Widget.send_state``)."""
        state = self.get_state(key=key)
        if state:
            if self._property_lock:  # kept up to date with the front end's values, as ipywidgets does
                for name, value in state.items():
                    if name in self._property_lock:
                        self._property_lock[name] = value
            state, buffer_paths, buffers = _without_buffers(state)
            self._send({"method": "update", "state": state, "buffer_paths": buffer_paths}, buffers=buffers)

    def view_state(self) -> dict[str, Any]:
        """Return the synced state as the front end sees it: the payload's wire and the view settings."""
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


def _without_buffers(state: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Run ipywidgets' ``_remove_buffers`` over every trait but the payload."""
    graph = state.pop("graph", None)
    state, buffer_paths, buffers = ipywidgets_widget._remove_buffers(state)  # noqa: SLF001  # see open()
    if graph is not None:
        state["graph"] = graph
    return state, buffer_paths, buffers
