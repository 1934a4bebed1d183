"""Returned and passed-in structures become one group each; torch.compile wrappers are unwrapped."""

from __future__ import annotations

import logging

import pytest
import torch
import torchvision
from torch import nn

import torchscope
from torchscope import schema
from unchanged import Fingerprint


class TupleOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor, extras: dict[str, torch.Tensor]) -> object:
        y = self.fc(x) + extras["bias"] * extras["scale"]
        return y, (y.relu(), y.sigmoid(), y.tanh())


def _payload(model: nn.Module, **kwargs: object) -> schema.Payload:
    return torchscope.trace(model, **kwargs).to_json()  # type: ignore[arg-type]


def test_a_returned_tuple_and_a_dict_input_are_one_box_each() -> None:
    x = torch.randn(2, 4)
    extras = {"bias": torch.randn(2, 4), "scale": torch.randn(2, 4)}
    payload = schema.validate(_payload(TupleOut(), kwargs={"x": x, "extras": extras}))
    structures = {g["id"]: g for g in payload["groups"] if g.get("kind") == "structure"}
    # the second output is a tuple of three tensors; the first is a tensor and stays a node
    assert structures["output.1"]["op"] == "tuple"
    assert structures["output.1"]["children"] == ["output.1.0", "output.1.1", "output.1.2"]
    assert structures["extras"]["op"] == "dict"
    assert sorted(structures["extras"]["children"]) == ["extras.bias", "extras.scale"]
    nodes = {n["id"]: n for n in payload["nodes"]}
    assert nodes["output.0"]["parent"] is None
    assert nodes["x"]["parent"] is None
    assert {nodes[c]["parent"] for c in structures["output.1"]["children"]} == {"output.1"}
    # a structure holds tensors, not layers: it never repeats another and costs nothing
    assert "repeat_of" not in structures["output.1"]
    assert structures["output.1"]["stats"].get("flops", 0) == 0


def test_gpt2_returns_logits_and_one_cache_box() -> None:
    transformers = pytest.importorskip("transformers")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    config = transformers.GPT2Config(n_layer=3, n_embd=32, n_head=2, vocab_size=100)
    model = transformers.GPT2LMHeadModel(config)
    payload = _payload(model, input_shape=[1, 8], dtype=torch.long)
    top_outputs = [n["id"] for n in payload["nodes"] if n["kind"] == "output" and n["parent"] is None]
    assert top_outputs == ["output.logits"]
    (cache,) = [g for g in payload["groups"] if g.get("kind") == "structure"]
    assert cache["id"] == "output.cache"
    assert cache["op"] == "DynamicCache"
    # keys and values of each of the 3 layers
    assert len(cache["children"]) == 2 * 3


def test_a_compiled_model_is_drawn_as_the_model_it_wraps() -> None:
    model = torchvision.models.resnet18()
    compiled = torch.compile(model)
    before = Fingerprint.of(model)
    plain = _payload(model, input_shape=[1, 3, 64, 64])
    wrapped = _payload(compiled, input_shape=[1, 3, 64, 64])
    before.assert_same(model)
    assert [n["id"] for n in wrapped["nodes"]] == [n["id"] for n in plain["nodes"]]
    assert not any("_orig_mod" in n["id"] or "_orig_mod" in n["label"] for n in wrapped["nodes"])
    assert wrapped["model"]["name"] == "ResNet"
    assert wrapped["totals"]["macs"] == plain["totals"]["macs"]
    assert wrapped["model"]["notes"] == ["compiled with torch.compile: drawn as the module it wraps"]
    assert "notes" not in plain["model"]


def test_the_schema_rejects_an_unknown_group_kind() -> None:
    payload = _payload(
        TupleOut(),
        kwargs={"x": torch.randn(2, 4), "extras": {"bias": torch.randn(2, 4), "scale": torch.randn(2, 4)}},
    )
    group = next(g for g in payload["groups"] if g.get("kind") == "structure")
    group["kind"] = "cache"  # type: ignore[typeddict-item]
    with pytest.raises(schema.SchemaError, match=r"groups\[\d+\]\.kind"):
        schema.validate(payload)
