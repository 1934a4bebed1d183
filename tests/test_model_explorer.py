"""graph.to_model_explorer(path): Model Explorer's graph JSON and per-node data, read by its own code.

The files are rebuilt into ``model_explorer``'s own dataclasses (``graph_builder`` and
``node_data_builder``), field by field, so an unknown or misspelt field fails; then serialised by
its own functions and compared with what we wrote. The web app's JSON adapter (browser test:
tests/browser/test_model_explorer_page.py) loads the same files in Model Explorer itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torchvision
from model_explorer import graph_builder as gb
from model_explorer import node_data_builder as ndb
from model_explorer.utils import convert_adapter_response

import torchscope


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[torchscope.ModelGraph, list[Path]]:
    graph = torchscope.trace(torchvision.models.resnet18(), [1, 3, 224, 224])
    return graph, graph.to_model_explorer(tmp_path_factory.mktemp("me") / "resnet18.json")


def _graph(data: dict) -> gb.Graph:
    return gb.Graph(
        id=data["id"],
        nodes=[
            gb.GraphNode(
                **{
                    **node,
                    "attrs": [gb.KeyValue(**kv) for kv in node["attrs"]],
                    "incomingEdges": [gb.IncomingEdge(**e) for e in node["incomingEdges"]],
                    "outputsMetadata": [
                        gb.MetadataItem(id=m["id"], attrs=[gb.KeyValue(**kv) for kv in m["attrs"]])
                        for m in node["outputsMetadata"]
                    ],
                }
            )
            for node in data["nodes"]
        ],
        **{k: v for k, v in data.items() if k not in ("id", "nodes")},
    )


def test_the_graph_file_is_a_model_explorer_graph_collection(written) -> None:
    graph, paths = written
    collection = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(collection) == {"label", "graphs"}  # what the JSON adapter takes as one collection
    rebuilt = gb.GraphCollection(label=collection["label"], graphs=[_graph(g) for g in collection["graphs"]])
    assert convert_adapter_response({"graphs": rebuilt.graphs}) == {"graphs": collection["graphs"]}

    payload = graph.to_json()
    (me,) = rebuilt.graphs
    nodes = {n.id: n for n in me.nodes}
    assert set(nodes) == {n["id"] for n in payload["nodes"]}
    conv = nodes["layer1.0.conv1"]
    assert (conv.label, conv.namespace) == ("Conv2d", "layer1/layer1.0")
    assert {kv.key: kv.value for kv in conv.outputsMetadata[0].attrs} == {
        "shape": "1x64x56x56",
        "dtype": "float32",
    }
    # Conv2d(64, 64, 3×3) at 56×56: 64·56·56 outputs × 64·9 MACs, and 64·64·9 weights
    stats = {kv.key: kv.value for kv in conv.attrs}
    assert stats["macs"] == str(64 * 56 * 56 * 64 * 9)
    assert stats["params"] == str(64 * 64 * 9)
    sources = {(e.sourceNodeId, e.targetNodeInputId) for e in nodes["layer1.0.add_"].incomingEdges}
    assert sources == {("layer1.0.bn2", "0"), ("maxpool", "1")}
    assert me.groupNodeAttributes is not None
    published = torchvision.models.get_model_weights("resnet18").DEFAULT.meta["num_params"]
    assert me.groupNodeAttributes[""]["params"] == str(published)
    assert me.groupNodeAttributes["layer1/layer1.0"]["params"] == str(2 * (64 * 64 * 9 + 2 * 64))


def test_one_node_data_file_per_statistic(written) -> None:
    graph, paths = written
    names = sorted(p.name for p in paths[1:])
    assert names == sorted(
        f"resnet18.{c['key']}.json" for c in graph.to_json()["columns"] if c["kind"] in ("count", "bytes")
    )
    macs = next(p for p in paths if p.name == "resnet18.macs.json")
    data = json.loads(macs.read_text(encoding="utf-8"))
    (graph_id,) = data
    mine = data[graph_id]
    rebuilt = ndb.ModelNodeData(
        graphsData={
            graph_id: ndb.GraphNodeData(
                name=mine["name"],
                results={k: ndb.NodeDataResult(**v) for k, v in mine["results"].items()},
                gradient=[ndb.GradientItem(**g) for g in mine["gradient"]],
            )
        }
    )
    assert json.loads(rebuilt.to_json_string()) == {graph_id: {**mine, **_defaults(rebuilt, graph_id, mine)}}
    assert mine["results"]["fc"]["value"] == 512 * 1000
    assert graph_id == graph.to_json()["model"]["name"]


def _defaults(rebuilt: ndb.ModelNodeData, graph_id: str, mine: dict) -> dict:
    """The fields Model Explorer writes with their defaults where we leave them out."""
    return {k: v for k, v in asdict(rebuilt.graphsData[graph_id]).items() if k not in mine and v is not None}
