"""The standalone page: one file carrying the bundle and the state, safe for hostile strings."""

from __future__ import annotations

import json
import re
from pathlib import Path

from torch import nn

import torchscope
from torchscope import wire

HOSTILE = "</script><script>window.pwned=1</script><!-- <img src=x onerror=alert(1)>"


class Hostile(nn.Linear):
    def extra_repr(self) -> str:
        return HOSTILE


def test_page_is_self_contained_and_carries_the_state(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    view = torchscope.draw_model(model, [2, 4], orientation="LR")
    view.selected = "0"
    path = view.save_html(tmp_path / "page.html")
    page = path.read_text(encoding="utf-8")
    assert "mountStandalone" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "page must not load anything"
    state_json = re.search(
        r'<script type="application/json" id="torchscope-state">(.*?)</script>', page, re.DOTALL
    )
    assert state_json is not None
    state = json.loads(state_json.group(1))
    assert (state["orientation"], state["selected"]) == ("LR", "0")
    # the page embeds the compact wire, which decodes to the document the view holds
    assert state["graph"]["schema"] == wire.WIRE_VERSION
    assert wire.decode(state["graph"]) == json.loads(json.dumps(view.document))


def test_hostile_strings_cannot_close_the_script(tmp_path: Path) -> None:
    model = nn.Sequential(Hostile(4, 4))
    path = torchscope.save_html(model, [1, 4], tmp_path / "hostile.html")
    page = path.read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "window.pwned" in page  # still there, as escaped data
    # exactly the three script elements of the template
    assert page.count("</script>") == 3
    state = json.loads(re.findall(r"<script[^>]*>(.*?)</script>", page, re.DOTALL)[0])
    assert HOSTILE in wire.decode(state["graph"])["nodes"][1]["repr"]
