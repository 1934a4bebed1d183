"""Hostile strings in module names, class names, reprs, attributes, input and output keys: the
payload carries them exactly, the HTML table escapes them, and the standalone page keeps them
inside its JSON script. (The browser side of the same check is a browser test's job.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import torchscope
from hostile import HOSTILE, hostile_model
from torchscope import schema, wire
from unchanged import Fingerprint

TEXTS = list(HOSTILE.values())
ROOT_NAME = HOSTILE["script"]


class Elements(HTMLParser):
    """Every element start tag with its attributes, and the text of each element kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "img", "input", "link"}:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.setdefault(self._open[-1] if self._open else "", []).append(data)

    @classmethod
    def of(cls, page: str) -> Elements:
        parser = cls()
        parser.feed(page)
        parser.close()
        return parser


@pytest.fixture(scope="module")
def traced() -> schema.Payload:
    model, inputs = hostile_model()
    before = Fingerprint.of(model)
    graph = torchscope.trace(model, kwargs=inputs)
    before.assert_same(model)
    return schema.validate(graph.to_json())


def test_the_payload_carries_every_string_exactly(traced: schema.Payload) -> None:
    payload = traced
    modules = {n["module_path"]: n for n in payload["nodes"] if n["kind"] == "module"}
    assert payload["model"]["name"] == ROOT_NAME
    assert sorted(modules) == sorted(TEXTS)
    for text, node in modules.items():
        assert node["id"] == node["label"] == text, "a module path owns its id, whatever it says"
        assert node["op"] == text
        assert node["repr"] == f"{text}({text})"
        # attribute values are cut to 200 characters: the long string's head is there
        assert node["attrs"]["note"] == text[:200]
        assert node["stats"]["params"] == 12, "each layer shows its own 3×3 weights and 3 biases"
    inputs = [n["id"] for n in payload["nodes"] if n["kind"] == "input"]
    # an input named like a module yields the plain id to it
    assert inputs == [f"input:{text}" for text in TEXTS]
    outputs = [n["id"] for n in payload["nodes"] if n["kind"] == "output"]
    assert outputs == [f"output.{text}" for text in TEXTS]
    assert payload["totals"]["params"] == 12 * len(TEXTS)


def test_the_stats_table_html_escapes_every_string() -> None:
    model, inputs = hostile_model()
    table = torchscope.model_stats(model, kwargs=inputs)
    page = Elements.of(table._repr_html_())
    assert {tag for tag, _ in page.tags} == {"table", "thead", "tbody", "tr", "th", "td"}
    cells = page.text["td"]
    for text in TEXTS:
        # the name and the type column both show it, as text
        assert cells.count(text) == 2, text[:40]


def _scripts(page: Elements) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in page.tags if tag == "script"]


def test_the_standalone_page_keeps_every_string_inside_its_json(tmp_path: Path) -> None:
    model, inputs = hostile_model()
    before = Fingerprint.of(model)
    path = torchscope.save_html(model, None, tmp_path / "hostile.html", kwargs=inputs)
    before.assert_same(model)
    html = path.read_text(encoding="utf-8")
    page = Elements.of(html)

    # exactly the template's three scripts, and no element a string could have opened
    assert _scripts(page) == [
        {"type": "application/json", "id": "torchscope-state"},
        {"type": "text/plain", "id": "torchscope-bundle"},
        {"type": "module"},
    ]
    assert {tag for tag, _ in page.tags} == {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "div",
        "script",
    }
    assert page.text["title"] == [f"{ROOT_NAME} — torchscope"]

    raw = re.search(r'<script type="application/json" id="torchscope-state">(.*?)</script>', html, re.DOTALL)
    assert raw is not None
    state_text = raw.group(1)
    # nothing in the payload can end the script or open a comment: no '<' at all survives
    assert "<" not in state_text
    assert not re.search(r"</script|<!--", state_text, re.IGNORECASE)
    # what the page's parser hands to JSON.parse is the same text
    assert page.text["script"][0] == state_text
    state = json.loads(state_text)
    payload = wire.decode(state["graph"])
    assert payload["model"]["name"] == ROOT_NAME
    shown = {n["module_path"]: (n["op"], n["repr"]) for n in payload["nodes"] if n["kind"] == "module"}
    assert shown == {text: (text, f"{text}({text})") for text in TEXTS}


def test_a_hostile_selection_is_refused_before_it_reaches_the_page() -> None:
    model, inputs = hostile_model()
    view = torchscope.draw_model(model, kwargs=inputs)
    view.selected = HOSTILE["img"]  # a real node id: accepted as it is
    assert view.selected == HOSTILE["img"]
    with pytest.raises(Exception, match="is not a node or group"):
        view.selected = "<svg onload=alert(5)>"
