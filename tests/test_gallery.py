"""`torchscope gallery -o DIR`: the gallery notebooks run headless, each diagram a standalone page."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import torchvision

from torchscope import gallery, wire
from torchscope.cli import main

ROOT = Path(__file__).parents[1]


def test_the_gallery_is_the_notebooks_folder() -> None:
    names = {p.name for p in gallery.notebooks()}
    assert names == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert {"transformers_causal_lm.ipynb", "diffusers_unet_dit.ipynb", "timm_backbones.ipynb"} <= names


@pytest.mark.slow
def test_gallery_writes_a_page_per_diagram_and_an_index(tmp_path: Path, capsys, monkeypatch) -> None:
    # the quick start alone: the command is the same for every notebook (each runs in tests/test_notebooks.py)
    quickstart = ROOT / "notebooks" / "quickstart.ipynb"
    monkeypatch.setattr(gallery, "notebooks", lambda: [quickstart])
    assert main(["gallery", "-o", str(tmp_path), "--progress", "never"]) == 0
    pages = sorted(p.name for p in tmp_path.glob("*.html"))
    # the quick start draws AlexNet twice (its own view and the tensorwatch tutorial's call)
    assert pages == ["index.html", "quickstart-1-AlexNet.html", "quickstart-2-AlexNet.html"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert html.escape(gallery.question(quickstart)) in index
    assert 'href="quickstart-1-AlexNet.html"' in index
    page = (tmp_path / "quickstart-1-AlexNet.html").read_text(encoding="utf-8")
    state = json.loads(re.search(r'id="torchscope-state">(.*?)</script>', page, re.DOTALL).group(1))
    published = torchvision.models.get_model_weights("alexnet").DEFAULT.meta["num_params"]
    assert wire.decode(state["graph"])["totals"]["params"] == published
    assert state["orientation"] == "LR"  # the notebook turned its first view left-to-right
    assert "wrote " in capsys.readouterr().out
