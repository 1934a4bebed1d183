"""ModelView as the front end sees it: traits set the way the page sets them, and validated."""

from __future__ import annotations

import json
from typing import Any

import anywidget
import pytest
import torchvision
from torch import nn
from traitlets import TraitError

import torchscope
from torchscope import schema, wire
from torchscope.widget import ModelView


@pytest.fixture
def view() -> ModelView:
    return torchscope.draw_model(torchvision.models.alexnet(), [1, 3, 224, 224])


def test_draw_model_returns_an_anywidget_with_a_versioned_payload(view: ModelView) -> None:
    assert isinstance(view, anywidget.AnyWidget)
    assert view.graph["schema"] == wire.WIRE_VERSION  # what travels
    assert view.document["schema"] == schema.SCHEMA_VERSION  # what Python reads
    schema.validate(view.document)
    assert view.orientation == "TB"
    state = view.get_state()
    assert {"graph", "orientation", "selected", "expanded", "metric", "height", "_esm", "_css"} <= set(state)


def test_the_bundle_is_built_and_shipped_beside_the_module(view: ModelView) -> None:
    esm = view.get_state()["_esm"]
    assert "mountStandalone" in esm  # the built bundle's source, not a path
    assert "render" in esm


def test_front_end_writes_are_applied(view: ModelView) -> None:
    view.set_state({"selected": "features.0", "orientation": "LR", "expanded": ["features"]})
    assert (view.selected, view.orientation, view.expanded) == ("features.0", "LR", ["features"])
    view.set_state({"selected": ""})
    assert view.selected == ""


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"selected": "features.99"}, "selected: 'features.99' is not a node or group"),
        ({"orientation": "diagonal"}, "orientation"),
        ({"expanded": ["nowhere"]}, r"expanded: \['nowhere'\] are not groups"),
        ({"metric": "bananas"}, "metric: 'bananas' is not one of the columns"),
        ({"height": 10}, "height"),
    ],
)
def test_front_end_writes_are_validated(view: ModelView, state: dict[str, Any], message: str) -> None:
    before = view.get_state()
    with pytest.raises(TraitError, match=message):
        view.set_state(state)
    after = view.get_state()
    assert {k: after[k] for k in state} == {k: before[k] for k in state}


def test_orientation_is_checked_at_the_call() -> None:
    with pytest.raises(ValueError, match="orientation must be one of"):
        torchscope.draw_model(nn.Linear(2, 2), [1, 2], orientation="up")


def test_an_invalid_payload_is_refused(golden: dict[str, Any]) -> None:
    golden["edges"][0]["source"] = "ghost"
    with pytest.raises(schema.SchemaError, match="edges"):
        ModelView(golden)  # type: ignore[arg-type]


def test_the_id_index_is_built_once_per_payload(view: ModelView) -> None:
    for node in ("features.0", "features.3", "classifier", ""):
        view.set_state({"selected": node})
    index = view._index  # noqa: SLF001  # the cache itself: a rebuilt index is a new tuple
    view.set_state({"selected": "features.0", "expanded": ["features"]})
    assert view._index is index  # noqa: SLF001
    # a new payload gets its own index: its ids are accepted, the old ones refused
    view.graph = torchscope.trace(nn.Sequential(nn.Linear(2, 2)), [1, 2]).to_json()
    view.set_state({"selected": "0"})
    with pytest.raises(TraitError, match=r"features\.0"):
        view.set_state({"selected": "features.0"})


def test_a_payload_assigned_later_is_validated(view: ModelView, golden: dict[str, Any]) -> None:
    before = view.graph
    golden["nodes"][1]["parent"] = "ghost"
    with pytest.raises(schema.SchemaError, match=r"nodes\[1\]\.parent"):
        view.graph = golden
    assert view.graph is before


def test_the_comm_opens_with_the_payload_and_every_trait(monkeypatch: pytest.MonkeyPatch) -> None:
    # open() is ipywidgets' own with the payload kept out of the walk for binary buffers
    from ipywidgets.widgets import widget as ipywidgets_widget

    opened: list[dict[str, Any]] = []
    real = ipywidgets_widget.comm.create_comm
    monkeypatch.setattr(ipywidgets_widget.comm, "create_comm", lambda **kw: opened.append(kw) or real(**kw))
    payload = torchscope.trace(nn.Sequential(nn.Linear(2, 2)), [1, 2]).to_json()
    view = ModelView(payload, selected="0")  # type: ignore[arg-type]
    (ours,) = [kw for kw in opened if "graph" in kw["data"]["state"]]  # others: ipywidgets' Layout
    state = ours["data"]["state"]
    # the payload travels as the compact wire, which decodes to the document Python holds
    assert state["graph"]["schema"] == wire.WIRE_VERSION
    assert wire.decode(state["graph"]) == view.document
    assert (state["selected"], state["orientation"]) == ("0", "TB")
    assert ours["data"]["buffer_paths"] == ours["buffers"] == []
    assert (ours["target_name"], ours["metadata"]) == ("jupyter.widget", {"version": "2.1.0"})


def test_a_wire_is_shown_as_it_is_and_expanded_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    document = torchscope.trace(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), [1, 2]).to_json()
    sent = json.loads(json.dumps(wire.encode(document)))  # as read back from a saved file
    expansions: list[object] = []
    real = wire.expand
    monkeypatch.setattr(wire, "expand", lambda *a: expansions.append(a) or real(*a))
    view = ModelView(sent)
    view.set_state({"selected": "0", "expanded": []})
    assert view.graph == sent  # sent to the page as it came
    assert view.view_state()["graph"] is view.graph
    assert expansions == []  # shown, selected, saved: never expanded
    assert view.document == document  # expanded on first read, once
    assert view.document is view.document
    assert len(expansions) == 1
    # a document assigned is the document read: validated and encoded, never expanded back
    view.graph = document
    assert view.document is document
    assert view.graph == wire.encode(document)
    assert len(expansions) == 1


def test_a_broken_wire_is_refused_and_the_view_keeps_its_payload(view: ModelView) -> None:
    before, document = view.graph, view.document
    broken = json.loads(json.dumps(before))
    broken["nodes"]["kind"][3] = 9
    with pytest.raises(schema.SchemaError, match=r"nodes\.kind\[3\]"):
        view.graph = broken
    assert view.graph is before
    assert view.document is document
    with pytest.raises(schema.SchemaError, match=r"nodes\.kind\[3\]"):
        ModelView(broken)


def test_traits_set_with_a_payload_are_checked_against_it() -> None:
    # traitlets cross-validates held assignments in its own order: here selected before graph
    small = torchscope.trace(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), [1, 2]).to_json()
    view = ModelView(small, selected="1", expanded=[])
    other = torchscope.trace(nn.Sequential(nn.Sequential(nn.Linear(2, 2))), [1, 2]).to_json()
    with view.hold_trait_notifications():
        view.selected = "0.0"
        view.expanded = ["0"]
        view.graph = other
    assert (view.selected, view.expanded, view.document) == ("0.0", ["0"], other)
