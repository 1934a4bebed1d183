"""Standalone HTML: the widget's own bundle and state inlined into one offline page.

The page runs the same render code as the notebook against an in-page stand-in for the widget
model (``mountStandalone`` in ``js/standalone.ts``): no CDN, no require.js, no server. The bundle
is imported from a Blob URL because an inline module script cannot hand its exports to another.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from torchscope.bundle import read_bundle

_SCRIPT_END = re.compile(r"</script|<!--", re.IGNORECASE)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — torchscope</title>
<style>
html, body {{ margin: 0; height: 100%; font-family: system-ui, sans-serif; }}
#torchscope-root {{ height: 100%; }}
{css}
</style>
</head>
<body>
<div id="torchscope-root"></div>
<script type="application/json" id="torchscope-state">{state}</script>
<script type="text/plain" id="torchscope-bundle">{bundle}</script>
<script type="module">
const text = (id) => document.getElementById(id).textContent;
const url = URL.createObjectURL(new Blob([text("torchscope-bundle")], {{ type: "text/javascript" }}));
const bundle = await import(url);
bundle.mountStandalone(document.getElementById("torchscope-root"), JSON.parse(text("torchscope-state")));
</script>
</body>
</html>
"""


def render_html(state: dict[str, Any]) -> str:
    """Return the page for a view ``state`` (the dict of :meth:`ModelView.view_state`)."""
    bundle, css = read_bundle()
    if _SCRIPT_END.search(bundle) or _SCRIPT_END.search(css):
        # esbuild escapes these inside strings; if one still appears, inlining would cut the page
        raise RuntimeError("the front-end bundle contains '</script' or '<!--' and cannot be inlined")
    # JSON escapes for <, > and & keep model strings (user data) from closing the script element
    state_json = (
        json.dumps(state, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    title = html.escape(str(state.get("graph", {}).get("model", {}).get("name", "model")))
    return _TEMPLATE.format(title=title, css=css, state=state_json, bundle=bundle)


def write_html(state: dict[str, Any], path: str | Path) -> Path:
    """Write the page for ``state`` to ``path`` and return the path."""
    target = Path(path)
    target.write_text(render_html(state), encoding="utf-8")
    return target
