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


SLOW_STEP = """\
import time
from torchscope.progress import NotebookProgress, in_notebook
fast = NotebookProgress("tracing Fast", delay=0.5, interval=0.2)
with fast:
    pass
slow = NotebookProgress("tracing Slow", delay=0.3, interval=0.2)
with slow:
    time.sleep(1.0)
print(in_notebook(), fast.shown, slow.shown[0], len(slow.shown) >= 3)"""


@pytest.mark.slow
def test_a_slow_step_shows_progress_in_the_cell_and_a_fast_one_does_not(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SLOW_STEP)])
    path = tmp_path / "progress.ipynb"
    nbformat.write(nb, path)
    outputs = _execute(path, tmp_path).cells[0].outputs
    # one widget (the progress line) shown in this cell: the slow step's, not the fast one's
    assert sum(WIDGET_MIME in o.get("data", {}) for o in outputs) == 1
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.strip() == "True [] tracing Slow… 0 s True"


@pytest.mark.slow
def test_quickstart_runs_the_tensorwatch_tutorial_calls_unchanged(tmp_path: Path) -> None:
    nb = _execute(Path(__file__).parents[1] / "notebooks" / "quickstart.ipynb", tmp_path)

    def cell_ending(call: str) -> nbformat.NotebookNode:
        return next(c for c in nb.cells if c.cell_type == "code" and c.source.strip().endswith(call))

    # the tutorial's own lines, with only `import tensorwatch as tw` replaced
    drawn = cell_ending("tw.draw_model(alexnet_model, [1, 3, 224, 224])")
    assert "import torchscope as tw" in drawn.source
    assert any(WIDGET_MIME in o.get("data", {}) for o in drawn.outputs)
    table = cell_ending("tw.model_stats(alexnet_model, [1, 3, 224, 224])")
    html = "".join(o.get("data", {}).get("text/html", "") for o in table.outputs)
    assert "<table" in html
    assert "features.0" in html


def test_every_notebook_opens_with_the_question_it_answers() -> None:
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        heading = first.source.splitlines()[0]
        assert first.cell_type == "markdown", path.name
        assert heading.startswith("# "), path.name
        assert "?" in heading, f"{path.name} opens with {heading!r}, not a question"


def _outputs(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_the_moe_notebook_counts_the_experts_by_hand(tmp_path: Path) -> None:
    nb = _execute(NOTEBOOKS[0].parent / "transformers_causal_lm.ipynb", tmp_path)
    printed = _outputs(nb)
    # 4 layers × (256 tokens × 2 experts × 3 × 256 × 512 + router 256 × 256 × 8), computed here
    experts = 4 * (256 * 2 * 3 * 256 * 512 + 256 * 256 * 8)
    assert f"MixtralSparseMoeBlock     {experts / 1e9:.3f} GMACs" in printed
    assert sum(WIDGET_MIME in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])) == 1


@pytest.mark.slow
def test_the_timm_notebook_matches_the_published_resnet50(tmp_path: Path) -> None:
    nb = _execute(NOTEBOOKS[0].parent / "timm_backbones.ipynb", tmp_path)
    meta = torchvision.models.get_model_weights("resnet50").DEFAULT.meta  # the same architecture
    line = next(s for s in _outputs(nb).splitlines() if s.startswith("resnet50") and " 224 " in s)
    assert f"{meta['_ops']:.2f}" in line
    assert f"{meta['num_params'] / 1e6:.1f}M" in line
