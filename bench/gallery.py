"""The gallery: what a newcomer sees first, for the models people open most, to be looked at.

For every model of ``tests/gallery.py`` it writes the standalone page and screenshots of four
views, in the standalone page and in a real JupyterLab, under ``test-artifacts/gallery/``:

  first      the view the widget opens on
  expanded   the first fold (or collapsed group) of the first view opened
  all        "Expand all", then "Fit"
  lr         the first view, laid out left to right

Standalone pages are shot at 1400×1000; JupyterLab at 1400×1000 and with a window that gives the
notebook cell about 900 px. Each first view's probe facts (boxes on screen, their text, the zoom)
are printed, so a run reads as a table too.

.venv/bin/python bench/gallery.py [model ...] [--no-lab]     (needs /usr/bin/chromium)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from jupyter import JupyterServer, NotebookPage, jupyter_lab  # noqa: E402
from playwright.sync_api import Locator, Page, sync_playwright  # noqa: E402

from gallery import GALLERY, gallery_view  # noqa: E402  # the registry lives with the tests

OUT = ROOT / "test-artifacts" / "gallery"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"]

# In-page actions on one widget root (`.torchscope`), the same in the page and in JupyterLab.
READY = "root => root.querySelector('.ts-diagram')?.dataset.layout === 'ready'"
OPEN_ONE = """root => {
  const probe = root.querySelector('.ts-diagram').torchscope;
  const boxes = probe.all().filter(b => b.toggle === 'expand');
  const target = boxes.find(b => b.kind === 'fold') ?? boxes.find(b => b.kind === 'group');
  if (target === undefined) return null;
  root.querySelector('.ts-canvas').dispatchEvent(new MouseEvent('dblclick',
    {clientX: target.x + target.width / 2, clientY: target.y + target.height / 2, bubbles: true}));
  return target.id;
}"""
FACTS = """root => {
  const probe = root.querySelector('.ts-diagram').torchscope;
  const all = probe.all(), shown = probe.boxes();
  return {boxes: all.length, on_screen: shown.length, with_text: shown.filter(b => b.texts.length > 0).length,
          zoom: probe.transform().k, status: root.querySelector('.ts-status').textContent,
          titles: shown.filter(b => b.kind !== 'container').map(b => b.texts[0] ?? '').slice(0, 40)};
}"""


def _settle(root: Locator, page: Page) -> None:
    page.wait_for_timeout(250)
    wait = "await new Promise(r => setTimeout(r, 100))"
    root.evaluate(f"async root => {{ for (let i = 0; i < 600 && !({READY})(root); i++) {wait}; }}")
    page.wait_for_timeout(350)


def _click(root: Locator, action: str) -> None:
    root.locator(f'[data-action="{action}"]').first.click()


def standalone(page: Page, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """Write the model's page and shoot its four views; returns the first view's facts."""
    from torchscope.standalone import write_html  # noqa: PLC0415

    html = write_html(state, OUT / f"{name}.html")
    facts: dict[str, Any] = {}
    for view in ("first", "expanded", "all", "lr"):
        page.goto(html.as_uri())
        root = page.locator(".torchscope")
        _settle(root, page)
        if view == "first":
            facts = root.evaluate(FACTS)
        elif view == "expanded":
            root.evaluate(OPEN_ONE)
        elif view == "all":
            _click(root, "expand-all")
            _settle(root, page)
            _click(root, "fit")
        else:
            _click(root, "orientation")
        _settle(root, page)
        page.screenshot(path=str(OUT / f"{name}-page-{view}.png"))
    return facts


def in_lab(server: JupyterServer, page: Page, names: list[str], width: int, suffix: str) -> None:
    """One notebook with a cell per model; four views of each, from Python and the toolbar."""
    cells = [f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\nfrom gallery import gallery_view"]
    for name in names:
        cells += [f"view = gallery_view({name!r})\nview", "first = list(view.expanded)"]
    cells.append("view.expanded = first\nview.orientation = 'LR'")
    path = server.write_notebook(f"gallery-{suffix}.ipynb", cells)
    page.set_viewport_size({"width": width, "height": 1000})
    nb = NotebookPage(page, server, path, "lab")
    nb.run_cell(0)
    for i, name in enumerate(names):
        index = 1 + 2 * i
        nb.run_cell(index, timeout_ms=300_000)
        root = nb.widget(index)
        if width < 1400 and i == 0:
            # JupyterLab's side panels take their share: size the window so that the cell is 900 px
            cell = root.evaluate("el => el.getBoundingClientRect().width")
            page.set_viewport_size({"width": round(width + 900 - cell), "height": 1000})
        root.scroll_into_view_if_needed()
        _settle(root, page)
        root.screenshot(path=str(OUT / f"{name}-lab{suffix}-first.png"))
        nb.run_cell(index + 1)
        if width < 1400:
            continue  # the narrow cell: the first view is what it is for
        root.evaluate(OPEN_ONE)
        _settle(root, page)
        root.screenshot(path=str(OUT / f"{name}-lab-expanded.png"))
        _click(root, "expand-all")
        _settle(root, page)
        _click(root, "fit")
        _settle(root, page)
        root.screenshot(path=str(OUT / f"{name}-lab-all.png"))
        _click(root, "collapse-all")
        _settle(root, page)
        # back to the first view, left to right, set from Python
        nb.cell(len(names) * 2 + 1).locator(".jp-InputArea-editor").click()
        nb.run_cell(len(names) * 2 + 1)
        _settle(root, page)
        root.screenshot(path=str(OUT / f"{name}-lab-lr.png"))


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    names = args or list(GALLERY)
    OUT.mkdir(parents=True, exist_ok=True)
    states = {}
    for name in names:
        view = gallery_view(name)
        states[name] = view.view_state()
        (OUT / f"{name}.json").write_text(json.dumps(view.graph))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        print("| model | nodes | first view: boxes | on screen | with text | zoom |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name in names:
            facts = standalone(page, name, states[name])
            nodes = len(states[name]["graph"]["nodes"])
            print(
                f"| {name} | {nodes:,} | {facts['boxes']} | {facts['on_screen']} | {facts['with_text']} "
                f"| {facts['zoom']:.2f} |  {' · '.join(facts['titles'][:14])}"
            )
        if "--no-lab" not in sys.argv:
            with tempfile.TemporaryDirectory() as root, jupyter_lab(Path(root), OUT) as server:
                in_lab(server, page, names, 1400, "")
                in_lab(server, page, names, 1000, "-900")
        browser.close()
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
