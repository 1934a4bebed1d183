"""GraphML, DOT, Markdown and tensorwatch-column exports, checked against hand-computed truths.

The small model is ``Sequential(Linear(3, 4), Sequential(ReLU(), Linear(4, 2)))`` on a 2×3 input:
Linear(3, 4) owns 3·4 + 4 = 16 parameters and does 2·3·4 = 24 MACs; its FLOPs are 2·24 plus one
per bias element (2·4) = 56. ReLU does one FLOP per element (2·4 = 8). Linear(4, 2) owns 10
parameters and does 2·4·2 = 16 MACs, 2·16 + 2·2 = 36 FLOPs.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from torch import nn

import torchscope
from torchscope import stats_training
from torchscope.stats import TABLE_KEYS, TENSORWATCH_KEYS

HOSTILE_NAME = "a\"b\\c<d>&amp;'слой"
TRAILING_BACKSLASH = "ends\\"


def small_model() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.Linear(4, 2)))


def named(*children: tuple[str, nn.Module]) -> nn.Sequential:
    model = nn.Sequential()
    for name, child in children:
        model.add_module(name, child)
    return model


class HostileRepr(nn.Linear):
    def extra_repr(self) -> str:
        return "</data><x>&amp; \\\n second line \x01"


# -- GraphML -----------------------------------------------------------------------------------


def _read_graphml(graph: torchscope.ModelGraph, tmp_path: Path) -> nx.DiGraph:
    path = graph.save_graphml(tmp_path / "model.graphml")
    assert path == tmp_path / "model.graphml"
    return nx.read_graphml(path)


def _dims(text: str) -> list[list[int]]:
    return [[int(d) for d in part.split("x")] for part in text.split("; ")] if text else []


def test_graphml_holds_the_hand_computed_graph(tmp_path: Path) -> None:
    read = _read_graphml(torchscope.trace(small_model(), [2, 3]), tmp_path)
    assert set(read.nodes) == {"input", "0", "1.0", "1.1", "output"}
    assert set(read.edges) == {("input", "0"), ("0", "1.0"), ("1.0", "1.1"), ("1.1", "output")}
    first = read.nodes["0"]
    assert (first["kind"], first["op"], first["parent"]) == ("module", "Linear", "")
    assert (first["input_shapes"], first["output_shapes"], first["output_dtypes"]) == (
        "2x3",
        "2x4",
        "float32",
    )
    assert (first["stat_params"], first["stat_macs"], first["stat_flops"]) == (16, 24, 56)
    assert json.loads(first["attrs"]) == {"in_features": 3, "out_features": 4, "bias": True}
    assert read.nodes["1.1"]["parent"] == "1"
    assert (read.nodes["1.1"]["stat_params"], read.nodes["1.1"]["stat_macs"]) == (10, 16)
    assert read.nodes["1.0"]["stat_flops"] == 8
    assert read.edges["0", "1.0"] == {"shape": "2x4", "dtype": "float32"}
    assert read.graph["name"] == "Sequential"
    assert (read.graph["total_params"], read.graph["total_macs"], read.graph["total_flops"]) == (26, 40, 100)
    assert read.graph["input_shapes"] == "2x3"


def test_graphml_round_trip_keeps_every_node_field(tmp_path: Path) -> None:
    graph = torchscope.trace(small_model(), [2, 3])
    original = graph.to_networkx()
    read = _read_graphml(graph, tmp_path)
    assert set(read.nodes) == set(original.nodes)
    assert set(read.edges) == set(original.edges)
    for node_id, data in original.nodes(data=True):
        flat = read.nodes[node_id]
        for key in ("kind", "op", "label", "module_path", "repr"):
            assert flat[key] == data[key], (node_id, key)
        assert flat["parent"] == (data["parent"] or "")
        assert json.loads(flat["attrs"]) == data["attrs"]
        assert _dims(flat["input_shapes"]) == [t["shape"] for t in data["inputs"]]
        assert _dims(flat["output_shapes"]) == [t["shape"] for t in data["outputs"]]
        numbers = {k: v for k, v in data["stats"].items() if not isinstance(v, list)}
        assert {k.removeprefix("stat_"): v for k, v in flat.items() if k.startswith("stat_")} == numbers
        assert all(isinstance(v, int) for k, v in flat.items() if k.startswith("stat_"))
    for source, target, data in original.edges(data=True):
        assert _dims(read.edges[source, target]["shape"]) == [data["shape"]]


def test_graphml_carries_hostile_names_and_reprs(tmp_path: Path) -> None:
    model = named((HOSTILE_NAME, HostileRepr(3, 3)), (TRAILING_BACKSLASH, nn.ReLU()))
    graph = torchscope.trace(model, [1, 3])
    read = _read_graphml(graph, tmp_path)
    assert {HOSTILE_NAME, TRAILING_BACKSLASH} <= set(read.nodes)
    assert read.nodes[HOSTILE_NAME]["module_path"] == HOSTILE_NAME
    written = graph.node(HOSTILE_NAME).repr
    assert "</data><x>&amp; \\\n" in written
    # XML 1.0 cannot hold U+0001: it becomes U+FFFD, everything else survives as written
    assert read.nodes[HOSTILE_NAME]["repr"] == written.replace("\x01", "\ufffd")
    assert (HOSTILE_NAME, TRAILING_BACKSLASH) in read.edges


# -- DOT ---------------------------------------------------------------------------------------

_NODE = re.compile(r"(n\d+) \[label=<(.*)>, shape=\w+, style=\"[\w,]+\", fillcolor=\"#\w+\"(, .*)?\];")
_EDGE = re.compile(r"(n\d+) -> (n\d+) \[label=\"([\dx]+|scalar)\"\];")
_CLUSTER = re.compile(r"subgraph (cluster_\d+) \{")


def _label_lines(label: str) -> list[str]:
    # the HTML-like label's text: lines split at <BR/>, bold tags dropped, entities decoded
    return [html.unescape(line.replace("<B>", "").replace("</B>", "")) for line in label.split("<BR/>")]


def parse_dot(text: str) -> dict[str, object]:
    """A minimal reader for the DOT we write: nodes with their cluster path, edges, orientation."""
    lines = text.splitlines()
    assert lines[0] == "digraph torchscope {"
    assert lines[-1] == "}"
    stack: list[str] = []
    cluster_names: dict[str, str] = {}
    nodes: dict[str, tuple[str, list[str], tuple[str, ...]]] = {}
    edges: list[tuple[str, str, str]] = []
    for line in (raw.strip() for raw in lines[1:-1]):
        if match := _CLUSTER.fullmatch(line):
            stack.append(match.group(1))
        elif line == "}":
            stack.pop()
        elif line.startswith("label=<") and stack:
            cluster_names[stack[-1]] = _label_lines(line.removeprefix("label=<").removesuffix(">;"))[0]
        elif match := _NODE.fullmatch(line):
            lines_of_label = _label_lines(match.group(2))
            nodes[match.group(1)] = (lines_of_label[0], lines_of_label[1:], tuple(stack))
        elif match := _EDGE.fullmatch(line):
            edges.append((match.group(1), match.group(2), match.group(3)))
        else:
            # the graph attributes and styles: nothing from the user may appear on such a line
            assert line.startswith(("graph [", "label=<", "node [", "edge [", "style=")), line
    assert not stack, "unbalanced clusters"
    by_name = {dot_name: label for dot_name, (label, _, _) in nodes.items()}
    return {
        "nodes": {
            label: (rest, tuple(cluster_names[c] for c in path)) for label, rest, path in nodes.values()
        },
        "edges": {(by_name[s], by_name[t], shape) for s, t, shape in edges},
        "rankdir": re.search(r"rankdir=(\w+)", text).group(1),  # type: ignore[union-attr]
    }


def test_dot_clusters_follow_the_module_hierarchy() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.Sequential(nn.Linear(4, 2))))
    parsed = parse_dot(torchscope.trace(model, [2, 3]).to_dot())
    nodes = parsed["nodes"]
    assert isinstance(nodes, dict)
    assert {label: path for label, (_, path) in nodes.items()} == {
        "input": (),
        "0": (),
        "1.0": ("1",),
        "1.1.0": ("1", "1.1"),
        "output": (),
    }
    assert nodes["0"][0] == ["Linear", "2x4"]  # type, then output shape
    assert nodes["1.1.0"][0] == ["Linear", "2x2"]
    assert nodes["output"][0] == ["Output", "2x2"]
    assert parsed["edges"] == {
        ("input", "0", "2x3"),
        ("0", "1.0", "2x4"),
        ("1.0", "1.1.0", "2x4"),
        ("1.1.0", "output", "2x2"),
    }
    assert parsed["rankdir"] == "TB"


def test_dot_orientation() -> None:
    graph = torchscope.trace(small_model(), [2, 3])
    assert parse_dot(graph.to_dot("LR"))["rankdir"] == "LR"
    with pytest.raises(ValueError, match="orientation must be one of"):
        graph.to_dot("RL")


def test_dot_escapes_hostile_names() -> None:
    inner = named(("слой\nдва", nn.ReLU()))
    model = named((HOSTILE_NAME, nn.Linear(3, 3)), (TRAILING_BACKSLASH, inner))
    text = torchscope.trace(model, [1, 3]).to_dot()
    assert "<d>" not in text  # user angle brackets are entities, never HTML
    parsed = parse_dot(text)  # every line still parses: no user newline or quote leaked through
    nodes = parsed["nodes"]
    assert isinstance(nodes, dict)
    assert nodes[HOSTILE_NAME][1] == ()
    # a newline in a name is a line break in the label, so the name spans the first two lines
    rest, path = nodes["ends\\.слой"]
    assert rest == ["два", "ReLU", "1x3"]
    assert path == (TRAILING_BACKSLASH,)  # the cluster named by a backslash-ending string
    assert (HOSTILE_NAME, "ends\\.слой", "1x3") in parsed["edges"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_hostile_names_verbatim() -> None:
    model = named((HOSTILE_NAME, nn.Linear(3, 3)), (TRAILING_BACKSLASH, nn.ReLU()))
    dot = torchscope.trace(model, [1, 3]).to_dot()
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    svg_root = ET.fromstring(svg)  # noqa: S314  # Graphviz's output for our own input
    texts = {t.text for t in svg_root.iter("{http://www.w3.org/2000/svg}text")}
    assert {HOSTILE_NAME, TRAILING_BACKSLASH, "1x3", "Linear"} <= texts


# -- Markdown ----------------------------------------------------------------------------------


def gfm_cells(line: str) -> list[str]:
    """Split a GFM table row the way GitHub does, then undo CommonMark backslash escapes.

    A backslash before ASCII punctuation escapes it (so ``\\\\|`` is an escaped backslash and a
    separator); an unescaped ``|`` separates cells.
    """
    assert line.startswith("| ")
    assert line.endswith(" |")
    cells, current, i = [], "", 0
    body = line[1:-1]
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and body[i + 1] in r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~""":
            current += body[i + 1]
            i += 2
            continue
        if char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
        i += 1
    cells.append(current.strip())
    return cells


