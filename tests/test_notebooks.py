"""Every notebook under notebooks/ runs headless from top to bottom without an error."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torchvision
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = _execute(path, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []


@pytest.mark.slow
def test_quickstart_draws_the_widget_and_prints_the_stats(tmp_path: Path) -> None:
    nb = _execute(Path(__file__).parents[1] / "notebooks" / "quickstart.ipynb", tmp_path)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any(WIDGET_MIME in o.get("data", {}) for o in outputs), "draw_model shows no widget"
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    total = printed.splitlines()[-1].split()
    published = torchvision.models.get_model_weights("alexnet").DEFAULT.meta["num_params"]
    assert total[:3] == ["total", f"{published / 1e6:.2f}", "M"]
    assert (tmp_path / "alexnet.html").stat().st_size > 10_000
