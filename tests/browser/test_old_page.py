"""A page saved before the compact wire (schema 1) still opens, and draws what its schema-2
twin draws: the golden payload in both encodings (tests/golden/payload_v1.json, payload_v2.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from torchscope.standalone import write_html

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
PROBE = "document.querySelector('.ts-diagram')?.torchscope"


def _drawn(page: Page, path: Path) -> dict[str, Any]:
    page.goto(path.as_uri())
    page.wait_for_function(f"() => {PROBE}?.status() === 'ready'")
    return page.evaluate(  # type: ignore[no-any-return]
        f"""() => ({{
          boxes: {PROBE}.all().map((b) => b.id).sort(),
          edges: {PROBE}.edges().map((e) => `${{e.source}}>${{e.target}} ${{e.label}}`).sort(),
          rows: document.querySelectorAll('.ts-row').length,
          error: document.querySelector('.ts-error')?.textContent ?? null,
        }})"""
    )


def test_a_schema_1_page_draws_what_its_schema_2_twin_draws(page: Page, tmp_path: Path) -> None:
    drawn = {}
    for name in ("payload_v1.json", "payload_v2.json"):
        # a page written before the bookkeeping trait existed lacks it too
        state = {"graph": json.loads((GOLDEN / name).read_text()), "orientation": "TB", "selected": ""}
        state |= {"expanded": ["blocks"], "metric": "", "height": 600}
        drawn[name] = _drawn(page, write_html(state, tmp_path / name.replace(".json", ".html")))
    old, new = drawn["payload_v1.json"], drawn["payload_v2.json"]
    assert old["error"] is None
    # blocks.1 repeats blocks.0 (``repeat_of``): the two are folded into one box
    assert {"input", "add#1", "output", "blocks.0×2"} <= set(old["boxes"]), old
    assert old["edges"]
    assert old["rows"] > 0
    assert new == old
