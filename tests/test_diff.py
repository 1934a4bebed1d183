"""The alignment rules and statuses of torchscope.diff, on small models whose answer is known by hand."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import torchscope
from torchscope import TraceError, wire


class Block(nn.Module):
    def __init__(self, width: int = 8, slope: float = 0.01) -> None:
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1)
        self.act = nn.LeakyReLU(slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.conv(x))


class Net(nn.Module):
    def __init__(self, blocks: int = 3, head: str = "fc", *, wrap: bool = False) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.Sequential(*(Block() for _ in range(blocks)))
        self.wrapped = nn.Sequential(Block()) if wrap else Block()
        self.head_name = head
        setattr(self, head, nn.Linear(8, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.wrapped(self.blocks(self.stem(x)))
        return getattr(self, self.head_name)(x.mean((2, 3)))


SHAPE = [1, 3, 8, 8]


def test_a_model_against_itself_has_no_differences() -> None:
    diff = torchscope.diff(Net(), Net(), SHAPE)
    assert diff.changed == diff.added == diff.removed == []
    assert {r["status"] for r in diff.rows} == {"same"}
    assert str(diff).splitlines()[0].endswith("no differences")


def test_repeated_blocks_pair_by_index_and_the_extra_ones_are_removed() -> None:
    diff = torchscope.diff(Net(blocks=3), Net(blocks=2), SHAPE)
    assert diff.removed[0] == "blocks.2"
    assert set(diff.removed) == {"blocks.2", "blocks.2.conv", "blocks.2.act", "blocks.2.add"}
    assert diff.pair("blocks.1") == ("blocks.1", "blocks.1")
    assert diff.status("blocks.1") == "same"
    assert diff.changed == ["blocks"]


def test_an_attribute_change_that_costs_nothing_is_rolled_up_by_every_ancestor() -> None:
    a, b = Net(), Net()
    b.blocks[1].act = nn.LeakyReLU(0.2)
    diff = torchscope.diff(a, b, SHAPE)
    assert set(diff.changed) == {"blocks.1.act", "blocks.1", "blocks"}
    slope = diff.changes_of("blocks.1.act")
    assert [(c.field, c.a, c.b) for c in slope if c.field.startswith("attrs")] == [
        ("attrs.negative_slope", 0.01, 0.2)
    ]
    # the groups' own numbers are unchanged: they are changed only by what they hold
    assert [c.field for c in diff.changes_of("blocks.1")] == ["contents"]


def test_a_renamed_module_pairs_by_type_and_position_and_says_so() -> None:
    diff = torchscope.diff(Net(head="fc"), Net(head="classifier"), SHAPE)
    assert diff.pair("classifier") == ("fc", "classifier")
    assert [(c.field, c.a, c.b) for c in diff.changes_of("classifier")] == [("name", "fc", "classifier")]
    assert diff.added == diff.removed == []


def test_a_renamed_and_resized_module_pairs_by_type_and_position_alone() -> None:
    a = nn.Sequential()
    a.add_module("lin", nn.Linear(4, 4))
    a.add_module("fc", nn.Linear(4, 2))
    b = nn.Sequential()
    b.add_module("lin", nn.Linear(4, 4))
    b.add_module("head", nn.Linear(4, 3))  # no name and no shape in common with fc
    diff = torchscope.diff(a, b, [2, 4])
    assert diff.pair("head") == ("fc", "head")
    assert {"name", "attrs.out_features", "outputs"} <= {c.field for c in diff.changes_of("head")}


def test_a_renamed_module_of_another_type_pairs_by_its_shapes() -> None:
    a = nn.Sequential()
    a.add_module("lin", nn.Linear(4, 4))
    a.add_module("relu", nn.ReLU())
    b = nn.Sequential()
    b.add_module("lin", nn.Linear(4, 4))
    b.add_module("gelu", nn.GELU())
    diff = torchscope.diff(a, b, [2, 4])
    assert diff.pair("gelu") == ("relu", "gelu")
    assert {c.field for c in diff.changes_of("gelu")} >= {"name", "op"}


def test_a_sequential_around_a_block_is_a_wrapper_in_either_direction() -> None:
    plain, wrapped = Net(), Net(wrap=True)
    forward = torchscope.diff(plain, wrapped, SHAPE)
    assert forward.pair("wrapped.0") == ("wrapped", "wrapped.0")
    assert forward.added == ["wrapped"]
    assert forward.status("wrapped.0") == "same"
    assert next(r for r in forward.rows if r["id"] == "wrapped")["wrapper"] is True

    backward = torchscope.diff(wrapped, plain, SHAPE)
    # b names the block "wrapped", so a's Sequential of that name is drawn as "a:wrapped" around it
    assert backward.removed == ["wrapped"]
    assert backward.pair("wrapped") == ("wrapped.0", "wrapped")
    assert backward.parent_of("wrapped") == "a:wrapped"
    assert backward.pair("a:wrapped") == ("wrapped", None)


def test_a_leaf_that_became_a_group_keeps_both_under_distinct_ids() -> None:
    a = nn.Sequential(nn.Linear(4, 4))
    a.add_module("act", nn.ReLU())
    b = nn.Sequential(nn.Linear(4, 4))
    b.add_module("act", nn.Sequential(nn.Tanh(), nn.Dropout()))
    diff = torchscope.diff(a, b, [2, 4])
    assert diff.status("act") == "added"
    assert diff.removed == ["act"]
    assert diff.pair("a:act") == ("act", None)


def test_two_graphs_of_one_model_at_two_input_sizes() -> None:
    model = Net()
    small, large = torchscope.trace(model, SHAPE), torchscope.trace(model, [1, 3, 16, 16])
    diff = torchscope.diff(small, large)
    assert diff.added == diff.removed == []
    conv = {c.field: c for c in diff.changes_of("stem")}
    assert conv["outputs"].a == [[[1, 8, 8, 8], "float32"]]
    assert conv["outputs"].b == [[[1, 8, 16, 16], "float32"]]
    stem = next(r for r in diff.rows if r["id"] == "stem")
    assert stem["macs_b"] == 4 * stem["macs_a"] == 4 * 3 * 8 * 9 * 8 * 8
    # payloads work as well as graphs, as documents or as the compact wire a page saves
    assert torchscope.diff(small.to_json(), large.to_json()).rows == diff.rows
    assert torchscope.diff(wire.encode(small.to_json()), large.to_json()).rows == diff.rows


def test_omitted_b_inputs_mean_the_same_inputs() -> None:
    model = Net()

    def stem_macs(diff: torchscope.ModelDiff) -> tuple[int, int]:
        row = next(r for r in diff.rows if r["id"] == "stem")
        return row["macs_a"], row["macs_b"]

    per_pixel = 3 * 8 * 9
    assert stem_macs(torchscope.diff(model, model, SHAPE)) == (per_pixel * 64, per_pixel * 64)
    batch = torchscope.diff(model, model, SHAPE, input_shape_b=[2, 3, 8, 8])
    assert stem_macs(batch) == (per_pixel * 64, per_pixel * 128)
    values = torchscope.diff(model, model, inputs=torch.zeros(1, 3, 8, 8), inputs_b=torch.zeros(1, 3, 4, 4))
    assert stem_macs(values) == (per_pixel * 64, per_pixel * 16)


def test_bad_arguments_say_what_was_wrong() -> None:
    graph = torchscope.trace(Net(), SHAPE)
    with pytest.raises(TypeError, match=r"two traced graphs takes no inputs.*input_shape"):
        torchscope.diff(graph, graph, SHAPE)
    with pytest.raises(TypeError, match=r"model_b must be a torch\.nn\.Module, a ModelGraph or a payload"):
        torchscope.diff(graph, "resnet50")
    with pytest.raises(ValueError, match=r"model_a is not a valid torchscope payload: schema"):
        torchscope.diff({"schema": 99}, graph)
    with pytest.raises(TypeError, match=r"diff\(\) got an unexpected keyword argument 'orientation'"):
        torchscope.diff(Net(), Net(), SHAPE, orientation="LR")


def test_a_failing_side_is_named_and_its_partial_graph_kept() -> None:
    broken = Net()
    broken.blocks[1].conv = nn.Conv2d(4, 8, 3)  # expects 4 channels, gets 8
    with pytest.raises(TraceError, match=r"^model_b: forward failed in Conv2d 'blocks.1.conv'") as caught:
        torchscope.diff(Net(), broken, SHAPE)
    assert "blocks.0.conv" in {n.id for n in caught.value.graph.nodes}


def test_the_models_are_left_as_they_were() -> None:
    from unchanged import Fingerprint

    a, b = Net(), Net(blocks=2)
    prints = Fingerprint.of(a), Fingerprint.of(b)
    torchscope.diff(a, b, SHAPE)
    prints[0].assert_same(a)
    prints[1].assert_same(b)


def test_the_model_diffs_numbers_follow_the_sides_not_the_alignment() -> None:
    a, b = Net(), copy.deepcopy(Net())
    b.stem = nn.Conv2d(3, 8, 5, padding=2)
    diff = torchscope.diff(a, b, SHAPE)
    row = next(r for r in diff.rows if r["id"] == "stem")
    assert (row["params_a"], row["params_b"], row["params_delta"]) == (
        3 * 8 * 9 + 8,
        3 * 8 * 25 + 8,
        3 * 8 * 16,
    )
    assert row["macs_delta"] == 3 * 8 * 16 * 8 * 8
