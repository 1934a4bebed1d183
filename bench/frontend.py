"""Front-end benchmark in headless Chromium: the real bundle in a real page (the standalone HTML).

For ResNet-50, GPT-2 medium, a Llama-70B shape and a ~20,000-node op-level graph, it reports
  first paint   navigation start → the first view painted (parsing the inlined payload included)
  expand        clicking a collapsed group's toggle → the new layout painted (median of several)
  expand all    the "Expand all" button → everything laid out and painted
  pan/zoom      frame intervals while wheel-zooming and dragging, fully expanded, both at the
                overview (everything on screen) and zoomed in (median and p95)

.venv/bin/python bench/frontend.py [model ...]      (models: see bench/payloads.py; needs /usr/bin/chromium)
.venv/bin/python bench/frontend.py --lab [...]      cell to picture in JupyterLab: see bench/frontend_lab.py
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from payloads import payload
from playwright.sync_api import Page, sync_playwright

from torchscope.standalone import write_html

CHROMIUM = "/usr/bin/chromium"
DEFAULT = ["resnet50", "gpt2_medium", "llama70b", "llama_20k"]

# In-page helpers: every timing is taken inside the page, so the driver's round trips don't count.
HELPERS = """
window.tsProbe = () => document.querySelector('.ts-diagram').torchscope;
window.tsSettled = async (frames, limit = 60000) => {
  // resolves once the layout is ready and a new frame has been painted
  const start = performance.now();
  for (;;) {
    if (performance.now() - start > limit) {
      if (limit < 60000) return;  // an action that may change nothing (collapsing a collapsed view)
      throw new Error('nothing was painted within 60 s');
    }
    await new Promise(requestAnimationFrame);
    const p = tsProbe();
    if (p.status() === 'ready' && p.timings().frames.length > frames) return;
    if (p.status() === 'error') throw new Error('layout failed');
  }
};
window.tsTimed = async (act, limit) => {
  const frames = tsProbe().timings().frames.length;
  const start = performance.now();
  act();
  await tsSettled(frames, limit);
  return performance.now() - start;
};
window.tsClick = (x, y) => {
  const canvas = document.querySelector('.ts-canvas');
  canvas.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: y, bubbles: true}));
};
window.tsFrames = async (count, step) => {
  // drive `step(i)` once per animation frame and record the intervals between frames
  const canvas = document.querySelector('.ts-canvas');
  const rect = canvas.getBoundingClientRect();
  const intervals = [];
  let last = await new Promise(requestAnimationFrame);
  for (let i = 0; i < count; i += 1) {
    step(canvas, rect, i);
    const now = await new Promise(requestAnimationFrame);
    intervals.push(now - last);
    last = now;
  }
  return intervals;
};
window.tsWheel = (canvas, rect, i) => canvas.dispatchEvent(new WheelEvent('wheel', {
  deltaY: (Math.floor(i / 15) % 2 === 0 ? -1 : 1) * 40, clientX: rect.left + rect.width / 2,
  clientY: rect.top + rect.height / 2, bubbles: true, cancelable: true}));
