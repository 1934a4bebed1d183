"""The compact wire (schema 2, ``torchscope.wire``): two encodings of one payload decode alike.

``tests/golden/payload_v2.json`` and ``diff_v2.json`` are the wires of ``payload_v1.json`` and
``diff_v1.json``; vitest decodes them too (``tests/js/wire.test.ts``). Regenerate them with
``TORCHSCOPE_REGENERATE=1 pytest tests/test_wire.py``. The schema-1 files stay as they are: they
are what a page saved before schema 2 carries, and it must still open.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import torchscope
from breaks import apply_break
from torchscope import schema, wire

GOLDEN = Path(__file__).parent / "golden"
PAIRS = {"payload": ("payload_v1.json", "payload_v2.json"), "diff": ("diff_v1.json", "diff_v2.json")}
INVALID = json.loads((GOLDEN / "invalid_payloads.json").read_text())["wire_cases"]


def wire_text(value: dict[str, Any]) -> str:
    """A wire as JSON with one line per column, so that a diff of the golden file reads."""
    lines = []
    for key, item in value.items():
        if isinstance(item, dict) and key in ("nodes", "groups", "edges"):
            inner = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in item.items()]
            lines.append(f" {json.dumps(key)}: {{\n" + ",\n".join(inner) + "\n }")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(item)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module", autouse=True)
def _regenerate() -> None:
    if os.environ.get("TORCHSCOPE_REGENERATE"):
        for v1, v2 in PAIRS.values():
            (GOLDEN / v2).write_text(wire_text(wire.encode(load(v1))), encoding="utf-8")  # type: ignore[arg-type]


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_both_goldens_decode_to_the_same_document(pair: tuple[str, str]) -> None:
    v1, v2 = load(pair[0]), load(pair[1])
    assert v2["schema"] == wire.WIRE_VERSION == 2
    # the old file is the document itself; the new one expands to it
    assert wire.decode(copy.deepcopy(v1)) == v1
    assert wire.decode(v2) == v1
    assert wire.encode(v1) == v2  # type: ignore[arg-type]  # the golden file is current


def test_the_golden_wire_says_each_fact_once() -> None:
    # read by hand from payload_v1.json: groups blocks, blocks.0, blocks.1 are members 0-2; the
    # nodes input, blocks.0.conv, blocks.1.conv, add#1, output are members 3-7 (nodes 0-4)
    v2 = load("payload_v2.json")
    nodes, groups = v2["nodes"], v2["groups"]
    assert groups["name"] == ["blocks", "0", "1"]
    assert groups["children"] == [[1, 2], [4], [5]]
    assert v2["roots"] == [3, 0, 6, 7]
    assert nodes["name"] == ["input", "conv", "conv", "add#1", "output"]
    assert [v2["strings"][op] for op in nodes["op"]] == ["Input", "Conv2d", "Conv2d", "add", "Output"]
    # the shapes: once per distinct (shape, dtype), on the producing node; edges name slot 0
    shapes = [shape for shape, _ in v2["types"]]
    assert shapes == [[2, 3, 8, 8], [2, 4, 8, 8]]
    assert nodes["outputs"] == [[0], [1], [1], [1], []]
    assert v2["edges"] == {"source": [0, 1, 1, 2, 3], "target": [1, 2, 3, 3, 4], "slot": [0, 0, 0, 0, 0]}
    assert nodes["inputs"] == {}  # every node's inputs are the tensors of its incoming edges
    # output_shapes equals the outputs' shapes, so it is derived, not written
    assert nodes["stats"]["derived"] == {"output_shapes": "outputs"}
    assert "output_shapes" not in nodes["stats"]["values"]
    # labels follow from ids and ops, module paths from ids: none is written
    assert nodes["label"] == nodes["module_path"] == groups["label"] == {}
    assert groups["repeat_of"] == {"2": 1}


def trace_payloads() -> dict[str, schema.Payload]:
    """Payloads of every kind the tracer makes: plain, training step, values, repeated calls."""

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.act = nn.ReLU()

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            y = self.act(self.conv(x))
            return self.act(y + 1), y.flatten(1)

    seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(4))
    seq(torch.zeros(1, 3, 8, 8))  # materialise the lazy layer
    return {
        "plain": torchscope.trace(Twice(), [1, 3, 8, 8]).to_json(),
        "training": torchscope.trace(seq, [2, 3, 8, 8], training=True).to_json(),
        "values": torchscope.trace(Twice(), [1, 3, 8, 8], values=True).to_json(),
    }


@pytest.fixture(scope="module")
def traced() -> dict[str, schema.Payload]:
    return trace_payloads()


@pytest.mark.parametrize("kind", ["plain", "training", "values"])
def test_traces_round_trip_through_json(traced: dict[str, schema.Payload], kind: str) -> None:
    document = json.loads(json.dumps(traced[kind]))
    sent = json.loads(json.dumps(wire.encode(document)))
    assert wire.decode(sent) == document
    assert ("step" in sent) == (kind == "training")


def test_a_deep_model_costs_a_few_dozen_bytes_a_node() -> None:
    # 24 blocks of the same layers: what is repeated is written once (bench/payloads.py --wire
    # measures the Llama-70B shape and the 20k-node graph)
    blocks = [nn.Sequential(nn.Linear(64, 64), nn.LayerNorm(64), nn.GELU()) for _ in range(24)]
    document = torchscope.trace(nn.Sequential(*blocks), [2, 64]).to_json()
    v1 = len(json.dumps(document, separators=(",", ":")))
    v2 = len(json.dumps(wire.encode(document), separators=(",", ":")))
    assert v2 / len(document["nodes"]) <= 250, (v1, v2)
    assert v2 < v1 / 4, (v1, v2)


def test_a_tree_that_cannot_be_written_once_is_refused() -> None:
    document = load("payload_v1.json")
    document["groups"][0]["children"].append("blocks.0.conv")  # also blocks.0's child
    with pytest.raises(schema.SchemaError, match=r"^nodes\[1\]\.parent: .* cannot be written once"):
        wire.encode(document)  # type: ignore[arg-type]


def test_a_version_neither_side_reads_is_refused() -> None:
    with pytest.raises(schema.SchemaError, match=r"^schema: expected 1 or 2, got 3"):
        wire.decode({**load("payload_v2.json"), "schema": 3})


def broken(case: dict[str, Any]) -> dict[str, Any]:
    """The golden wire with the one change ``case`` describes (see invalid_payloads.json)."""
    result: dict[str, Any] = apply_break(load("payload_v2.json"), case)
    return result


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_each_break_of_the_wire_is_refused_naming_field_and_member(case: dict[str, Any]) -> None:
    with pytest.raises(schema.SchemaError) as caught:
        wire.decode(broken(case))
    message = str(caught.value)
    assert message.startswith(f"{case['field']}: "), message
    if "member" in case:
        assert f"'{case['member']}'" in message, message
