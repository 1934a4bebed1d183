"""What one display and one interaction cost, before and after issue 18, in one run.

    .venv/bin/python bench/interaction.py [--repeats 5] [--before COMMIT] [--no-browser] [--no-python]

Python: ``ModelView(payload)`` (validation, the id index, the comm opening) and one write of
``selected`` as the page makes it (``set_state``), from the document and from its wire read back
from a file (checked and shown as it is, never expanded), on the synthetic payloads of
``tests/big_payload.py`` at 20,002 and 100,002 nodes, outside a kernel (the comm is ipywidgets'
stand-in, so the JSON encoding a kernel adds is not in it; see ``frontend.py --lab`` for that).
"Before" is the same code with the issue's shortcuts off, which are the code paths ``main`` had:
the per-item checks only, ipywidgets' own ``open``, and an id set rebuilt on every write.

Browser: the standalone page of the same payloads in headless Chromium; a selection is a click on
a table row, a hover a ``mouseover`` on another row, each timed inside the page from the event
to the end of its synchronous work (what blocks the page). "Before" is the bundle built from
``--before`` (default: the commit this work started from), "after" this checkout's bundle.
Medians of ``--repeats`` runs, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ipywidgets.widgets.widget import Widget

from torchscope import bundle, schema_bulk, wire
from torchscope.standalone import write_html
from torchscope.widget import ModelView

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from big_payload import big_payload  # noqa: E402  # the test graph lives with the tests

SIZES = {"20k": (200, 100), "100k": (1000, 100)}
START = "6420b5f"  # main when issue 18's interaction work began
CHROMIUM = "/usr/bin/chromium"


class Before(ModelView):
    """ModelView with the issue's shortcuts off: ipywidgets' own comm opening, no id index."""

    open = Widget.open
    send_state = Widget.send_state

    def _ids(self) -> tuple[frozenset[str], frozenset[str]]:
        self._index = None
        return super()._ids()


@contextmanager
def per_item_checks() -> Iterator[None]:
    """Turn the bulk checks off, so that schema.validate checks field by field as before."""
    saved = {
        name: getattr(schema_bulk, name) for name in ("nodes_hold", "edges_hold", "unique_ids", "all_dicts")
    }
    schema_bulk.nodes_hold = lambda *_: False  # type: ignore[assignment]
    schema_bulk.edges_hold = lambda *_: False  # type: ignore[assignment]
    schema_bulk.unique_ids = lambda *_: None  # type: ignore[assignment]
    schema_bulk.all_dicts = lambda *_: False  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(schema_bulk, name, value)


def display_and_select(cls: type[ModelView], payload: dict[str, Any], ids: list[str]) -> tuple[float, float]:
    """Seconds to build the view, and the median seconds of one write of ``selected``."""
    start = time.perf_counter()
    view = cls(payload)  # type: ignore[arg-type]
    built = time.perf_counter() - start
    writes = []
    for node in ids:
        start = time.perf_counter()
        view.set_state({"selected": node})  # as the page writes it
        writes.append(time.perf_counter() - start)
    view.close()
    return built, statistics.median(writes)


def python_side(repeats: int) -> None:
    print(f"\nPython, outside a kernel (median of {repeats} runs)")
    head = ["nodes", "ModelView before", "after", "ratio", "from a wire", "select before", "after", "ratio"]
    print(
        f"{head[0]:>8} {head[1]:>17} {head[2]:>8} {head[3]:>7} {head[4]:>12}   "
        f"{head[5]:>14} {head[6]:>9} {head[7]:>7}"
    )
    for blocks, per_block in SIZES.values():
        payload = big_payload(blocks, per_block)
        saved = json.loads(json.dumps(wire.encode(payload)))  # a payload read back from a file
        ids = [n["id"] for n in payload["nodes"][1 : 1 + 10 * per_block : per_block]]
        runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": [], "wire": []}
        for _ in range(repeats):
            with per_item_checks():
                runs["before"].append(display_and_select(Before, payload, ids))
            runs["after"].append(display_and_select(ModelView, payload, ids))
            runs["wire"].append(display_and_select(ModelView, saved, ids))
        b = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
        s = {k: statistics.median(r[1] for r in v) * 1e3 for k, v in runs.items()}
        print(
            f"{len(payload['nodes']):>8} {b['before']:>16.3f}s {b['after']:>7.3f}s "
            f"{b['before'] / b['after']:>6.1f}x {b['wire']:>11.3f}s   {s['before']:>12.2f}ms "
            f"{s['after']:>7.2f}ms {s['before'] / s['after']:>6.1f}x"
        )


def build_old_bundle(commit: str, out: Path) -> Path:
    """Build the front end of ``commit`` into ``out``; return its widget.js."""
    out.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit, "js"], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    (out / "node_modules").symlink_to(ROOT / "node_modules")
    (out / "package.json").write_text('{"type": "module"}\n')
    subprocess.run(["node", str(out / "js" / "build.mjs")], cwd=out, check=True)
    return out / "src" / "torchscope" / "static" / "widget.js"


# timed inside the page: the synchronous work of a click on a table row (a selection) and of a
# mouseover on one (a hover), alternating between rows so that each event changes something
PAGE_TIMES = """async (count) => {
  const rows = () => [...document.querySelectorAll('.ts-row')];
  const frame = () => new Promise(requestAnimationFrame);
  const select = [], hover = [];
  document.querySelector('[data-action="table-mode"]').click();  // flat: a row per leaf
  await frame();
  for (let i = 0; i < count; i += 1) {
    const row = rows()[2 + (i % 6)];
    let start = performance.now();
    row.click();
    select.push(performance.now() - start);
    await frame();
    const other = rows()[3 + (i % 5)];
    start = performance.now();
    other.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    hover.push(performance.now() - start);
    await frame();
  }
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return [median(select), median(hover)];
}"""


def browser_side(repeats: int, commit: str) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  # only this half needs it

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        old = build_old_bundle(commit, Path(tmp) / "old")
        bundles = {"before": old, "after": bundle.ESM}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        print(f"\nBrowser, standalone page, headless Chromium (ms of synchronous work; before = {commit})")
        head = ["nodes", "select before", "after", "ratio", "hover before", "after", "ratio"]
        print(
            f"{head[0]:>8} {head[1]:>14} {head[2]:>8} {head[3]:>7}   {head[4]:>13} {head[5]:>8} {head[6]:>7}"
        )
        for blocks, per_block in SIZES.values():
            payload = big_payload(blocks, per_block)
            state: dict[str, Any] = {"graph": payload, "orientation": "TB", "selected": "", "expanded": []}
            state |= {"metric": "flops", "height": 900}
            pages = {}
            for side, esm in bundles.items():
                saved = bundle.ESM
                bundle.ESM = esm  # read_bundle reads this path
                try:
                    pages[side] = write_html(state, Path(tmp) / f"{side}-{blocks}.html").as_uri()
                finally:
                    bundle.ESM = saved
            times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
            for _ in range(repeats):
                for side, url in pages.items():
                    page.goto(url)
                    page.wait_for_function(
                        "() => performance.getEntriesByName('torchscope-first-paint').length > 0",
                        timeout=300_000,
                    )
                    times[side].append(tuple(page.evaluate(PAGE_TIMES, 9)))
            sel = {k: statistics.median(t[0] for t in v) for k, v in times.items()}
            hov = {k: statistics.median(t[1] for t in v) for k, v in times.items()}
            print(
                f"{len(payload['nodes']):>8} {sel['before']:>12.1f}ms {sel['after']:>6.1f}ms "
                f"{sel['before'] / sel['after']:>6.1f}x   {hov['before']:>11.2f}ms {hov['after']:>6.2f}ms "
                f"{hov['before'] / max(hov['after'], 1e-3):>6.1f}x"
            )
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", default=START, help="the commit whose front end is 'before'")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-python", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average at start: {os.getloadavg()[0]:.2f}")
    if not args.no_python:
        python_side(args.repeats)
    if not args.no_browser and shutil.which("node") and Path(CHROMIUM).exists():
        browser_side(args.repeats, args.before)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
