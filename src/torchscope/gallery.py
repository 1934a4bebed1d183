"""The gallery: the notebooks under ``notebooks/``, run headless, their diagrams written as pages.

Each notebook opens with the question it answers (its first line, a Markdown heading). Running
one with nbclient stores the state of every widget it displayed in the notebook's metadata, as
Jupyter does when a notebook is saved with its widgets; each torchscope diagram in that state
becomes one standalone page, and ``index.html`` lists them under their notebook's question.
"""

from __future__ import annotations

import html
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchscope.standalone import write_html

_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_VIEW_ID = "torchscope.widget.ModelView"
_VIEW_TRAITS = ("graph", "orientation", "selected", "expanded", "metric", "height")


@dataclass(frozen=True)
class Page:
    """One diagram of one gallery notebook, written as a standalone page."""

    notebook: str
    question: str
    model: str
    path: Path


def notebooks() -> list[Path]:
    """Return the gallery notebooks: shipped in the package, or in the source tree's ``notebooks/``."""
    here = Path(__file__).resolve().parent
    for folder in (here / "notebooks", here.parents[1] / "notebooks"):
        found = sorted(folder.glob("*.ipynb"))
        if found:
            return found
    return []


def question(notebook: Path) -> str:
    """Return the question a notebook answers: the heading its first Markdown cell opens with."""
    nbformat = _require("nbformat")
    cells = nbformat.read(notebook, as_version=4).cells
    first = cells[0] if cells else None
    if first is None or first.cell_type != "markdown":
        return notebook.stem
    return re.sub(r"^#+\s*", "", first.source.strip().splitlines()[0]).strip()


def write_gallery(output: Path, sources: list[Path] | None = None, timeout: int = 600) -> list[Page]:
    """Run each notebook (in a scratch folder) and write its diagrams, and ``index.html``, to ``output``."""
    nbformat, nbclient = _require("nbformat"), _require("nbclient")
    output.mkdir(parents=True, exist_ok=True)
    pages: list[Page] = []
    for notebook in sources if sources is not None else notebooks():
        nb = nbformat.read(notebook, as_version=4)
        with tempfile.TemporaryDirectory(prefix="torchscope-gallery-") as scratch:
            client = nbclient.NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": scratch}}
            )
            client.execute()
        asked = question(notebook)
        for i, state in enumerate(_diagrams(nb.metadata), 1):
            model = str(state["graph"].get("model", {}).get("name", "model"))
            path = output / f"{notebook.stem}-{i}-{_slug(model)}.html"
            write_html(state, path)
            pages.append(Page(notebook.stem, asked, model, path))
    (output / "index.html").write_text(_index(pages), encoding="utf-8")
    return pages


def _diagrams(metadata: Any) -> list[dict[str, Any]]:  # noqa: ANN401  # nbformat's NotebookNode
    """Return the view state of every torchscope widget the run displayed, in display order."""
    models = metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    return [
        {k: model["state"][k] for k in _VIEW_TRAITS if k in model["state"]}
        for model in models.values()
        if model.get("state", {}).get("_anywidget_id") == _VIEW_ID and model["state"].get("graph")
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "model"


def _index(pages: list[Page]) -> str:
    sections: dict[str, list[Page]] = {}
    for page in pages:
        sections.setdefault(page.notebook, []).append(page)
    body = "".join(
        f"<h2>{html.escape(group[0].question)}</h2><p>from <code>{html.escape(name)}.ipynb</code></p><ul>"
        + "".join(f'<li><a href="{html.escape(p.path.name)}">{html.escape(p.model)}</a></li>' for p in group)
        + "</ul>"
        for name, group in sections.items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>torchscope gallery</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto}</style></head>"
        f"<body><h1>torchscope gallery</h1>{body}</body></html>\n"
    )


def _require(name: str) -> Any:  # noqa: ANN401  # an optional, untyped package
    try:
        return __import__(name)
    except ImportError:
        raise RuntimeError(
            f"the gallery runs notebooks and needs {name}: pip install 'torchscope[examples]'"
        ) from None
