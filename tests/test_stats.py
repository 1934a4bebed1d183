"""model_stats: rows per layer with stable keys, depth folding, totals, and its four views."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from torchscope import schema, stats_training
from torchscope.stats import TABLE_KEYS


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Sequential(nn.Linear(20, 5)))


def test_rows_and_totals_are_exact() -> None:
    table = torchscope.model_stats(_model(), [8, 10])
    assert [(r["name"], r["type"], r["params"], r["macs"]) for r in table.rows] == [
        ("0", "Linear", 10 * 20 + 20, 8 * 10 * 20),
        ("1", "ReLU", 0, 0),
        ("2.0", "Linear", 20 * 5 + 5, 8 * 20 * 5),
    ]
    assert table.rows[2]["output_shapes"] == [[8, 5]]
    assert table.rows[1]["flops"] == 8 * 20  # one per element
    assert table.totals["params"] == 325
    assert table.totals["macs"] == 8 * 10 * 20 + 8 * 20 * 5
    assert table.columns == [
        k
        for k in TABLE_KEYS
        if k not in ("latency_ms", "estimated", *stats_training.KEYS) and not k.startswith("value_")
    ]  # not measured, exact, no training step, no values
    assert set(table.columns) <= set(table.rows[0])


def test_depth_folds_groups_into_one_row() -> None:
    table = torchscope.model_stats(torchvision.models.resnet18(), [1, 3, 224, 224], depth=1)
    names = [r["name"] for r in table.rows]
    assert names == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]
    layer1 = next(r for r in table.rows if r["name"] == "layer1")
    # two BasicBlocks of two 3×3 convolutions 64→64 at 56×56, no bias: 4 · 56·56·64·64·9
    assert layer1["macs"] == 4 * 56 * 56 * 64 * 64 * 9
    with pytest.raises(ValueError, match="depth must be at least 1"):
        torchscope.model_stats(_model(), [8, 10], depth=0)


def _alexnet_by_pytorch() -> tuple[list[str], dict[str, dict[str, object]], int]:
    """AlexNet's layers as PyTorch itself counts them, in one real forward pass on CPU.

    Per leaf module, in call order: its own parameters' numel, the shape it returns (forward
    hooks), and FlopCounterMode's FLOPs halved into MACs. Also the total of FlopCounterMode.
    """
    model = torchvision.models.alexnet().eval()
    order: list[str] = []
    truth: dict[str, dict[str, object]] = {}
    hooks = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None or name == "":
            continue

        def record(module: nn.Module, args: object, out: torch.Tensor, name: str = name) -> None:
            del args
            order.append(name)
            own = sum(p.numel() for p in module.parameters(recurse=False))
            truth[name] = {"params": own, "output_shapes": [list(out.shape)]}

        hooks.append(module.register_forward_hook(record))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, 3, 224, 224))
    for hook in hooks:
        hook.remove()
    flops = counter.get_flop_counts()
    for name, row in truth.items():
        row["macs"] = sum(flops.get(f"AlexNet.{name}", {}).values()) // 2
    return order, truth, counter.get_total_flops() // 2


def test_the_table_and_the_widget_both_show_pytorchs_own_counts() -> None:
    order, truth, total_macs = _alexnet_by_pytorch()
    model = torchvision.models.alexnet()
    table = torchscope.model_stats(model, [1, 3, 224, 224])
    view = torchscope.draw_model(model, [1, 3, 224, 224])
    drawn = {n["id"]: n["stats"] for n in view.document["nodes"]}
    # the rows follow the forward pass: AlexNet.forward calls torch.flatten after avgpool
    names = [r["name"] for r in table.rows]
    assert names == [*order[: order.index("avgpool") + 1], "flatten", *order[order.index("avgpool") + 1 :]]
    for row in table.rows:
        want = truth.get(row["name"], {"params": 0, "macs": 0, "output_shapes": [[1, 256 * 6 * 6]]})
        assert {k: row[k] for k in want} == want, row["name"]
        assert {k: drawn[row["name"]][k] for k in want} == want, row["name"]
    # and the totals are torchvision's published figures for AlexNet
    meta = torchvision.models.get_model_weights("alexnet").DEFAULT.meta
    assert table.totals["params"] == view.document["totals"]["params"] == meta["num_params"]
    assert table.totals["macs"] == view.document["totals"]["macs"] == total_macs
    assert round(total_macs / 1e9, 3) == meta["_ops"]


def test_csv_has_stable_keys_and_a_totals_row(tmp_path: Path) -> None:
    table = torchscope.model_stats(_model(), [8, 10])
    table.to_csv(tmp_path / "s.csv")
    with (tmp_path / "s.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == table.columns
    assert rows[-1]["name"] == "total"
    assert rows[-1]["params"] == "325"
    assert rows[0]["output_shapes"] == "[8, 20]"


def test_text_and_html_views() -> None:
    big = nn.Sequential(nn.Linear(1000, 2000))
    table = torchscope.model_stats(big, [1, 1000])
    lines = str(table).splitlines()
    assert lines[0].split() == [
        "name",
        "type",
        "output_shapes",
        "params",
        "macs",
        "flops",
        "activation_bytes",
    ]
    # 1000·2000 + 2000 params; 2,000,000 MACs; 2·MACs + 2000 bias adds; 2000 float32 outputs
    assert lines[-1].split() == ["total", "2.00", "M", "2.00", "M", "4.00", "M", "7.81", "KiB"]
    html = table._repr_html_()
    assert html.count("<tr>") == 3  # header, one layer, totals


def test_to_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    table = torchscope.model_stats(_model(), [8, 10])
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        frame = table.to_pandas()
        assert list(frame.columns)[: len(table.columns)] == table.columns
        assert frame["params"].tolist() == [220, 0, 105]
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas: pip install pandas"):
        table.to_pandas()


class Uneven(nn.Module):
    """A heavy matmul and a tiny activation: their measured times must say which is which."""

    def __init__(self) -> None:
        super().__init__()
        self.heavy = nn.Linear(1024, 1024)
        self.light = nn.ReLU()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heavy(x), self.light(x[:1, :4])


def test_measured_latency_is_per_node_and_leaves_the_model_alone() -> None:
    model = Uneven()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    graph = torchscope.trace(model, [512, 1024], measure=True)
    payload = schema.validate(graph.to_json())
    assert "latency_ms" in [c["key"] for c in payload["columns"]]
    times = {
        n["id"]: n["stats"]["latency_ms"] for n in payload["nodes"] if n["kind"] != "input" and n["stats"]
    }
    assert set(times) == {"heavy", "getitem", "light"}
    assert all(isinstance(t, float) and t > 0 for t in times.values())
    # 512·1024·1024 MACs against 4 comparisons: orders of magnitude apart on any machine
    assert times["heavy"] > 10 * times["light"]
    assert payload["totals"]["latency_ms"] >= times["heavy"]
    assert graph.device == "meta"  # the structure still comes from the meta pass
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_no_latency_unless_measured() -> None:
    payload = torchscope.trace(_model(), [8, 10]).to_json()
    assert "latency_ms" not in [c["key"] for c in payload["columns"]]
    assert all("latency_ms" not in n["stats"] for n in payload["nodes"])
    with torch.device("meta"):
        on_meta = _model()
    with pytest.raises(ValueError, match="measure=True times real computation"):
        torchscope.trace(on_meta, [8, 10], measure=True)
