"""The merged payload a diff draws, its ``diff`` section, and DiffView's traits.

``tests/golden/diff_v1.json`` is the diff of the two models below; vitest reads it too, so the
two sides agree on the section's layout. Regenerate it with
``TORCHSCOPE_REGENERATE=1 pytest tests/test_diff_payload.py``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from torch import nn
from traitlets import TraitError

import torchscope
from test_diff import SHAPE, Net
from torchscope import schema
from torchscope.diff.widget import DiffView

GOLDEN = Path(__file__).parent / "golden" / "diff_v1.json"


def golden_diff() -> torchscope.ModelDiff:
    """Three blocks against two (the middle one retuned), a head renamed, a block wrapped."""
    a = Net(blocks=3)
    b = Net(blocks=2, head="classifier", wrap=True)
    b.blocks[1].act = nn.LeakyReLU(0.2)
    return torchscope.diff(a, b, SHAPE, names=("three blocks", "two blocks"))


@pytest.fixture(scope="module")
def merged() -> schema.Payload:
    payload = golden_diff().payload
    if os.environ.get("TORCHSCOPE_REGENERATE"):
        GOLDEN.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return payload


def test_the_golden_diff_payload_is_valid_and_current(merged: schema.Payload) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert schema.validate(golden) == golden
    assert golden == json.loads(json.dumps(merged))


def test_removed_members_are_drawn_from_a_in_their_place(merged: schema.Payload) -> None:
    groups = {g["id"]: g for g in merged["groups"]}
    nodes = {n["id"]: n for n in merged["nodes"]}
    items = merged["diff"]["items"]
    assert groups["blocks"]["children"] == ["blocks.0", "blocks.1", "blocks.2"]
    assert items["blocks.2"] == {"status": "removed", "a": "blocks.2", "b": None}
    # a's own numbers, and their deltas negative
    conv = nodes["blocks.2.conv"]
    assert conv["stats"]["params"] == 8 * 8 * 9 + 8
    assert conv["stats"]["delta_params"] == -(8 * 8 * 9 + 8)
    # a's edges in and out of the removed block, b's edge that bypasses it
    edges = {(e["source"], e["target"]) for e in merged["edges"]}
    assert ("blocks.1.add", "blocks.2.conv") in edges
    assert ("blocks.2.add", "wrapped.0.conv") in edges
    assert ("blocks.1.add", "wrapped.0.conv") in edges
    # the removed block repeats a's first block, which is b's first block too
    assert groups["blocks.2"]["repeat_of"] == "blocks.0"


def test_items_say_what_changed_with_both_values(merged: schema.Payload) -> None:
    items = merged["diff"]["items"]
    act = items["blocks.1.act"]
    assert act["status"] == "changed"
    assert {"field": "attrs.negative_slope", "a": 0.01, "b": 0.2} in act["changes"]
    assert items["blocks.1"]["changes"] == [{"field": "contents", "a": None, "b": None}]
    assert items["classifier"]["changes"] == [{"field": "name", "a": "fc", "b": "classifier"}]
    assert items["wrapped"] == {"status": "added", "a": None, "b": "wrapped", "wrapper": True}
    assert items["wrapped.0"] == {"status": "same", "a": "wrapped", "b": "wrapped.0"}
    assert set(items) == {n["id"] for n in merged["nodes"]} | {g["id"] for g in merged["groups"]}


def test_delta_columns_and_both_totals(merged: schema.Payload) -> None:
    keys = [c["key"] for c in merged["columns"]]
    assert "delta_macs" in keys
    assert merged["diff"]["deltas"]["delta_macs"] == "macs"
    delta = next(c for c in merged["columns"] if c["key"] == "delta_macs")
    assert delta["label"] == "Δ MACs"
    totals = merged["diff"]["totals"]
    assert (
        merged["totals"]["delta_params"] == totals["b"]["params"] - totals["a"]["params"] == -(8 * 8 * 9 + 8)
    )
    assert merged["model"]["name"] == "three blocks → two blocks"
    assert merged["diff"]["names"] == ["three blocks", "two blocks"]


Breaker = Any

BREAKS = [
    ("status", lambda p: p["diff"]["items"]["stem"].update(status="moved"), r"diff.items\['stem'\].status"),
    ("missing item", lambda p: p["diff"]["items"].pop("stem"), r"diff.items: no status for \['stem'\]"),
    ("unknown item", lambda p: p["diff"]["items"].update(ghost={"status": "same"}), "'ghost' is neither"),
    ("delta column", lambda p: p["diff"]["deltas"].update(delta_x="x"), "diff.deltas.delta_x"),
    ("names", lambda p: p["diff"].update(names=["a"]), "diff.names: expected two strings"),
    (
        "side id",
        lambda p: p["diff"]["items"]["stem"].update(a=3),
        r"diff.items\['stem'\].a: expected a string",
    ),
]


@pytest.mark.parametrize(("name", "breaker", "message"), BREAKS, ids=[b[0] for b in BREAKS])
def test_a_broken_diff_section_is_named(
    merged: schema.Payload, name: str, breaker: Breaker, message: str
) -> None:
    del name
    payload = copy.deepcopy(merged)
    breaker(payload)
    with pytest.raises(schema.SchemaError, match=message):
        schema.validate(payload)


def test_the_diff_displays_as_a_widget_whose_selection_names_a_pair(tmp_path: Path) -> None:
    diff = golden_diff()
    view = diff.draw(orientation="LR")
    assert isinstance(view, DiffView)
    assert view.orientation == "LR"
    assert view.document == diff.payload
    assert view.pair == (None, None)
    view.set_state({"selected": "classifier"})
    assert (view.pair, view.status) == (("fc", "classifier"), "changed")
    view.selected = "blocks.2"
    assert (view.pair, view.status) == (("blocks.2", None), "removed")
    with pytest.raises(TraitError, match="'fc' is not a node or group"):
        view.selected = "fc"  # a's name for what the merged graph calls classifier
    bundle = diff._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    page = diff.save_html(tmp_path / "diff.html").read_text(encoding="utf-8")
    assert '"diff":{' in page
    assert "three blocks → two blocks" in page


def test_a_plain_payload_is_not_a_diff_view() -> None:
    graph = torchscope.trace(Net(), SHAPE).to_json()
    with pytest.raises(ValueError, match="DiffView needs a payload with a 'diff' section"):
        DiffView(graph)