def test_markdown_rows_are_the_hand_computed_numbers() -> None:
    lines = torchscope.model_stats(small_model(), [2, 3]).to_markdown().splitlines()
    assert gfm_cells(lines[0]) == ["Name", "Type", "Output shapes", "Params", "MACs", "FLOPs", "Activations"]
    assert gfm_cells(lines[1])[0] == ":---"
    assert gfm_cells(lines[1])[3] == "---:"  # numbers align right
    assert [gfm_cells(line) for line in lines[2:]] == [
        ["0", "Linear", "2x4", "16", "24", "56", "32 B"],
        ["1.0", "ReLU", "2x4", "0", "0", "8", "32 B"],
        ["1.1", "Linear", "2x2", "10", "16", "36", "16 B"],
        ["**total**", "", "", "26", "40", "100", "80 B"],
    ]


def test_markdown_humanises_large_numbers() -> None:
    table = torchscope.model_stats(nn.Sequential(nn.Linear(1000, 1000)), [1, 1000])
    row = gfm_cells(table.to_markdown().splitlines()[2])
    # 1000·1000 + 1000 parameters, 10⁶ MACs, 2·10⁶ + 1000 FLOPs, 1000 float32 outputs = 4000 bytes
    assert row[3:] == ["1.00 M", "1.00 M", "2.00 M", "3.91 KiB"]


