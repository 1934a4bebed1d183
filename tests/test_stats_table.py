"""The statistics table's text and HTML views, depth folding, group and structure ownership.

What the first mutation run of stats.py showed test_stats.py did not pin down. Every number is
worked out by hand next to it: a Linear(3, 4) on 2 rows has 3·4 + 4 = 16 parameters, 2·3·4 = 24
MACs, 2·24 + 2·4 = 56 FLOPs (the bias adds) and writes 2·4 float32 = 32 bytes.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F  # noqa: N812  # the conventional name
from torch import nn

import torchscope
from torchscope.stats import StatsTable


def _two_layers() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU())


def test_the_text_table_aligns_names_left_and_numbers_right() -> None:
    lines = str(torchscope.model_stats(_two_layers(), [2, 3])).splitlines()
    header = lines[0]
    assert len(lines) == 6  # header, rule, the two layers, rule, totals
    # "activation_bytes" is the widest cell of its column, so the header spans the whole width
    assert lines[1] == lines[4] == "-" * len(header)
    assert lines[2].split() == ["0", "Linear", "[2,", "4]", "16", "24", "56", "32", "B"]
    assert lines[3].split() == ["1", "ReLU", "[2,", "4]", "0", "0", "8", "32", "B"]
    assert lines[5].split() == ["total", "16", "24", "64", "64", "B"]  # ReLU adds one FLOP per element
    for line in (lines[2], lines[3], lines[5]):
        assert len(line) == len(header)  # the last column, right-aligned, reaches the edge
    # names, types and shapes start under their headers; numbers end under theirs
    assert lines[2].index("Linear") == header.index("type")
    assert lines[2].index("[2, 4]") == header.index("output_shapes")
    for column, value in (("params", "16"), ("macs", "24"), ("flops", "56")):
        assert lines[2][: header.index(column) + len(column)].endswith(f" {value}"), column


def test_a_values_table_leaves_no_trailing_blanks() -> None:
    # the totals row has no value statistics: its empty cells at the end are stripped
    lines = str(torchscope.model_stats(_two_layers(), [2, 3], values=True)).splitlines()
    assert lines[0].split()[-6:] == [
        "value_mean",
        "value_std",
        "value_absmax",
        "value_zeros",
        "value_nan",
        "value_inf",
    ]
    assert lines[-1].endswith("64 B")
    assert all(line == line.rstrip() for line in lines)


class Bessel(nn.Module):
    """Ops without a formula, by hand: y0 once, then j1 twice, then j0 once."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        special = torch.special
        return special.bessel_y0(x) + special.bessel_j1(x) * special.bessel_j1(x) + special.bessel_j0(x)


def test_uncounted_ops_are_listed_per_row_and_in_the_totals() -> None:
    table = torchscope.model_stats(Bessel(), [2, 3])
    rows = {r["name"]: r for r in table.rows}
    assert rows["special_bessel_j1#2"]["uncounted"] == ["aten.special_bessel_j1 ×1"]
    assert rows["mul"]["uncounted"] == []
    # the most frequent first, ties by name (j0 before y0, though y0 ran first)
    listed = ["aten.special_bessel_j1 ×2", "aten.special_bessel_j0 ×1", "aten.special_bessel_y0 ×1"]
    assert table.totals["uncounted"] == listed
    assert str(table).splitlines()[-1] == "uncounted: " + ", ".join(listed)


