"""model_stats in the foundation slice: rows per leaf call, exact params, CSV and text views."""

from __future__ import annotations

import csv
from pathlib import Path

from torch import nn

import torchscope


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))


def test_rows_and_totals_are_exact() -> None:
    table = torchscope.model_stats(_model(), [8, 10])
    assert [(r["name"], r["type"], r["params"]) for r in table.rows] == [
        ("0", "Linear", 10 * 20 + 20),
        ("1", "ReLU", 0),
        ("2", "Linear", 20 * 5 + 5),
    ]
    assert table.rows[2]["output_shapes"] == "[8, 5]"
    assert table.totals["params"] == 325


def test_csv_has_stable_keys_and_a_totals_row(tmp_path: Path) -> None:
    table = torchscope.model_stats(_model(), [8, 10])
    table.to_csv(tmp_path / "s.csv")
    with (tmp_path / "s.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["name", "type", "output_shapes", "params", "params_trainable"]
    assert rows[-1]["name"] == "total"
    assert rows[-1]["params"] == "325"


def test_text_and_html_views() -> None:
    big = nn.Sequential(nn.Linear(1000, 2000))
    text = str(torchscope.model_stats(big, [1, 1000]))
    lines = text.splitlines()
    assert lines[0].split() == ["name", "type", "output_shapes", "params", "params_trainable"]
    assert lines[-1].split() == ["total", "2.00", "M", "2.00", "M"]  # 1000*2000 + 2000 = 2,002,000
    html = torchscope.model_stats(big, [1, 1000])._repr_html_()
    assert html.count("<tr>") == 3  # header, one layer, totals
