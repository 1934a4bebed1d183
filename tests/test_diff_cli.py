"""``torchscope diff A B``: the report, the page, the CSV and the errors."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from torchscope.cli import main

MODELS = """
import torch
from torch import nn


def small():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def large(hidden=8):
    return nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 2), nn.Softmax(-1))


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.second = nn.Linear(5, 2)  # expects 5 features, gets 4

    def forward(self, x):
        return self.second(self.first(x))
"""


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "models.py"
    path.write_text(MODELS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return path


def test_prints_the_text_report(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", f"{models}:small", f"{models}:large", "--input-shape", "2,3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("small → large: 3 changed · +1 added · −0 removed nodes\n")
    # 3·8 + 8 + 8·2 + 2 = 50 against 3·4 + 4 + 4·2 + 2 = 26
    assert re.search(r"Params\s+26\s+50\s+\+24\s+1\.923×", out)


@pytest.mark.usefixtures("models")
def test_markdown_csv_and_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page, table = tmp_path / "diff.html", tmp_path / "diff.csv"
    argv = ["diff", "models:small", "models:large", "--input-shape", "2,3", "--kwargs-b", '{"hidden": 16}']
    argv += ["--markdown", "-o", str(page), "--csv", str(table), "--names", "four,sixteen"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("**four → sixteen**")
    assert "| Params | 26 | 98 | +72 | 3.769× |" in captured.out  # 3·16 + 16 + 16·2 + 2 = 98
    assert f"wrote {page.resolve()}" in captured.err
    text = page.read_text(encoding="utf-8")
    assert '"diff":{' in text
    assert "four → sixteen" in text
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["same", "changed", "changed", "changed", "added", "same", ""]


@pytest.mark.usefixtures("models")
def test_different_input_shapes_for_b(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["diff", "models:small", "models:small", "--input-shape", "2,3", "--input-shape-b", "6,3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("small (A) → small (B):")
    assert re.search(r"MACs\s+40\s+120\s+\+80\s+3×", out)  # (3·4 + 4·2) per row, 2 rows against 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--names", "one"], "--names 'one' must be two names separated by a comma"),
        (["--kwargs-b", "{"], "--kwargs is not valid JSON"),
        (["--input-shape-b", "2,y"], "--input-shape '2,y': part 2 ('y') is not a whole number"),
    ],
)
@pytest.mark.usefixtures("models")
def test_bad_arguments_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["diff", "models:small", "models:large", "--input-shape", "2,3", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.usefixtures("models")
def test_a_failing_model_exits_1_naming_the_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "models:small", "models:Broken", "--input-shape", "2,3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("torchscope diff: model_b: forward failed in Linear 'second'")


def test_the_help_lists_the_diff_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "diff" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    assert "--input-shape-b" in capsys.readouterr().out


def test_models_from_their_names_with_inferred_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    torchvision = pytest.importorskip("torchvision")
    from torchvision.models import get_model_weights

    assert main(["diff", "torchvision:resnet18", "torchvision:resnet34", "--markdown"]) == 0
    out = capsys.readouterr().out
    # the params delta is the difference of torchvision's published counts, humanised
    published = [get_model_weights(n).DEFAULT.meta["num_params"] for n in ("resnet18", "resnet34")]
    assert f"+{(published[1] - published[0]) / 1e6:.2f} M" in out
    # [3, 4, 6, 3] blocks against [2, 2, 2, 2]
    assert "+8 −0 blocks" in out
    assert torchvision is not None


@pytest.mark.usefixtures("models")
def test_a_callable_without_input_shape_says_what_to_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "models:small", "models:large"]) == 2
    err = capsys.readouterr().err
    assert "--input-shape" in err
    assert err.count("\n") == 1
