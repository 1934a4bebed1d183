"""The command line: draw, stats and demo, every bad input, the progress line, and one real subprocess."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from torchscope import progress, wire
from torchscope.cli import main

LINEAR = ["torch.nn:Linear", "--kwargs", '{"in_features": 3, "out_features": 4}', "--input-shape", "2,3"]

MODELS = """
import time
import torch
from torch import nn


def nested():
    # groups "0" (top level) and "0.1" (one level down)
    return nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU())), nn.Linear(4, 2))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 2)

    def forward(self, x, y):
        return self.head(torch.cat([x, y], dim=1))


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.second = nn.Linear(5, 2)  # expects 5 features, gets 4

    def forward(self, x):
        return self.second(self.first(x))


class Slow(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 3)

    def forward(self, x):
        time.sleep(0.4)
        return self.layer(x)


def sized(width=3):
    return nn.Linear(width, 2)


def not_a_model():
    return {"weights": [1, 2, 3]}


instance = nn.Linear(3, 5)
"""


@pytest.fixture
def models(tmp_path: Path) -> str:
    path = tmp_path / "cli_models.py"
    path.write_text(MODELS)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def page_state(path: Path) -> dict[str, object]:
    page = path.read_text(encoding="utf-8")
    found = re.search(
        r'<script type="application/json" id="torchscope-state">(.*?)</script>', page, re.DOTALL
    )
    assert found is not None
    state: dict[str, object] = json.loads(found.group(1))
    state["graph"] = wire.decode(state["graph"])  # the page embeds the compact wire
    return state


# -- draw --------------------------------------------------------------------------------------


def test_draw_writes_the_page_and_prints_its_path(capsys, tmp_path: Path) -> None:
    output = tmp_path / "linear.html"
    status, out, err = run(capsys, "draw", *LINEAR, "-o", str(output), "--orientation", "LR")
    assert (status, err) == (0, "")
    assert str(output.resolve()) in out
    assert output.resolve().as_uri() in out
    state = page_state(output)
    assert state["orientation"] == "LR"
    graph = state["graph"]
    assert isinstance(graph, dict)
    assert graph["model"]["input_shapes"] == [[2, 3]]
    assert graph["totals"]["params"] == 3 * 4 + 4  # --kwargs reached the constructor


def test_draw_names_the_page_after_the_callable(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, _ = run(capsys, "draw", *LINEAR)
    assert status == 0
    assert (tmp_path / "Linear.html").is_file()


@pytest.mark.parametrize(("depth", "expanded"), [(1, ["0"]), (2, ["0", "0.1"]), (5, ["0", "0.1"])])
def test_draw_depth_opens_groups_fewer_levels_down(capsys, tmp_path: Path, models, depth, expanded) -> None:
    output = tmp_path / "nested.html"
    target = f"{models}:nested"
    status, _, _ = run(
        capsys, "draw", target, "--input-shape", "1,3", "--depth", str(depth), "-o", str(output)
    )
    assert status == 0
    assert sorted(page_state(output)["expanded"]) == expanded  # type: ignore[arg-type]


def test_draw_without_depth_leaves_the_choice_to_the_page(capsys, tmp_path: Path, models) -> None:
    output = tmp_path / "nested.html"
    assert run(capsys, "draw", f"{models}:nested", "--input-shape", "1,3", "-o", str(output))[0] == 0
    assert page_state(output)["expanded"] == []


def test_draw_takes_one_input_shape_per_positional_input(capsys, tmp_path: Path, models) -> None:
    output = tmp_path / "two.html"
    argv = ["draw", f"{models}:TwoInputs", "--input-shape", "2,3", "--input-shape", "2x5", "-o", str(output)]
    assert run(capsys, *argv)[0] == 0
    graph = page_state(output)["graph"]
    assert isinstance(graph, dict)
    assert graph["model"]["input_shapes"] == [[2, 3], [2, 5]]


def test_draw_dtype_and_device(capsys, tmp_path: Path) -> None:
    output = tmp_path / "tokens.html"
    embedding = ["torch.nn:Embedding", "--kwargs", '{"num_embeddings": 10, "embedding_dim": 4}']
    argv = [
        "draw",
        *embedding,
        "--input-shape",
        "2,5",
        "--dtype",
        "long",
        "--device",
        "cpu",
        "-o",
        str(output),
    ]
    assert run(capsys, *argv)[0] == 0
    graph = page_state(output)["graph"]
    assert isinstance(graph, dict)
    assert (graph["model"]["dtype"], graph["model"]["device"]) == ("int64", "cpu")
    assert graph["edges"][0]["shape"] == [2, 5]


def test_draw_writes_dot_or_graphml_by_the_file_suffix(capsys, tmp_path: Path, models) -> None:
    dot = tmp_path / "nested.dot"
    status, out, _ = run(
        capsys, "draw", f"{models}:nested", "--input-shape", "1,3", "-o", str(dot), "--orientation", "LR"
    )
    assert (status, out) == (0, f"wrote {dot.resolve()}\n")
    text = dot.read_text(encoding="utf-8")
    assert text.startswith("digraph torchscope {")
    assert "rankdir=LR" in text
    assert text.count("subgraph cluster_") == 2  # groups "0" and "0.1"
    graphml = tmp_path / "nested.graphml"
    assert run(capsys, "draw", f"{models}:nested", "--input-shape", "1,3", "-o", str(graphml))[0] == 0
    read = nx.read_graphml(graphml)
    assert set(read.nodes) == {"input", "0.0", "0.1.0", "1", "output"}
    assert read.nodes["0.1.0"]["parent"] == "0.1"


def test_a_failed_trace_still_writes_the_partial_page(capsys, tmp_path: Path, models) -> None:
    output = tmp_path / "broken.html"
    status, out, err = run(capsys, "draw", f"{models}:Broken", "--input-shape", "2,3", "-o", str(output))
    assert status == 1
    assert str(output.resolve()) in out
    assert len(err.strip().splitlines()) == 1
    assert "'second'" in err  # the failing layer
    assert "traced up to that layer" in err
    graph = page_state(output)["graph"]
    assert isinstance(graph, dict)
    failed = [n["id"] for n in graph["nodes"] if "error" in n]
    assert failed == ["second"]
    assert "first" in [n["id"] for n in graph["nodes"]]


def test_a_module_level_model_is_used_as_it_is(capsys, tmp_path: Path, models) -> None:
    output = tmp_path / "instance.html"
    assert run(capsys, "draw", f"{models}:instance", "--input-shape", "1,3", "-o", str(output))[0] == 0
    graph = page_state(output)["graph"]
    assert isinstance(graph, dict)
    assert graph["totals"]["params"] == 3 * 5 + 5


def test_a_module_in_the_current_directory_is_importable(capsys, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "cwd_models_for_cli.py").write_text(
        "from torch import nn\n\ndef make():\n    return nn.ReLU()\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "cwd_models_for_cli", raising=False)
    status, out, _ = run(capsys, "stats", "cwd_models_for_cli:make", "--input-shape", "1,3")
    assert status == 0
    assert "ReLU" in out
    assert str(tmp_path) not in sys.path  # the directory was only added for the import


# -- stats -------------------------------------------------------------------------------------


def test_stats_prints_the_table(capsys, models) -> None:
    status, out, err = run(capsys, "stats", f"{models}:nested", "--input-shape", "2,3")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "name",
        "type",
        "output_shapes",
        "params",
        "macs",
        "flops",
        "activation_bytes",
    ]
    rows = {line.split()[0]: line.split() for line in lines[2:-2]}
    assert set(rows) == {"0.0", "0.1.0", "1"}
    assert rows["0.0"][1:] == ["Linear", "[2,", "4]", "16", "24", "56", "32", "B"]  # 2·3·4 MACs
    assert lines[-1].split()[:4] == ["total", "26", "40", "100"]


def test_stats_depth_sort_csv_and_markdown(capsys, tmp_path: Path, models) -> None:
    sheet = tmp_path / "stats.csv"
    argv = ["stats", f"{models}:nested", "--input-shape", "2,3", "--depth", "1", "--sort", "flops"]
    status, out, err = run(capsys, *argv, "--csv", str(sheet), "--markdown")
    assert status == 0
    assert err.strip() == f"wrote {sheet}"
    lines = out.splitlines()
    assert lines[0].startswith("| Name | Type |")
    # depth 1: one row per top-level module; group "0" (56 + 8 FLOPs) before Linear "1" (2·16 + 4)
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == ["0", "1", "**total**"]
    with sheet.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["0", "1", "total"]
    assert rows[0]["flops"] == "64"


def test_a_failed_trace_still_prints_the_partial_table(capsys, models) -> None:
    status, out, err = run(capsys, "stats", f"{models}:Broken", "--input-shape", "2,3")
    assert status == 1
    assert "first" in out
    assert "'second'" in err


# -- demo --------------------------------------------------------------------------------------


def test_demo_writes_the_alexnet_page(capsys, tmp_path: Path) -> None:
    output = tmp_path / "alexnet.html"
    status, out, _ = run(capsys, "demo", "-o", str(output))
    assert status == 0
    assert str(output.resolve()) in out
    graph = page_state(output)["graph"]
    assert isinstance(graph, dict)
    assert graph["model"]["name"] == "AlexNet"
    assert graph["totals"]["params"] == 61_100_840  # torchvision's published num_params


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("torch.nn.Linear", "is not module:callable"),
        (":make", "is not module:callable"),
        ("no_such_module_for_torchscope:make", "no module named 'no_such_module_for_torchscope'"),
        ("torch.nn:NoSuchLayer", "'torch.nn' has no attribute 'NoSuchLayer'"),
        ("torch.nn:Linear.nope", "'torch.nn.Linear' has no attribute 'nope'"),
        ("missing_file.py:make", "no file 'missing_file.py'"),
        ("MODELS:not_a_model", "returned a value of type dict, not a torch.nn.Module"),
        ("MODELS:time", "is a module, not a callable"),
    ],
)
def test_bad_targets_are_named(capsys, models, target, expected) -> None:
    status, out, err = run(capsys, "stats", target.replace("MODELS", models), "--input-shape", "1,3")
    assert status == 2
    assert out == ""
    assert err.startswith("torchscope stats: ")
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_a_module_with_a_missing_dependency_says_so(capsys, tmp_path: Path) -> None:
    path = tmp_path / "needs_dependency.py"
    path.write_text("import no_such_dependency_for_torchscope\n")
    status, _, err = run(capsys, "stats", f"{path}:make", "--input-shape", "1,3")
    assert status == 2
    assert "No module named 'no_such_dependency_for_torchscope'" in err


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("2,a", "--input-shape '2,a': part 2 ('a') is not a whole number"),
        ("2,,3", "--input-shape '2,,3': part 2 is empty"),
        ("2,3.5", "part 2 ('3.5') is not a whole number"),
        ("0,3", "part 1 (0) must be at least 1"),
        ("", "part 1 is empty"),
    ],
)
def test_bad_shapes_name_the_wrong_part(capsys, shape, expected) -> None:
    status, _, err = run(capsys, "stats", *LINEAR, "--input-shape", shape)
    assert status == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_a_negative_dimension_is_named(capsys) -> None:
    status, _, err = run(capsys, "stats", *LINEAR[:3], "--input-shape=-1,3")
    assert status == 2
    assert "part 1 (-1) must be at least 1" in err


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # the JSON ends after 17 characters, so the missing part is at column 18
        ('{"in_features": 3', "--kwargs is not valid JSON: Expecting ',' delimiter at column 18"),
        ("[3, 4]", "--kwargs must be a JSON object"),
        ('{"in_features": 3, "bogus": 1}', "calling torch.nn:Linear failed: TypeError"),
    ],
)
def test_bad_kwargs_are_named(capsys, kwargs, expected) -> None:
    status, _, err = run(capsys, "draw", "torch.nn:Linear", "--kwargs", kwargs, "--input-shape", "2,3")
    assert status == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_kwargs_for_a_model_object_are_refused(capsys, models) -> None:
    status, _, err = run(
        capsys, "stats", f"{models}:instance", "--kwargs", '{"a": 1}', "--input-shape", "1,3"
    )
    assert status == 2
    assert "already a model" in err


def test_bad_dtype_and_device_are_named(capsys) -> None:
    status, _, err = run(capsys, "stats", *LINEAR, "--dtype", "float33")
    assert (status, "--dtype 'float33' is not a torch dtype" in err) == (2, True)
    status, _, err = run(capsys, "stats", *LINEAR, "--device", "tpu")
    assert (status, "device must be one of" in err) == (2, True)


def test_an_unwritable_output_is_named(capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "draw", *LINEAR, "-o", str(tmp_path / "no" / "such" / "dir.html"))
    assert status == 1
    assert "cannot write" in err


def test_argparse_rejects_a_zero_depth_and_an_unknown_sort(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stats", *LINEAR, "--depth", "0"])
    assert exit_info.value.code == 2
    assert "'0' is not a whole number of at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stats", *LINEAR, "--sort", "name"])
    assert "invalid choice: 'name'" in capsys.readouterr().err


# -- progress ----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_prints_after_the_delay_when_forced() -> None:
    stream = io.StringIO()
    with progress.Progress("tracing toy", stream=stream, enabled=True, delay=0.05, interval=0.05):
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "tracing toy… 0 s"
    assert lines[-1] == "tracing toy… done in 0 s"
    assert "\r" not in stream.getvalue()  # not a terminal: one plain line per tick


def test_progress_is_silent_for_fast_steps() -> None:
    stream = Terminal()
    with progress.Progress("tracing toy", stream=stream, delay=5):
        pass
    assert stream.getvalue() == ""


def test_progress_is_silent_off_a_terminal_unless_forced() -> None:
    stream = io.StringIO()
    with progress.Progress("tracing toy", stream=stream, delay=0.01, interval=0.01):
        time.sleep(0.1)
    assert stream.getvalue() == ""


def test_progress_redraws_one_line_on_a_terminal_and_reports_failure() -> None:
    stream = Terminal()

    def slow_failure() -> None:
        with progress.Progress("tracing toy", stream=stream, delay=0.02, interval=0.02):
            time.sleep(0.15)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        slow_failure()
    text = stream.getvalue()
    assert text.startswith("\rtracing toy… 0 s")
    assert text.endswith("\rtracing toy… failed in 0 s\x1b[K\n")
    assert text.count("\n") == 1


def test_cli_progress_flag(capsys, models, monkeypatch) -> None:
    monkeypatch.setattr(progress, "DELAY_S", 0.05)
    argv = ["stats", f"{models}:Slow", "--input-shape", "1,3"]
    assert run(capsys, *argv, "--progress", "always")[2].startswith("tracing Slow… 0 s\n")
    assert run(capsys, *argv, "--progress", "never")[2] == ""
    assert run(capsys, *argv)[2] == ""  # auto, and captured stderr is not a terminal


# -- a real process ----------------------------------------------------------------------------


@pytest.mark.slow
def test_python_dash_m_torchscope(tmp_path: Path) -> None:
    output = tmp_path / "linear.html"
    result = subprocess.run(
        [sys.executable, "-m", "torchscope", "draw", *LINEAR, "-o", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(output.resolve()) in result.stdout
    assert page_state(output)["orientation"] == "TB"
    bad = subprocess.run(
        [sys.executable, "-m", "torchscope", "stats", "torch.nn:Nope", "--input-shape", "1,3"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr == "torchscope stats: 'torch.nn' has no attribute 'Nope'\n"
