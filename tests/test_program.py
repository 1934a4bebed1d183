"""torch.export programs as a graph source: the same payload, the same costs as the eager trace.

The zoo comparison runs a fixed sample of torchvision's classification models in CI
(``bench/export.py`` sweeps all of them); the eager trace's totals are the reference, and they in turn match
torchvision's published ``_ops`` and ``num_params`` (tests/test_zoo.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import torchscope
from torchscope import schema
from torchscope.sources import load_model

# a fixed sample that covers what differs between the two sources: eval-mode Dropout (alexnet),
# in-place ops outside leaf modules (googlenet), squeeze-excitation (mobilenet_v3), fused attention
# (vit), a module that reads its children's weights without calling them (swin); bench/export.py
# compares every classification model
FAMILIES = ["alexnet", "resnet18", "googlenet", "mobilenet_v3_small", "vit_b_16", "swin_t"]
COMPARED = ("params", "params_trainable", "macs", "flops", "param_bytes", "buffer_bytes")


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_export_totals_equal_the_eager_trace_on_the_zoo(name: str) -> None:
    loaded = load_model(f"torchvision:{name}")
    args, _ = loaded.example()
    assert isinstance(loaded.model, nn.Module)
    eager = torchscope.trace(loaded.model, inputs=args)
    program = torchscope.trace(torch.export.export(loaded.model, args))
    mine, theirs = program.to_json(), eager.to_json()
    assert {k: mine["totals"][k] for k in COMPARED} == {k: theirs["totals"][k] for k in COMPARED}
    assert mine["totals"]["uncounted"] == ""
    # the same module-call hierarchy, by id; the leaf calls that leave no op in an exported
    # program (eval-mode Dropout, Identity) are the only ones it lacks
    assert [g["id"] for g in mine["groups"]] == [g["id"] for g in theirs["groups"]]
    exported = {n["id"] for n in mine["nodes"] if n["kind"] == "module"}
    traced = {n["id"]: n["op"] for n in theirs["nodes"] if n["kind"] == "module"}
    assert exported <= set(traced)
    assert {traced[i] for i in set(traced) - exported} <= {"Dropout", "Identity", "StochasticDepth"}


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.norm = nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x))) + x


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 1)
        self.blocks = nn.Sequential(Block(), Block())
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.blocks(self.act(self.stem(x))))  # `act` called twice
        return self.head(x.mean((2, 3)))


@pytest.fixture(scope="module")
def program() -> torch.export.ExportedProgram:
    return torch.export.export(Net().eval(), (torch.randn(2, 3, 8, 8),))


def test_the_graph_is_read_from_the_fx_graph(program: torch.export.ExportedProgram) -> None:
    graph = torchscope.trace(program)
    payload = schema.validate(graph.to_json())
    assert payload["model"]["name"] == "Net"
    groups = {g["id"]: g for g in payload["groups"]}
    assert list(groups) == ["blocks", "blocks.0", "blocks.1"]
    assert groups["blocks.0"]["children"] == [
        "blocks.0.conv",
        "blocks.0.norm",
        "blocks.0.relu",
        "blocks.0.add",
    ]
    assert groups["blocks.1"]["repeat_of"] == "blocks.0"
    nodes = {n["id"]: n for n in payload["nodes"]}
    # one module node per call of a leaf module, `#2` from its second call, as the eager ids
    assert nodes["act#2"]["kind"] == "module"
    assert nodes["act#2"]["parent"] is None
    assert nodes["blocks.0.conv"]["outputs"] == [{"shape": [2, 4, 8, 8], "dtype": "float32"}]
    # the conv: 2·4·8·8 outputs × 4·3·3 MACs each, from the registry's aten.convolution formula
    assert nodes["blocks.0.conv"]["stats"]["macs"] == 2 * 4 * 8 * 8 * 4 * 3 * 3
    assert nodes["blocks.0.conv"]["stats"]["params"] == 4 * 4 * 9 + 4
    edges = {(e["source"], e["target"]) for e in payload["edges"]}
    assert {("x", "stem"), ("stem", "act"), ("act", "blocks.0.conv"), ("act", "blocks.0.add")} <= edges
    assert ("head", "output") in edges


def test_draw_model_and_model_stats_take_a_program(program: torch.export.ExportedProgram) -> None:
    view = torchscope.draw_model(program)
    assert view.document == torchscope.trace(program).to_json()
    table = torchscope.model_stats(program, depth=1)
    assert [row["name"] for row in table.rows] == ["stem", "act", "blocks", "act#2", "mean", "head"]
    with pytest.raises(ValueError, match="carries its own example inputs"):
        torchscope.trace(program, [1, 3, 8, 8])


def test_a_saved_program_opens_here_and_in_model_explorer(
    program: torch.export.ExportedProgram, tmp_path: Path
) -> None:
    path = tmp_path / "net.pt2"
    torch.export.save(program, path)
    ours = torchscope.trace(path).to_json()
    assert ours["totals"] == torchscope.trace(program).to_json()["totals"]
    # Model Explorer's own PyTorch adapter reads the same file
    from model_explorer.consts import DEFAULT_SETTINGS
    from model_explorer.pytorch_exported_program_adapter_impl import PytorchExportedProgramAdapterImpl

    graphs = PytorchExportedProgramAdapterImpl(torch.export.load(path), DEFAULT_SETTINGS).convert()["graphs"]
    labels = {node.label for node in graphs[0].nodes}
    assert {"aten.conv2d", "aten.linear"} <= labels
