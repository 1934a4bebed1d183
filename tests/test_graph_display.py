"""A ModelGraph as the last line of a cell: one line of text, or the widget where a front end draws one."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import pytest
import torchvision
from ipywidgets.widgets.widget import _instances as live_widgets
from nbclient import NotebookClient

import torchscope
from torchscope.widget import ModelView

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def resnet18() -> torchscope.ModelGraph:
    return torchscope.trace(torchvision.models.resnet18(), [1, 3, 224, 224])


def test_repr_is_one_line_with_the_published_totals(resnet18: torchscope.ModelGraph) -> None:
    meta = torchvision.models.get_model_weights("resnet18").DEFAULT.meta
    text = repr(resnet18)
    assert "\n" not in text
    assert len(text) < 120
    payload = resnet18.to_json()
    assert text == (
        f"<ModelGraph ResNet: {len(payload['nodes'])} nodes, {len(payload['groups'])} groups, "
        f"{meta['num_params'] / 1e6:.2f} M params, {meta['_ops']:.2f} G MACs, on meta>"
    )


def test_repr_of_a_partial_graph_says_it_failed() -> None:
    model = torchvision.models.alexnet()
    with pytest.raises(torchscope.TraceError) as caught:
        torchscope.trace(model, [1, 3, 224])
    text = repr(caught.value.graph)
    assert "\n" not in text
    assert text.startswith("<ModelGraph AlexNet: 2 nodes, ")
    assert ", failed: forward failed in Conv2d 'features.0' at conv2d with input shapes [1, 3, 224]," in text
    assert len(text) < 200


def test_the_mimebundle_is_the_widget_drawing_this_graph(resnet18: torchscope.ModelGraph) -> None:
    data, metadata = resnet18._repr_mimebundle_()
    assert data["text/plain"] == repr(resnet18)
    model_id = data[WIDGET_MIME]["model_id"]
    shown = live_widgets[model_id]
    assert isinstance(shown, ModelView)
    assert shown.document == resnet18.to_json()
    assert metadata == {}


def test_in_colab_the_bundle_carries_the_custom_widget_manager(
    resnet18: torchscope.ModelGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # anywidget's documented Colab support: it enables Colab's custom widget manager and names its
    # URL in the bundle's metadata; a ModelGraph must hand on the widget's bundle, not build its own
    enabled: list[bool] = []
    colab = types.ModuleType("google.colab.output")
    colab.enable_custom_widget_manager = lambda: enabled.append(True)  # type: ignore[attr-defined]
    manager = types.SimpleNamespace(_installed_url="https://colab.example/manager.js")
    setattr(colab, "_widgets", manager)  # noqa: B010  # the attribute anywidget reads
    monkeypatch.setitem(sys.modules, "google.colab.output", colab)
    from anywidget import _util

    _util.enable_custom_widget_manager_once.cache_clear()
    _, metadata = resnet18._repr_mimebundle_()
    assert metadata == {
        WIDGET_MIME: {"colab": {"custom_widget_manager": {"url": "https://colab.example/manager.js"}}}
    }
    assert enabled == [True]


def test_marimo_displays_it_as_the_widget(resnet18: torchscope.ModelGraph) -> None:
    shown = resnet18._display_()
    assert isinstance(shown, ModelView)
    assert shown.document == resnet18.to_json()


@pytest.mark.slow
def test_a_notebook_cell_ending_in_a_trace_shows_the_widget(tmp_path: Path) -> None:
    code = "import torchvision, torchscope as ts\nts.trace(torchvision.models.alexnet(), [1, 3, 224, 224])"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    (output,) = nb.cells[0].outputs
    assert output["output_type"] == "execute_result"
    assert WIDGET_MIME in output["data"]
    assert output["data"]["text/plain"].startswith("<ModelGraph AlexNet: ")
