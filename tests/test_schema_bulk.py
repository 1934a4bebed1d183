"""The bulk checks of schema.validate: they accept what the per-item checks accept on plain nodes
and edges, and never accept what those refuse (they may only be stricter)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from big_payload import big_payload
from breaks import apply_break
from torchscope import schema, schema_bulk, schema_validate

ROOT = Path(__file__).resolve().parents[1]
INVALID = json.loads((ROOT / "tests" / "golden" / "invalid_payloads.json").read_text())["cases"]
COLUMNS = {c["key"]: c["kind"] for c in big_payload(1, 1)["columns"]} | {"shapes": "shape", "note": "text"}
KINDS = frozenset(schema.NODE_KINDS)
# schema.py postpones its annotations, so TypedDict's __required_keys__ holds every key
REQUIRED = {
    k for k, t in get_type_hints(schema.Node, include_extras=True).items() if get_origin(t) is not NotRequired
}
# values that are wrong somewhere: the wrong type of scalar, container, or a list holding one
BAD = [None, True, 1, -1, 1.5, "x", [], {}, [True], [-1], [1.5], ["x"], [[1, -2]], [None], {"x": 1}]


def _nodes_hold(payload: dict[str, Any]) -> bool:
    groups = {g["id"] for g in payload["groups"]}
    plain, rest = schema_bulk.plain_nodes(payload["nodes"])
    assert rest == []
    try:
        return schema_bulk.nodes_hold(plain, KINDS, groups, COLUMNS)
    except (KeyError, TypeError):
        return False


def _refused(check: Any, *args: object) -> bool:
    try:
        check(*args)
    except schema.SchemaError:
        return True
    return False


def test_the_node_keys_checked_in_bulk_are_the_required_keys_of_a_node() -> None:
    # a required field added to schema.Node must be added to the bulk check too
    assert REQUIRED == schema_bulk.PLAIN_NODE_KEYS


def test_a_valid_payload_passes_in_bulk() -> None:
    # else validate falls back to the per-item checks: right, but a hundred times slower
    payload = big_payload(3, 4)
    payload["nodes"][1]["stats"] |= {"shapes": [[1, 2], []], "note": "n"}
    assert _nodes_hold(payload)
    node_ids = {n["id"] for n in payload["nodes"]}
    assert schema_bulk.edges_hold(payload["edges"], node_ids)
    assert schema_bulk.unique_ids(payload["nodes"]) == node_ids


def _mutations() -> list[tuple[str, Any]]:
    """Every field of a plain node (and of its tensors and stats) set to every bad value, and removed."""
    fields = [*sorted(schema_bulk.PLAIN_NODE_KEYS - {"id"}), "inputs.0", "inputs.0.shape", "inputs.0.dtype"]
    fields += ["stats.macs", "stats.shapes", "stats.note", "stats.unknown", "uncounted.0", "attrs"]
    return [(field, value) for field in fields for value in [*BAD, "<delete>"]]


def _set(node: dict[str, Any], field: str, value: Any) -> None:
    *steps, last = field.split(".")
    target: Any = node
    for step in steps:
        target = target[int(step)] if isinstance(target, list) else target[step]
    key: Any = int(last) if isinstance(target, list) else last
    if value == "<delete>":
        if isinstance(target, list) or key in target:
            del target[key]
    elif isinstance(target, list) and key >= len(target):
        target.append(value)
    else:
        target[key] = value


@pytest.mark.parametrize(("field", "value"), _mutations())
def test_a_node_the_per_item_checks_refuse_is_refused_in_bulk(field: str, value: Any) -> None:
    payload = big_payload(2, 2)
    payload["nodes"][2]["uncounted"] = ["aten.x"]
    _set(payload["nodes"][2], field, copy.deepcopy(value))
    if len(payload["nodes"][2]) != len(schema_bulk.PLAIN_NODE_KEYS):
        return  # no longer plain: the per-item checks see it whatever the bulk check says
    groups = {g["id"] for g in payload["groups"]}
    if _refused(schema_validate.check_node, payload["nodes"][2], "nodes[2]", groups, COLUMNS):
        assert not _nodes_hold(payload)


@pytest.mark.parametrize("end", ["source", "target", "shape", "dtype"])
@pytest.mark.parametrize("value", [*BAD, "ghost", "<delete>"])
def test_an_edge_the_per_item_checks_refuse_is_refused_in_bulk(end: str, value: Any) -> None:
    payload = big_payload(2, 2)
    edge = payload["edges"][1]
    if value == "<delete>":
        del edge[end]
    else:
        edge[end] = copy.deepcopy(value)
    node_ids = {n["id"] for n in payload["nodes"]}
    if _refused(schema_validate._check_edge, edge, "edges[1]", node_ids):  # noqa: SLF001
        try:
            held = schema_bulk.edges_hold(payload["edges"], node_ids)
        except (KeyError, TypeError):
            held = False
        assert not held


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_each_shared_break_is_still_refused_naming_its_field(
    golden: dict[str, Any], case: dict[str, Any]
) -> None:
    # the golden payload's nodes are made plain, so that its breaks go through the bulk checks
    path = case["path"]
    kept = path[2] if len(path) > 2 and path[0] == "nodes" else None  # the field a case breaks
    for node in golden["nodes"]:
        for optional in set(get_type_hints(schema.Node)) - REQUIRED - {kept}:
            node.pop(optional, None)
    assert schema.validate(copy.deepcopy(golden))
    payload = apply_break(golden, case)
    with pytest.raises(schema.SchemaError) as caught:
        schema.validate(payload)
    assert str(caught.value).startswith(f"{case['field']}: "), str(caught.value)
