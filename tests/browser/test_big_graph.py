"""A 100,000-node op-level graph in a real JupyterLab: the widget opens collapsed, expanding
everything never freezes the page or the kernel, and all of it gets drawn."""

from __future__ import annotations

from pathlib import Path

from jupyter import JupyterServer, NotebookPage
from playwright.sync_api import Page

TESTS = Path(__file__).resolve().parents[1]
BIG = f"""\
import sys
sys.path.insert(0, {str(TESTS)!r})
from big_payload import big_payload
from torchscope.widget import ModelView
view = ModelView(big_payload(1000, 100))  # 100,002 nodes in 1,001 groups
view"""
ALIVE = "print('ALIVE', len(view.expanded))"

# A timer in the page that notes, every 50 ms, whether the diagram's layout is pending and how
# long the main thread kept it waiting. It runs in the page itself, so it sees a freeze that a
# poll from the test would only queue behind.
HEARTBEAT = """el => {
    const beat = { pending: 0, layout: 0, apply: 0, gaps: [], last: performance.now() };
    beat.was = el.torchscope.status();
    beat.timer = setInterval(() => {
        const now = performance.now();
        const status = el.torchscope.status();
        const gap = now - beat.last;
        if (gap > 150) beat.gaps.push([Math.round(gap), beat.was, status]);
        // from one pending tick to the next: the page froze while the worker laid out
        if (beat.was === 'pending' && status === 'pending') beat.layout = Math.max(beat.layout, gap);
        // from the last pending tick to the first ready one: the laid-out boxes were drawn
        if (beat.was === 'pending' && status !== 'pending') beat.apply = gap;
        if (status === 'pending') beat.pending += 1;
        beat.last = now;
        beat.was = status;
    }, 50);
    window.__torchscopeBeat = beat;
}"""
BEAT = "() => { const b = window.__torchscopeBeat; clearInterval(b.timer); return b; }"


def test_a_100k_node_graph_opens_collapsed_and_expands_without_freezing(
    page: Page, jupyter: JupyterServer
) -> None:
    path = jupyter.write_notebook("big-graph.ipynb", [BIG, ALIVE])
    nb = NotebookPage(page, jupyter, path, "lab")
    nb.run_cell(0)
    # a readable first view: the stack open, its thousand identical blocks folded into one box
    fold = nb.wait_drawn(0, "stack.0×1000", timeout_ms=120_000)
    assert fold["kind"] == "fold"
    assert fold["detail"] == "100000 layers"
    assert nb.run_cell(1).split() == ["ALIVE", "1"]
    # a first view this small is laid out on the main thread: it never waits for a worker to start
    layouts = nb.diagram(0).evaluate("el => el.torchscope.timings().layouts")
    assert layouts["worker"] == 0, layouts
    assert layouts["inline"] >= 1, layouts

    nb.diagram(0).evaluate(HEARTBEAT)
    nb.widget(0).locator('[data-action="expand-all"]').click()
    # while the worker lays 100,000 boxes out, the kernel answers...
    assert nb.run_cell(1).split() == ["ALIVE", "1001"]
    nb.wait_drawn(0, "stack.999.op99", timeout_ms=120_000)
    beat = page.evaluate(BEAT)
    # ...and so does the page: its own timer saw the layout pending (a layout on the main thread
    # never lets it run), and was never held up for a second while it was
    assert beat["pending"] >= 3, f"the page's timer never ran during the layout: {beat}"
    assert beat["layout"] < 1000, (
        f"the page froze for {beat['layout'] / 1000:.1f} s during the layout: {beat}"
    )
    assert nb.diagram(0).evaluate("el => el.torchscope.timings().layouts.worker") >= 1
    rows = nb.widget(0).locator(".ts-table-count").inner_text()
    assert rows == "101,003 rows"  # every node and every group's row
    assert nb.errors == [], nb.errors
