"""The foundation tracer: leaf-module calls in order, real shapes and parameter counts, and the
model left exactly as it was."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

import torchscope


def _alexnet_published_params() -> int:
    weights = torchvision.models.get_model_weights("alexnet").DEFAULT
    return int(weights.meta["num_params"])


def test_alexnet_leaf_calls_shapes_and_params() -> None:
    model = torchvision.models.alexnet()
    payload = torchscope.trace(model, [1, 3, 224, 224]).to_json()
    modules = [n for n in payload["nodes"] if n["kind"] == "module"]
    # 13 layers in `features`, the adaptive pool, 7 in `classifier`
    assert len(modules) == 21
    first = modules[0]
    assert (first["id"], first["op"], first["parent"]) == ("features.0", "Conv2d", "features")
    # Conv2d(3, 64, 11, stride 4, padding 2): (224 + 2*2 - 11) // 4 + 1 = 55
    assert first["outputs"] == [{"shape": [1, 64, 55, 55], "dtype": "float32"}]
    # weight 64*3*11*11 = 23,232 plus bias 64
    assert first["stats"]["params"] == 23_296
    fc = next(n for n in modules if n["id"] == "classifier.1")
    # Linear(9216, 4096): 9216*4096 + 4096
    assert fc["stats"]["params"] == 37_752_832
    assert fc["inputs"] == [{"shape": [1, 9216], "dtype": "float32"}]
    assert payload["totals"]["params"] == _alexnet_published_params() == 61_100_840
    assert [g["id"] for g in payload["groups"]] == ["features", "classifier"]


def test_edges_follow_the_tensors_that_flow_between_modules() -> None:
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    payload = torchscope.trace(model, [3, 4]).to_json()
    edges = [(e["source"], e["target"], e["shape"]) for e in payload["edges"]]
    assert edges == [
        ("input", "0", [3, 4]),
        ("0", "1", [3, 5]),
        ("1", "2", [3, 5]),
        ("2", "output", [3, 2]),
    ]


class _SharedActivation(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 4)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(x))))


def test_a_module_called_twice_gives_two_nodes() -> None:
    payload = torchscope.trace(_SharedActivation(), [1, 4]).to_json()
    ids = [n["id"] for n in payload["nodes"] if n["kind"] == "module"]
    assert ids == ["fc1", "act", "fc2", "act#2"]


def test_tied_weights_count_once() -> None:
    embed = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = embed.weight
    model = nn.Sequential(embed, head)
    payload = torchscope.trace(model, [2, 3], dtype=torch.long).to_json()
    assert payload["totals"]["params"] == 40


def test_frozen_parameters_are_counted_apart() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    model[0].requires_grad_(requires_grad=False)
    payload = torchscope.trace(model, [1, 4]).to_json()
    stats = {n["id"]: n["stats"] for n in payload["nodes"] if n["kind"] == "module"}
    assert stats["0"] == {"params": 20, "params_trainable": 0}
    assert stats["1"] == {"params": 10, "params_trainable": 10}
    assert payload["totals"] == {"params": 30, "params_trainable": 10}


def test_the_model_is_left_exactly_as_it_was() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5), nn.ReLU())
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    devices = {p.device for p in model.parameters()}
    rng = torch.get_rng_state()
    torchscope.trace(model, [2, 3, 8, 8])
    after = model.state_dict()
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert torch.equal(value, after[key]), key
    assert after["1.num_batches_tracked"].item() == 0
    assert all(m.training for m in model.modules())
    assert {p.device for p in model.parameters()} == devices
    assert torch.equal(torch.get_rng_state(), rng)
    assert not nn.modules.module._global_forward_hooks  # noqa: SLF001  # the hook we add is gone


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("not a model", [1, 3]), TypeError, "model must be a torch.nn.Module, got str"),
        (
            (nn.Linear(3, 2), [1, 0]),
            ValueError,
            r"input_shape\[0\] = \[1, 0\] has a zero or negative dimension",
        ),
        ((nn.Linear(3, 2), "1,3"), TypeError, "input_shape must be a shape"),
        ((nn.Linear(3, 2), [[1, 3], [1.5]]), TypeError, r"input_shape\[1\] must be a non-empty list of ints"),
    ],
)
def test_misuse_gets_a_clear_error(args: tuple[object, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        torchscope.trace(*args)  # type: ignore[arg-type]