@pytest.mark.parametrize("name", ["a|b", "a\\|b", "x*y*_z_", "<b>bold</b>", "[link](x) `code`", "ends\\"])
def test_markdown_escapes_user_strings(name: str) -> None:
    model = named((name, nn.Linear(3, 3)))
    lines = torchscope.model_stats(model, [1, 3]).to_markdown().splitlines()
    cells = gfm_cells(lines[2])
    assert len(cells) == 7  # nothing in the name split the row
    assert cells[0] == name
    assert "<b>" not in lines[2]


def test_markdown_lists_uncounted_ops() -> None:
    table = torchscope.model_stats(small_model(), [2, 3])
    table.totals["uncounted"] = ["aten.foo_bar ×2"]
    assert table.to_markdown().rstrip().endswith(r"Uncounted ops: aten.foo\_bar ×2")


# -- tensorwatch columns and sorting -------------------------------------------------------------


def test_tensorwatch_columns_of_a_linear_layer() -> None:
    frame = torchscope.model_stats(nn.Sequential(nn.Linear(3, 4)), [2, 3]).to_pandas()
    assert list(frame.columns) == [
        *[
            k
            for k in TABLE_KEYS
            if k not in ("latency_ms", "estimated", *stats_training.KEYS) and not k.startswith("value_")
        ],
        *[k for k in TENSORWATCH_KEYS if k != "params"],
    ]
    row = frame.iloc[0]
    assert row["module name"] == "0"
    assert row["input shape"] == (2, 3)
    assert row["output shape"] == (2, 4)
    assert row["params"] == 16  # 3·4 weights + 4 biases
    assert row["memory(MB)"] == pytest.approx(2 * 4 * 4 / 2**20)  # 2×4 float32 outputs
    assert row["MAdd"] == 2 * 24 + 8  # a multiply and an add per MAC, plus the bias adds
    assert row["Flops"] == 24 + 8  # one per MAC plus the bias adds
    assert row["MemRead(B)"] == 2 * 3 * 4 + 16 * 4  # the input and the parameters, float32
    assert row["MemWrite(B)"] == 2 * 4 * 4


