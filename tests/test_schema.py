"""The wire contract: the golden payload validates, and each kind of break is named precisely."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import torchscope
from torchscope import schema


def test_golden_payload_is_valid(golden: dict[str, Any]) -> None:
    assert schema.validate(golden) is golden
    assert golden["schema"] == schema.SCHEMA_VERSION == torchscope.SCHEMA_VERSION


Breaker = Callable[[dict[str, Any]], None]

BREAKS: list[tuple[str, Breaker, str]] = [
    ("version", lambda p: p.update(schema=2), "schema: expected 1, got 2"),
    ("dangling edge", lambda p: p["edges"][0].update(target="nope"), "edges[0].target: 'nope' is not a node"),
    (
        "duplicate id",
        lambda p: p["nodes"][2].update(id="blocks.0.conv"),
        "nodes[2].id: 'blocks.0.conv' is used twice",
    ),
    (
        "unknown parent",
        lambda p: p["nodes"][1].update(parent="ghost"),
        "nodes[1].parent: 'ghost' is not a group",
    ),
    ("node kind", lambda p: p["nodes"][1].update(kind="layer"), "nodes[1].kind: 'layer' is not one of"),
    (
        "stat column",
        lambda p: p["nodes"][1]["stats"].update(flops=3),
        "nodes[1].stats: 'flops' is not a declared column",
    ),
    (
        "negative dim",
        lambda p: p["nodes"][0]["outputs"][0].update(shape=[2, -3]),
        "nodes[0].outputs[0].shape",
    ),
    (
        "group child",
        lambda p: p["groups"][0]["children"].append("x"),
        "groups[0].children[2]: 'x' is neither",
    ),
    ("repeat_of", lambda p: p["groups"][2].update(repeat_of="blocks.0.conv"), "groups[2].repeat_of"),
    ("id clash", lambda p: p["groups"][0].update(id="input"), "ids used by both a node and a group"),
    ("column kind", lambda p: p["columns"][0].update(kind="money"), "columns[0].kind: 'money'"),
    ("not a list", lambda p: p.update(edges={}), "edges: expected a list, got dict"),
    ("root with a parent", lambda p: p["roots"].append("blocks.0"), "roots[4]: 'blocks.0' is not a node or"),
    ("root twice", lambda p: p["roots"].append("input"), "roots[4]: 'input' is listed twice"),
    ("root missing", lambda p: p["roots"].remove("add#1"), "roots: the top-level members ['add#1'] are"),
    ("no roots", lambda p: p.pop("roots"), "roots: expected a list, got NoneType"),
    ("estimate", lambda p: p["nodes"][2].update(estimated="guess"), "nodes[2].estimated: expected a list"),
    (
        "group estimate",
        lambda p: p["groups"][2].update(estimated=[1]),
        "groups[2].estimated[0]: expected a string",
    ),
]


@pytest.mark.parametrize(("name", "breaker", "message"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_break_is_named(golden: dict[str, Any], name: str, breaker: Breaker, message: str) -> None:
    del name
    breaker(golden)
    with pytest.raises(schema.SchemaError, match=re.escape(message)):
        schema.validate(golden)


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
