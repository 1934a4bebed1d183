"""ModelDiff's numbers and reports: totals, rows, pandas, CSV, Markdown and text, counted by hand."""

from __future__ import annotations

import csv

import pytest
from torch import nn

import torchscope


def _pair() -> torchscope.ModelDiff:
    a = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    b = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 8), nn.Softmax(dim=-1))
    return torchscope.diff(a, b, [4, 16], names=("small", "wide"))


def test_totals_hold_both_sides_the_delta_and_the_ratio() -> None:
    diff = _pair()
    params_a = 16 * 32 + 32 + 32 * 8 + 8
    params_b = 16 * 64 + 64 + 64 * 8 + 8
    assert diff.totals["params"] == {
        "a": params_a,
        "b": params_b,
        "delta": params_b - params_a,
        "ratio": params_b / params_a,
    }
    macs_a, macs_b = 4 * (16 * 32 + 32 * 8), 4 * (16 * 64 + 64 * 8)
    assert (diff.totals["macs"]["a"], diff.totals["macs"]["b"]) == (macs_a, macs_b)
    assert diff.totals["uncounted"] == {"a": "", "b": ""}


def test_rows_carry_the_status_both_sides_and_the_deltas() -> None:
    diff = _pair()
    rows = {r["id"]: r for r in diff.rows}
    assert [r["id"] for r in diff.rows] == ["input", "0", "1", "2", "3", "output"]
    first = rows["0"]
    assert first["status"] == "changed"
    assert (first["params_a"], first["params_b"], first["params_delta"]) == (
        16 * 32 + 32,
        16 * 64 + 64,
        16 * 32 + 32,
    )
    assert "attrs.out_features" in first["changes"]
    assert first["output_shapes_a"] == [[4, 32]]
    assert first["output_shapes_b"] == [[4, 64]]
    softmax = rows["3"]
    assert (softmax["status"], softmax["a"], softmax["b"], softmax["macs_a"]) == ("added", None, "3", None)
    assert softmax["flops_delta"] == softmax["flops_b"] > 0
    assert diff.added == ["3"]
    assert diff.changed == ["0", "1", "2"]  # the output keeps its [4, 8]


def test_to_pandas_has_one_row_per_pair() -> None:
    pytest.importorskip("pandas")
    frame = _pair().to_pandas()
    assert list(frame["id"]) == ["input", "0", "1", "2", "3", "output"]
    assert {"status", "macs_a", "macs_b", "macs_delta", "params_delta"} <= set(frame.columns)


def test_to_csv_writes_every_row_and_the_totals(tmp_path) -> None:
    diff = _pair()
    path = diff.to_csv(tmp_path / "diff.csv")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["input", "0", "1", "2", "3", "output", "total"]
    assert rows[-1]["params_delta"] == str(diff.totals["params"]["delta"])
    assert rows[1]["changes"].startswith("attrs.out_features")


def test_text_and_markdown_reports_name_the_sides_and_list_the_differences() -> None:
    diff = _pair()
    text = str(diff)
    assert text.splitlines()[0] == "small → wide: 3 changed · +1 added · −0 removed nodes"
    assert "out_features 32 → 64" in text
    markdown = diff.to_markdown()
    assert "| Params | 808 | 1.61 K | +800 | 1.99× |" in markdown  # 16·64 + 64 + 64·8 + 8 = 1,608
    assert "| + | 3 | Softmax |" in markdown


def test_markdown_escapes_model_strings() -> None:
    a = nn.Sequential(nn.Linear(2, 2))
    b = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    markdown = torchscope.diff(a, b, [1, 2], names=("a|<b>", "[x](y)")).to_markdown()
    assert r"**a\|\<b\> → \[x\](y)**" in markdown
    assert "<b>" not in markdown


def test_the_text_report_stops_at_40_differences() -> None:
    a = nn.Sequential(*(nn.Linear(4, 4) for _ in range(2)))
    b = nn.Sequential(*(nn.Linear(4, 4) for _ in range(50)))
    text = str(torchscope.diff(a, b, [1, 4]))
    assert "differences (48):" in text
    assert "… 8 more (to_markdown() or to_csv() lists them all)" in text