def test_tensorwatch_flops_of_a_convolution_match_torchstats_formula() -> None:
    # torchstat: Flops = k_h·k_w·in_c·out_c·out_h·out_w·batch + (bias) out_c·out_h·out_w·batch
    conv = nn.Conv2d(3, 8, kernel_size=3)
    row = torchscope.model_stats(nn.Sequential(conv), [2, 3, 8, 8]).to_pandas().iloc[0]
    outputs = 2 * 8 * 6 * 6
    assert row["Flops"] == 3 * 3 * 3 * outputs + outputs
    assert row["MAdd"] == 2 * 3 * 3 * 3 * outputs + outputs
    assert row["output shape"] == (2, 8, 6, 6)


def test_sorted_by_orders_rows_largest_first() -> None:
    table = torchscope.model_stats(small_model(), [2, 3])
    assert [r["name"] for r in table.sorted_by("flops").rows] == ["0", "1.1", "1.0"]  # 56, 36, 8
    assert [r["name"] for r in table.sorted_by("params", descending=False).rows] == ["1.0", "1.1", "0"]
    assert [r["name"] for r in table.rows] == ["0", "1.0", "1.1"]  # the original is unchanged
    with pytest.raises(ValueError, match="cannot sort by 'name'"):
        table.sorted_by("name")
