"""The first view of each gallery model (tests/gallery.py), read through the diagram's probe in the
standalone page: the whole model fitted and legible, bookkeeping off the boxes, one box per returned
structure, no fan of long edges from one source, no stale status; and the page fills its window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gallery import GALLERY, gallery_view

# null-safe: a page still loading has no diagram, or one whose probe is not attached yet
PROBE = "document.querySelector('.ts-diagram')?.torchscope"
# the test's own list of ops that only reshape, index, cast or create: none may be a box of its own
# when it counts nothing (the rule the front end follows is written in js/graph/bookkeeping.ts)
RESHAPING = {
    "view", "reshape", "flatten", "permute", "transpose", "t", "squeeze", "unsqueeze", "expand",
    "expand_as", "contiguous", "getitem", "arange", "to", "float", "type_as", "detach", "split",
    "chunk", "unbind", "narrow", "select", "view_as", "repeat", "clone", "zeros", "ones", "full",
}  # fmt: skip
# an edge longer than three ranks of boxes crosses the drawing
LONG = 3 * (56 + 32)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every gallery model's standalone page and payload, traced once for the module."""
    root = tmp_path_factory.mktemp("gallery")
    made = {}
    for name in GALLERY:
        view = gallery_view(name)
        made[name] = (view.save_html(root / f"{name}.html"), view.document)
    return made


def _open(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready'", timeout=60_000)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("name", list(GALLERY))
def test_first_view_is_whole_and_legible(
    page: Page, pages: dict[str, tuple[Path, dict[str, Any]]], artifacts: Path, name: str
) -> None:
    path, payload = pages[name]
    _open(page, path)
    page.screenshot(path=str(artifacts / f"first-view-{name}.png"))
    drawn = page.evaluate(f"{PROBE}.all()")
    shown = {b["id"] for b in page.evaluate(f"{PROBE}.boxes()")}
    # every box is on screen, and its label is drawn as text
    assert {b["id"] for b in drawn} == shown
    leaves = [b for b in drawn if b["kind"] != "container"]
    assert 3 <= len(leaves) <= 40, len(leaves)
    unlabelled = [b["id"] for b in leaves if not b["texts"]]
    assert unlabelled == [], unlabelled
    # no box is a bookkeeping op
    nodes = {n["id"]: n for n in payload["nodes"]}
    for box in leaves:
        node = nodes.get(box["id"])
        if node is not None and node["kind"] == "function" and node["op"] in RESHAPING:
            assert node["stats"].get("flops", 0) > 0, f"{box['id']} ({node['op']}) is a box"
    # at most one output box per returned structure: no two drawn outputs from one member
    members = [b["id"].split(".")[1] for b in leaves if b["id"].startswith("output.")]
    assert len(members) == len(set(members)), members
    # no source feeds more than a handful of boxes through long edges
    long_edges: dict[str, int] = {}
    for edge in page.evaluate(f"{PROBE}.scene().edges.map(e => [e.source, e.bounds.height])"):
        if edge[1] > LONG:
            long_edges[edge[0]] = long_edges.get(edge[0], 0) + 1
    assert max(long_edges.values(), default=0) <= 3, long_edges
    # no stale status once drawn
    assert page.locator(".ts-status").is_hidden()
    assert page.locator(".ts-status").text_content() == ""


def test_the_page_fills_its_window_and_follows_it(
    page: Page, pages: dict[str, tuple[Path, dict[str, Any]]]
) -> None:
    _open(page, pages["resnet50"][0])

    def filled() -> bool:
        return bool(
            page.evaluate(
                "() => { const r = document.querySelector('.torchscope').getBoundingClientRect();"
                " return r.width >= innerWidth - 4 && r.height >= innerHeight - 4"
                " && r.height <= innerHeight; }"
            )
        )

    assert filled()
    # the diagram gets most of it
    share = page.evaluate(
        "() => document.querySelector('.ts-stage').getBoundingClientRect().height"
        " / document.querySelector('.torchscope').getBoundingClientRect().height"
    )
    assert share >= 0.6, share
    page.set_viewport_size({"width": 1000, "height": 700})
    page.wait_for_timeout(300)
    assert filled()
