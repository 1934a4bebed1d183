"""The tracer on small hand-made models: the exact nodes, edges and groups each one must give."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812  # the conventional name
import torchvision
from torch import nn

import torchscope
from torchscope import ModelGraph, schema


def _edges(graph: ModelGraph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.trace.edges}


def _ids(graph: ModelGraph, kind: str | None = None) -> list[str]:
    return [n.id for n in graph.nodes if kind is None or n.kind == kind]


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc(x)


def test_residual_add_joins_two_paths() -> None:
    graph = torchscope.trace(Residual(), [2, 4])
    assert _ids(graph) == ["input", "fc", "add", "output"]
    assert _edges(graph) == {("input", "fc"), ("input", "add"), ("fc", "add"), ("add", "output")}
    add = graph.node("add")
    assert (add.kind, add.op, add.parent) == ("function", "add", None)
    assert [m.shape for m in add.inputs] == [(2, 4), (2, 4)]


class Concat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 2, 1)
        self.b = nn.Conv2d(3, 5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.a(x), self.b(x)], dim=1)


def test_concat_takes_both_branches_and_keeps_its_arguments() -> None:
    graph = torchscope.trace(Concat(), [1, 3, 4, 4])
    assert _edges(graph) == {("input", "a"), ("input", "b"), ("a", "cat"), ("b", "cat"), ("cat", "output")}
    cat = graph.node("cat")
    assert cat.outputs[0].shape == (1, 7, 4, 4)
    assert cat.attrs["dim"] == 1
    # an edge carries the shape of the tensor it stands for
    shapes = {(e.source, e.target): e.tensor.shape for e in graph.trace.edges}
    assert shapes["b", "cat"] == (1, 5, 4, 4)


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 4)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(x))))


def test_a_module_called_twice_gives_two_nodes_and_no_cycle() -> None:
    graph = torchscope.trace(Shared(), [1, 4])
    assert _ids(graph, "module") == ["fc1", "act", "fc2", "act#2"]
    assert graph.node("act#2").module_path == "act"
    assert _edges(graph) == {
        ("input", "fc1"),
        ("fc1", "act"),
        ("act", "fc2"),
        ("fc2", "act#2"),
        ("act#2", "output"),
    }
    import networkx as nx

    assert nx.is_directed_acyclic_graph(graph.to_networkx())


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.fc(x))


class Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Block(8), Block(8), Block(8))
        self.head = nn.Sequential(nn.Linear(8, 8), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x))


def test_groups_form_the_module_call_hierarchy() -> None:
    graph = torchscope.trace(Stack(), [2, 8])
    groups = {g.id: g for g in graph.groups}
    assert list(groups) == ["blocks", "blocks.0", "blocks.1", "blocks.2", "head"]
    assert groups["blocks"].children == ["blocks.0", "blocks.1", "blocks.2"]
    assert groups["blocks.1"].children == ["blocks.1.fc", "blocks.1.add", "blocks.1.norm"]
    assert (groups["blocks.1"].parent, groups["blocks"].parent) == ("blocks", None)
    assert (groups["blocks.1"].op, groups["blocks"].op) == ("Block", "Sequential")
    assert graph.node("blocks.1.add").parent == "blocks.1"
    assert graph.node("head.0").parent == "head"


class Unused(nn.Module):
    """Has a child, and calls none: a group with nothing in it."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class CalledOutOfOrder(nn.Module):
    """Registers ``late`` first but calls it last, with a function and an empty group between."""

    def __init__(self) -> None:
        super().__init__()
        self.late = nn.Sequential(nn.Linear(4, 4))
        self.nothing = Unused()
        self.early = nn.Sequential(nn.Linear(4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.late(self.nothing(torch.relu(self.early(x))))


def test_the_top_level_order_is_the_call_order_and_travels_in_the_payload() -> None:
    graph = torchscope.trace(CalledOutOfOrder(), [2, 4])
    # by hand: the input, early, relu, (nothing ran nothing: no group), late, the output
    assert graph.trace.top_level == ["input", "early", "relu", "late", "output"]
    payload = graph.to_json()
    assert payload["roots"] == graph.trace.top_level
    assert schema.top_level_members(payload) == graph.trace.top_level


def test_identical_sibling_blocks_are_marked_as_repeats() -> None:
    graph = torchscope.trace(Stack(), [2, 8])
    repeats = {g.id: g.repeat_of for g in graph.groups}
    assert repeats == {
        "blocks": None,
        "blocks.0": None,
        "blocks.1": "blocks.0",
        "blocks.2": "blocks.0",
        "head": None,
    }


class Uneven(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Block(8), Block(8), nn.Sequential(nn.Linear(8, 8)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def test_blocks_that_differ_are_not_repeats() -> None:
    graph = torchscope.trace(Uneven(), [2, 8])
    repeats = {g.id: g.repeat_of for g in graph.groups}
    assert repeats == {"blocks": None, "blocks.0": None, "blocks.1": "blocks.0", "blocks.2": None}


def test_tied_weights_count_once() -> None:
    embed = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = embed.weight
    graph = torchscope.trace(nn.Sequential(embed, head), [2, 3], dtype=torch.long)
    assert graph.to_json()["totals"]["params"] == 40
    assert graph.node("0").inputs[0].dtype == "int64"


class DictModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Linear(4, 2)
        self.text = nn.Embedding(10, 2)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        fused = self.image(batch["pixels"]) + self.text(batch["tokens"]).mean(1)
        return {"logits": fused, "embedding": batch["pixels"]}


def test_dict_inputs_and_outputs() -> None:
    batch = {"pixels": torch.randn(2, 4), "tokens": torch.zeros(2, 5, dtype=torch.long)}
    graph = torchscope.trace(DictModel(), inputs=batch)
    assert _ids(graph, "input") == ["input.pixels", "input.tokens"]
    assert _ids(graph, "output") == ["output.logits", "output.embedding"]
    assert ("input.pixels", "output.embedding") in _edges(graph)
    assert ("input.tokens", "text") in _edges(graph)
    assert graph.node("mean").outputs[0].shape == (2, 2)


class WithMask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, *, scale: float = 1.0
    ) -> torch.Tensor:
        y = self.fc(x) * scale
        return y.masked_fill(mask, 0.0) if mask is not None else y


def test_keyword_arguments_become_named_inputs() -> None:
    mask = torch.zeros(2, 4, dtype=torch.bool)
    graph = torchscope.trace(WithMask(), [2, 4], kwargs={"mask": mask, "scale": 0.5})
    assert _ids(graph, "input") == ["input.0", "mask"]
    assert _ids(graph, "function") == ["mul", "masked_fill"]
    assert graph.node("mul").attrs["arg1"] == 0.5
    assert ("mask", "masked_fill") in _edges(graph)


class DataDependent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(4, 8)
        self.down = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 1:  # shape arithmetic is bookkeeping: fine on meta
            x = x * 2
        if x.sum() > 0:  # a value: needs real data
            return self.up(x)
        return self.down(x)


def test_data_dependent_control_flow_falls_back_to_real_tensors() -> None:
    graph = torchscope.trace(DataDependent(), inputs=torch.ones(3, 4))
    assert graph.device == "cpu"
    assert _ids(graph) == ["input", "mul", "sum", "gt", "up", "output"]
    with pytest.raises(torchscope.TraceError, match=r"Tensor\.item\(\) cannot be called on meta tensors"):
        torchscope.trace(DataDependent(), [3, 4], device="meta")


class InPlace(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.ReLU(inplace=True)
        self.out = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        y.add_(1)
        y[:, 0] = 0
        return self.out(self.act(y))


def test_in_place_ops_keep_the_flow_right() -> None:
    graph = torchscope.trace(InPlace(), [2, 4])
    assert _ids(graph) == ["input", "fc", "add_", "setitem", "act", "out", "output"]
    assert _edges(graph) == {
        ("input", "fc"),
        ("fc", "add_"),
        ("add_", "setitem"),
        ("setitem", "act"),
        ("act", "out"),
        ("out", "output"),
    }


class Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.size(0)  # bookkeeping: no node
        assert x.dim() == 3
        q = self.proj(x).view(batch, 2, 2, 3)
        scores = torch.matmul(q, q.transpose(-1, -2)) / 3**0.5
        mixed = F.softmax(scores, dim=-1) @ q
        pooled = F.relu(mixed.reshape(batch, -1, 6))[:, 0]
        return torch.flatten(F.scaled_dot_product_attention(q, q, q), 1) + pooled.sum()


def test_a_custom_forward_of_functional_ops() -> None:
    graph = torchscope.trace(Functional(), [2, 2, 6])
    assert [(n.id, n.op) for n in graph.nodes if n.kind == "function"] == [
        ("view", "view"),
        ("transpose", "transpose"),
        ("matmul", "matmul"),
        ("div", "div"),
        ("softmax", "softmax"),
        ("matmul#2", "matmul"),
        ("reshape", "reshape"),
        ("relu", "relu"),
        ("getitem", "getitem"),
        ("scaled_dot_product_attention", "scaled_dot_product_attention"),
        ("flatten", "flatten"),
        ("sum", "sum"),
        ("add", "add"),
    ]
    assert graph.node("softmax").attrs == {"dim": -1}
    assert graph.node("scaled_dot_product_attention").outputs[0].shape == (2, 2, 2, 3)
    assert graph.node("add").outputs[0].shape == (2, 12)
    assert ("view", "scaled_dot_product_attention") in _edges(graph)


def test_ids_are_the_same_on_every_run() -> None:
    model = torchvision.models.resnet18()
    first = torchscope.trace(model, [1, 3, 64, 64]).to_json()
    second = torchscope.trace(model, [1, 3, 64, 64]).to_json()
    assert [n["id"] for n in first["nodes"]] == [n["id"] for n in second["nodes"]]
    ids = [n["id"] for n in first["nodes"]]
    assert {"layer1.0.conv1", "layer1.0.relu", "layer1.0.relu#2", "layer1.0.add_", "flatten"} <= set(ids)


def test_resnet_block_structure() -> None:
    graph = torchscope.trace(torchvision.models.resnet18(), [1, 3, 224, 224])
    # BasicBlock: conv-bn-relu-conv-bn, += identity (in place), relu (the same module again)
    block = next(g for g in graph.groups if g.id == "layer1.0")
    assert block.children == [
        "layer1.0.conv1",
        "layer1.0.bn1",
        "layer1.0.relu",
        "layer1.0.conv2",
        "layer1.0.bn2",
        "layer1.0.add_",
        "layer1.0.relu#2",
    ]
    assert {("maxpool", "layer1.0.add_"), ("layer1.0.bn2", "layer1.0.add_")} <= _edges(graph)
    downsample = {("layer1.1.relu#2", "layer2.0.downsample.0"), ("layer2.0.downsample.1", "layer2.0.add_")}
    assert downsample <= _edges(graph)
    # 224 → conv1 (stride 2) 112 → maxpool 56 → layer2 28 → layer3 14 → layer4 7
    assert graph.node("layer4.1.relu#2").outputs[0].shape == (1, 512, 7, 7)
    assert graph.node("fc").outputs[0].shape == (1, 1000)


def test_module_nodes_keep_attributes_and_repr() -> None:
    graph = torchscope.trace(torchvision.models.alexnet(), [1, 3, 224, 224])
    conv = graph.node("features.0")
    assert conv.attrs["in_channels"] == 3
    assert conv.attrs["out_channels"] == 64
    assert conv.attrs["kernel_size"] == [11, 11]
    assert conv.attrs["stride"] == [4, 4]
    assert conv.attrs["bias"] is True
    assert conv.repr == repr(torchvision.models.alexnet().features[0])
    linear = graph.node("classifier.1")
    assert (linear.attrs["in_features"], linear.attrs["out_features"]) == (9216, 4096)
    assert graph.node("flatten").parent is None


def test_payload_and_networkx_carry_everything() -> None:
    graph = torchscope.trace(Residual(), [2, 4])
    payload = schema.validate(graph.to_json())
    assert payload["model"]["device"] == "meta"
    nxg = graph.to_networkx()
    assert set(nxg.nodes) == {"input", "fc", "add", "output"}
    assert nxg.nodes["fc"]["op"] == "Linear"
    assert nxg.nodes["fc"]["outputs"] == [{"shape": [2, 4], "dtype": "float32"}]
    assert nxg.edges["input", "add"] == {"shape": [2, 4], "dtype": "float32"}


def test_multihead_attention_is_one_leaf() -> None:
    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.attn(x, x, x, need_weights=False)[0]

    graph = torchscope.trace(Attention(), [1, 5, 8])
    assert _ids(graph, "module") == ["attn"]
    assert _ids(graph, "function") == []  # indexing the returned tuple is plain Python
    assert graph.node("attn").outputs[0].shape == (1, 5, 8)