window.tsDrag = (canvas, rect, i) => {
  const x = rect.left + rect.width / 2 + 200 * Math.sin(i / 10);
  const y = rect.top + rect.height / 2 + 120 * Math.cos(i / 10);
  const at = {clientX: x, clientY: y, button: 0, bubbles: true};
  if (i === 0) canvas.dispatchEvent(new PointerEvent('pointerdown', at));
  canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: x + 5, clientY: y + 5, bubbles: true}));
};
true;  // not the last function: Playwright would call a function that evaluate() returns
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(page: Page, url: str) -> dict[str, Any]:
    print("  first paint", file=sys.stderr)
    page.goto(url)
    page.wait_for_function(
        "() => performance.getEntriesByName('torchscope-first-paint').length > 0", timeout=120_000
    )
    page.evaluate(HELPERS)
    result: dict[str, Any] = {
        "first_paint_ms": page.evaluate(
            "performance.getEntriesByName('torchscope-first-paint')[0].startTime"
        ),
        "boxes_first": len(page.evaluate("tsProbe().boxes()")),
        "threaded": page.evaluate("tsProbe().timings().threaded"),
    }
    # from everything collapsed: expand (and collapse back) the groups on screen one at a time;
    # a toggled group keeps its place on screen, so the same point collapses it again
    page.evaluate("tsTimed(() => document.querySelector('[data-action=\"collapse-all\"]').click(), 2000)")
    groups = page.evaluate("tsProbe().all().filter(b => b.kind === 'group').slice(0, 5).map(b => b.id)")
    print(f"  expanding {len(groups)} groups", file=sys.stderr)
    expand: list[float] = []
    search = page.locator(".ts-search-input")
    for group in groups:
        # select it through the search box (an exact /regex/: a bare name also matches its
        # children, which come first): the view pans to it
        search.fill(f"/^{re.escape(group)}$/")
        search.press("Enter")
        page.wait_for_function(f"() => tsProbe().box({group!r})?.selected", timeout=60_000)
        page.evaluate("tsSettled(0)")
        box = page.evaluate(f"tsProbe().box({group!r})")
        x, y = box["x"] + 6, box["y"] + 6
        expand.append(page.evaluate(f"tsTimed(() => tsClick({x}, {y}))"))
        page.evaluate(f"tsTimed(() => tsClick({x}, {y}))")
    result["expand_ms"] = statistics.median(expand) if expand else None
    print("  expand all", file=sys.stderr)
    # expand all from a fresh page (a cold layout cache), collapsed first
    page.goto(url)
    page.wait_for_function(
        "() => performance.getEntriesByName('torchscope-first-paint').length > 0", timeout=120_000
    )
    page.evaluate(HELPERS)
    page.evaluate("tsTimed(() => document.querySelector('[data-action=\"collapse-all\"]').click(), 2000)")
    result["expand_all_ms"] = page.evaluate(
        "tsTimed(() => document.querySelector('[data-action=\"expand-all\"]').click())"
    )
    result["layout_all_ms"] = page.evaluate("tsProbe().timings().layout")
    page.evaluate("tsTimed(() => document.querySelector('[data-action=\"fit\"]').click())")
    for where in ("overview", "zoomed"):
        if where == "zoomed":
            page.evaluate(
                "tsTimed(() => { const b = tsProbe().boxes().find(b => b.kind !== 'container');"
                " tsClick(b.x + b.width / 2, b.y + b.height / 2);"
                " document.querySelector('[data-action=\"zoom-selection\"]').click(); })"
            )
        print(f"  pan and zoom: {where}", file=sys.stderr)
        result[f"k_{where}"] = page.evaluate("tsProbe().transform().k")
        result[f"on_screen_{where}"] = len(page.evaluate("tsProbe().boxes()"))
        page.evaluate("tsProbe().resetFrames()")
        frames = page.evaluate("() => tsFrames(90, tsWheel)") + page.evaluate("() => tsFrames(90, tsDrag)")
        paints = page.evaluate("tsProbe().timings().frames")
        result[f"frame_median_{where}"] = statistics.median(frames)
        result[f"frame_p95_{where}"] = percentile(frames, 0.95)
        result[f"paint_p95_{where}"] = percentile(paints, 0.95) if paints else None
    print("  table", file=sys.stderr)
    # the table in flat mode (every leaf a row): sort by FLOPs (median of both directions, timed to
    # the next painted rows) and scroll frames
    page.evaluate("document.querySelector('[data-action=\"table-mode\"]').click()")
    result["table_rows"] = page.evaluate("document.querySelector('.ts-table-count').textContent")
    sorts = [
        page.evaluate(
            """async () => { const start = performance.now();
            document.querySelector('.ts-head-cell[data-key="flops"]').click();
            await new Promise(requestAnimationFrame); return performance.now() - start; }"""
        )
        for _ in range(6)
    ]
    result["table_sort_ms"] = statistics.median(sorts)
    frames = page.evaluate(
        """() => { const s = document.querySelector('.ts-table-scroll');
        const room = s.scrollHeight - s.clientHeight;
        return tsFrames(90, (c, r, i) => { s.scrollTop = (i * 24 * 997) % room; }); }"""
    )
    result["table_scroll_median"] = statistics.median(frames)
    result["table_scroll_p95"] = percentile(frames, 0.95)
    return result


def main() -> None:
    if "--lab" in sys.argv:
        from frontend_lab import main as cell_to_picture  # noqa: PLC0415  # starts JupyterLab

        cell_to_picture([a for a in sys.argv[1:] if a != "--lab"])
        return
    names = sys.argv[1:] or DEFAULT
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-gpu", "--no-sandbox", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for name in names:
            graph = json.loads(payload(name).read_text())
            state = {
                "graph": graph,
                "orientation": "TB",
                "selected": "",
                "expanded": [],
                "metric": "",
                "height": 900,
            }
            html = write_html(state, Path(tmp) / f"{name}.html")
            row = measure(page, html.as_uri())
            rows.append((name, len(graph["nodes"]), row))
            print(name, json.dumps(row), file=sys.stderr)
        browser.close()
        if errors:
            raise SystemExit(f"page errors: {errors}")
    print(f"\nFront end, headless Chromium ({CHROMIUM}), 1400×1000 viewport; times in ms\n")
    head = (
        "model          nodes  first paint  expand (med)  expand all   overview frame med/p95"
        "   zoomed frame med/p95   table sort   table scroll med/p95"
    )
    print(head)
    print("-" * len(head))
    for name, nodes, r in rows:
        expand = "–" if r["expand_ms"] is None else f"{r['expand_ms']:.0f}"
        print(
            f"{name:<13} {nodes:>6}  {r['first_paint_ms']:>11.0f}  {expand:>12}  {r['expand_all_ms']:>10.0f}"
            f"   {r['frame_median_overview']:>9.1f} / {r['frame_p95_overview']:<6.1f}"
            f"        {r['frame_median_zoomed']:>7.1f} / {r['frame_p95_zoomed']:<6.1f}"
            f"   {r['table_sort_ms']:>10.0f}"
            f"   {r['table_scroll_median']:>11.1f} / {r['table_scroll_p95']:.1f}"
        )
    print("\nframe times are intervals between animation frames while driving the view (16.7 = 60 fps);")
    print("expand all starts from a fresh page with everything collapsed (a cold layout cache);")
    print("the table is in flat mode, one row per leaf: sort by FLOPs, and scroll jumps of ~1,000 rows")


if __name__ == "__main__":
    main()
