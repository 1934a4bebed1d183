"""The wire contract: the golden payload validates, each broken payload of the list shared with
vitest is refused naming its field, and the names both sides declare are the same."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import torchscope
from breaks import apply_break
from torchscope import schema

ROOT = Path(__file__).resolve().parents[1]
INVALID = json.loads((ROOT / "tests" / "golden" / "invalid_payloads.json").read_text())["cases"]


def test_golden_payload_is_valid(golden: dict[str, Any]) -> None:
    assert schema.validate(golden) is golden
    assert golden["schema"] == schema.SCHEMA_VERSION == torchscope.SCHEMA_VERSION


def broken(golden: dict[str, Any], case: dict[str, Any]) -> object:
    """The golden payload with the one change ``case`` describes (see invalid_payloads.json)."""
    return apply_break(golden, case)


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_each_break_is_refused_naming_its_field(golden: dict[str, Any], case: dict[str, Any]) -> None:
    payload = broken(golden, case)
    with pytest.raises(schema.SchemaError) as caught:
        schema.validate(payload)
    assert str(caught.value).startswith(f"{case['field']}: "), str(caught.value)


def test_the_list_breaks_each_kind_of_check() -> None:
    # a list that only broke the easy fields would leave the rest of the contract untested
    fields = {c["field"] for c in INVALID}
    for part in ("payload", "schema", "model.name", "columns", "totals", "edges"):
        assert part in fields
    suffixes = {re.sub(r"^\w+(\[\d+\])?\.?", "", f) for f in fields}
    for check in ("kind", "key", "id", "parent", "children[0]", "repeat_of", "stats.params", "target"):
        assert check in suffixes, check
    for step_field in ("step.timeline.node[2]", "step.timeline.phase[2]", "step.peak.point"):
        assert step_field in fields, step_field
    assert any(re.search(r"(inputs|outputs)\[0\]\.(shape|dtype)$", f) for f in fields)


def _declared(name: str) -> list[str]:
    """The strings of ``export const NAME = [...] as const`` in js/types.ts."""
    types = (ROOT / "js" / "types.ts").read_text()
    found = re.search(rf"export const {name} = \[([^\]]*)\] as const;", types)
    assert found is not None, f"js/types.ts declares no {name}"
    return re.findall(r'"([^"]*)"', found.group(1))


def test_both_sides_declare_the_same_names() -> None:
    assert _declared("NODE_KINDS") == list(schema.NODE_KINDS)
    assert _declared("COLUMN_KINDS") == list(schema.COLUMN_KINDS)
    assert _declared("ORIENTATIONS") == list(schema.ORIENTATIONS)
    assert _declared("STEP_CATEGORIES") == list(schema.STEP_CATEGORIES)
    assert _declared("STEP_PHASES") == list(schema.STEP_PHASES)
    types = (ROOT / "js" / "types.ts").read_text()
    assert f"export const SCHEMA_VERSION = {schema.SCHEMA_VERSION};" in types


def test_real_payload_follows_the_contract() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    payload = torchscope.trace(model, [2, 3, 8, 8]).to_json()
    schema.validate(payload)
    assert payload["model"] == {
        "name": "Sequential",
        "input_shapes": [[2, 3, 8, 8]],
        "device": "meta",
        "dtype": "float32",
        "torch_version": torch.__version__,
    }


def test_a_training_payload_carries_its_timeline_and_a_forward_one_none() -> None:
    # Linear(4, 3) → ReLU, batch 2, fp32, SGD with momentum: counted by hand
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    graph = torchscope.trace(model, [2, 4], training=torchscope.Training(optimizer="sgd"))
    payload = graph.to_json()
    schema.validate(payload)
    step = payload["step"]
    ids = [n["id"] for n in payload["nodes"]]
    timeline = step["timeline"]
    assert [ids[i] if i >= 0 else None for i in timeline["node"]] == ["0", "1", "1", "0", None]
    assert timeline["phase"] == ["forward", "forward", "backward", "backward", "optimizer"]
    # weights 4×3 + bias 3 = 15 fp32 numbers, and one momentum buffer as large: constant, sent once
    assert timeline["bytes"]["params"] == 15 * 4
    assert timeline["bytes"]["optimizer"] == 15 * 4
    # Linear saves its input (an example input: not counted), ReLU its output, 2×3 fp32
    saved = timeline["bytes"]["saved"]
    assert isinstance(saved, list)
    assert saved[:2] == [0, 2 * 3 * 4]
    # after the backward the gradients of all 15 numbers are alive
    grads = timeline["bytes"]["grads"]
    assert isinstance(grads, list)
    assert grads[-1] == 15 * 4
    peak = step["peak"]
    assert peak["bytes"] == sum(peak["split"].values())
    assert 0 <= peak["point"] < len(timeline["node"])
    assert "step" not in torchscope.trace(model, [2, 4]).to_json()