class TwoSelections(nn.Module):
    """Two boolean indexes of activations on meta, over 5 rows and over 3: two assumptions."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(4, 6)
        self.down = nn.Linear(6, 3)
        self.side = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.up(x)
        s = self.side(x[:3])
        return self.down(h[h.sum(-1) > 0]), s[s.sum(-1) > 0]


ALL_5 = "boolean index: all 5 elements assumed selected (the upper bound)"
ALL_3 = "boolean index: all 3 elements assumed selected (the upper bound)"


def _estimated(depth: int | None = None) -> StatsTable:
    with torch.device("meta"):
        model = nn.Sequential(TwoSelections())
    return torchscope.model_stats(model, [5, 4], depth=depth)


def test_estimated_counts_are_marked_in_the_text_and_html_views() -> None:
    table = _estimated()
    rows = {r["name"]: r for r in table.rows}
    assert rows["0.down"]["estimated"] == [ALL_5]
    assert rows["0.up"]["estimated"] == []
    assert table.totals["estimated"] == [ALL_5, ALL_3]
    lines = str(table).splitlines()
    header = lines[0]
    down = next(line for line in lines if line.startswith("0.down "))
    up = next(line for line in lines if line.startswith("0.up "))
    # all 5 rows assumed kept: 5·6·3 = 90 MACs, 2·90 + 5·3 = 195 FLOPs; only those two are marked
    assert down[: header.index("macs") + 4].endswith(" ≈90")
    assert down[: header.index("flops") + 5].endswith(" ≈195")
    assert down[: header.index("params") + 6].endswith(" 21")  # 6·3 + 3, exact
    assert "≈" not in up  # 5·4·6 = 120 MACs, nothing assumed
    assert lines[-1] == f"≈ estimated, assuming {ALL_5}; {ALL_3}"
    html = table._repr_html_()
    assert "<td>≈90</td><td>≈195</td>" in html
    assert html.endswith(
        f"</table><p class='torchscope-estimated'>≈ estimated, assuming {ALL_5}; {ALL_3}</p>"
    )


def test_a_folded_group_carries_its_nodes_assumptions() -> None:
    (row,) = _estimated(depth=1).rows
    assert (row["name"], row["type"], row["estimated"], row["uncounted"]) == (
        "0",
        "TwoSelections",
        [ALL_5, ALL_3],
        [],
    )


def test_the_html_table_escapes_names_and_has_a_row_per_layer_and_the_totals() -> None:
    model = nn.Sequential(OrderedDict([("<b>", nn.Linear(3, 4))]))
    html = torchscope.model_stats(model, [2, 3])._repr_html_()
    columns = ["name", "type", "output_shapes", "params", "macs", "flops", "activation_bytes"]
    head = "".join(f"<th>{c}</th>" for c in columns)
    row = "<td>&lt;b&gt;</td><td>Linear</td><td>[2, 4]</td><td>16</td><td>24</td><td>56</td><td>32 B</td>"
    total = "<td>total</td><td></td><td></td><td>16</td><td>24</td><td>56</td><td>32 B</td>"
    assert html == (
        f"<table class='torchscope-stats'><thead><tr>{head}</tr></thead>"
        f"<tbody><tr>{row}</tr><tr>{total}</tr></tbody></table>"
    )


def _three_deep() -> nn.Module:
    # 0 { 0.0 { 0.0.0 Linear(4, 4) }, 0.1 ReLU }, 1 Linear(4, 2)
    return nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(4, 4)), nn.ReLU()), nn.Linear(4, 2))


def test_depth_folds_at_the_level_it_names() -> None:
    def names(depth: int) -> list[str]:
        return [r["name"] for r in torchscope.model_stats(_three_deep(), [2, 4], depth=depth).rows]

    assert names(1) == ["0", "1"]
    assert names(2) == ["0.0", "0.1", "1"]
    assert names(3) == ["0.0.0", "0.1", "1"]
    folded = torchscope.model_stats(_three_deep(), [2, 4], depth=2).rows[0]
    # 2·4·4 MACs, 4·4 + 4 parameters
    assert (folded["type"], folded["macs"], folded["params"], folded["uncounted"]) == (
        "Sequential",
        32,
        20,
        [],
    )


def test_from_payload_rejects_a_depth_below_one() -> None:
    payload = torchscope.trace(_two_layers(), [2, 3]).to_json()
    with pytest.raises(ValueError, match=r"^depth must be at least 1 \(the top-level modules\), got 0$"):
        StatsTable.from_payload(payload, depth=0)


class Returns(nn.Module):
    """A block with a frozen parameter and buffers, and a returned tuple (a structure group)."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
        self.block[1].weight.requires_grad_(requires_grad=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        y = self.block(x)
        return y, (y.relu(), y.sigmoid())


def test_a_group_owns_its_module_subtree_and_a_structure_owns_nothing() -> None:
    payload = torchscope.trace(Returns(), [2, 4]).to_json()
    groups = {g["id"]: g["stats"] for g in payload["groups"]}
    owned = ("params", "params_trainable", "param_bytes", "buffer_bytes")
    # Linear 4·8 + 8, BatchNorm 8 + 8 (its weight frozen); buffers: mean and var 8 float32 each and
    # an int64 counter
    assert {k: groups["block"][k] for k in owned} == {
        "params": 56,
        "params_trainable": 48,
        "param_bytes": 56 * 4,
        "buffer_bytes": 2 * 8 * 4 + 8,
    }
    structure = next(g for g in payload["groups"] if g.get("kind") == "structure")
    assert {k: structure["stats"][k] for k in owned} == dict.fromkeys(owned, 0)


class ReadsItsWeight(nn.Module):
    """A function reads the module's own parameter: the module owns it, the function does not."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 4))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(F.linear(x, self.weight))


def test_a_function_node_owns_no_parameters() -> None:
    # the model itself owns the weight; the function that reads it runs outside every module
    table = torchscope.model_stats(ReadsItsWeight(), [2, 4])
    assert {r["name"]: r["params"] for r in table.rows} == {"linear": 0, "act": 0}
    assert table.totals["params"] == 16


def test_a_group_is_timed_as_the_sum_of_its_nodes() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(64, 64), nn.ReLU()), nn.Linear(64, 8))
    payload = torchscope.trace(model, [32, 64], measure=True).to_json()
    times = {n["id"]: n["stats"]["latency_ms"] for n in payload["nodes"] if n["id"] in ("0.0", "0.1")}
    group = next(g for g in payload["groups"] if g["id"] == "0")
    assert all(t > 0 for t in times.values())
    assert group["stats"]["latency_ms"] == pytest.approx(times["0.0"] + times["0.1"])


def test_to_pandas_gives_every_column_and_says_exactly_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pd = pytest.importorskip("pandas")
    frame = torchscope.model_stats(_two_layers(), [2, 3]).to_pandas()
    assert frame["macs"].tolist() == [24, 0]
    assert frame["output_shapes"].tolist() == [[[2, 4]], [[2, 4]]]

    class Nothing(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    empty = torchscope.model_stats(Nothing(), [2, 3])
    assert empty.rows == []
    # no rows, and still the columns, for code that selects them
    assert list(empty.to_pandas().columns) == list(frame.columns)
    assert isinstance(frame, pd.DataFrame)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"^StatsTable\.to_pandas\(\) needs pandas: pip install pandas$"):
        empty.to_pandas()


def test_the_markdown_table_ends_with_its_notes_after_a_blank_line() -> None:
    lines = torchscope.model_stats(Bessel(), [2, 3]).to_markdown().splitlines()
    assert lines[0].startswith("| Name | Type |")
    assert lines[-3].startswith("| **total** |")
    # Markdown's active underscores escaped
    assert lines[-2:] == [
        "",
        "Uncounted ops: " + ", ".join(rf"aten.special\_bessel\_{op}" for op in ("j1 ×2", "j0 ×1", "y0 ×1")),
    ]
    estimated = _estimated().to_markdown().splitlines()
    assert estimated[0].startswith("| Name | Type |")
    assert estimated[-2:] == ["", f"≈ Estimated, assuming {ALL_5}; {ALL_3}"]
    down = next(line for line in estimated if line.startswith("| 0.down |"))
    assert "| ≈90 | ≈195 |" in down


def test_a_training_table_puts_each_summary_line_after_a_blank_one() -> None:
    table = torchscope.model_stats(nn.Sequential(nn.Linear(3, 4)), [2, 3], training=True)
    assert table.rows[0]["grad_bytes"] == 16 * 4  # the Linear's first call owns its 16 float32 gradients
    lines = table.to_markdown().splitlines()
    after = lines[lines.index(next(line for line in lines if line.startswith("| **total** |"))) + 1 :]
    assert after[0::2] == ["", ""]
    assert after[1].startswith("training step peak: ")
    assert after[3].startswith("inference peak: ")


def test_sorting_keeps_the_totals_and_columns_and_names_what_it_can_sort_by() -> None:
    table = torchscope.model_stats(_two_layers(), [2, 3])
    ordered = table.sorted_by("flops")
    assert [r["name"] for r in ordered.rows] == ["0", "1"]  # 56 before 8
    assert (ordered.totals, ordered.columns) == (table.totals, table.columns)
    assert (table.totals["name"], table.totals["type"]) == ("total", "")
    first = ["params", "params_trainable", "macs", "flops", "param_bytes", "buffer_bytes"]
    numeric = ", ".join([*first, "activation_bytes", "read_bytes", "write_bytes"])
    with pytest.raises(ValueError, match=rf"^cannot sort by 'type'; choose one of {numeric}$"):
        table.sorted_by("type")


class Ones(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.ones(3)


def test_tensorwatch_shapes_are_none_where_a_row_has_none() -> None:
    pytest.importorskip("pandas")
    # torch.ones takes no tensor: no input shape; a folded group carries no shapes at all
    frame = torchscope.model_stats(Ones(), [2, 3]).to_pandas()
    shapes = dict(zip(frame["module name"], frame["input shape"], strict=True))
    assert (shapes["ones"], shapes["add"]) == (None, (2, 3))
    folded = torchscope.model_stats(_three_deep(), [2, 4], depth=1).to_pandas()
    assert folded["input shape"].tolist() == [None, (2, 4)]  # 0 is folded; 1 is the Linear
    assert folded["output shape"].tolist() == [None, (2, 2)]


def test_a_node_reads_its_inputs_parameters_and_buffers() -> None:
    row = torchscope.model_stats(nn.Sequential(nn.BatchNorm1d(5)), [4, 5]).rows[0]
    # the 4×5 float32 input, weight and bias (5 each), running mean and var (5 each) and an int64
    assert row["read_bytes"] == 4 * 5 * 4 + 2 * 5 * 4 + 2 * 5 * 4 + 8
