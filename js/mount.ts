/** Wires a store to the views inside one root element; used by the widget and the standalone page. */

import { Store, type WidgetModel } from "./store";
import { renderDetails } from "./views/details";
import { renderDiagram } from "./views/diagram";
import { renderSearch } from "./views/search";
import { renderTable } from "./views/table";
import { renderTimeline } from "./views/timeline";
import { renderToolbar } from "./views/toolbar";

/** Draw torchscope for `model` into `el`; returns the cleanup function. */
export function mount(el: HTMLElement, model: WidgetModel): () => void {
  const store = new Store(model);
  const root = document.createElement("div");
  root.className = "torchscope";
  // focusable, so keys typed anywhere in the widget reach it (`/` search, `f` fit, Esc clear)
  root.tabIndex = -1;
  el.append(root);
  const applyHeight = (): void => {
    root.style.height = `${store.current.height}px`;
  };
  applyHeight();
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === "Escape") store.select("");
  };
  root.addEventListener("keydown", onKey);

  const toolbar = renderToolbar(root, store);
  const search = renderSearch(root.querySelector<HTMLElement>(".ts-toolbar") ?? root, store, root);
  // attached before the views render: they find the widget root from where they are mounted
  const body = document.createElement("div");
  body.className = "ts-body";
  const main = document.createElement("div");
  main.className = "ts-main";
  body.append(main);
  root.append(body);
  const diagram = renderDiagram(main, store);
  const details = renderDetails(main, store);
  // a training step's memory, under the diagram and above the table (absent for a forward trace)
  const timeline = renderTimeline(body, store);
  const table = renderTable(body, store);
  const splitter = renderSplitter(body, table.element, root);
  const cleanups = [
    toolbar,
    search,
    diagram,
    details,
    timeline,
    () => table.dispose(),
    splitter,
    store.subscribe(applyHeight),
    () => root.removeEventListener("keydown", onKey),
  ];
  return () => {
    for (const cleanup of cleanups) cleanup();
    store.dispose();
    root.remove();
  };
}

/**
 * The bar between the diagram and the table: drag it to share the height between them. The
 * toolbar's "Table" button (an event on the widget root) hides or shows the table.
 */
function renderSplitter(body: HTMLElement, table: HTMLElement, root: HTMLElement): () => void {
  const bar = document.createElement("div");
  bar.className = "ts-splitter";
  bar.setAttribute("role", "separator");
  bar.setAttribute("aria-orientation", "horizontal");
  bar.title = "Drag to resize the table";
  body.insertBefore(bar, table);
  let start: { y: number; height: number } | null = null;
  bar.addEventListener("pointerdown", (event) => {
    start = { y: event.clientY, height: table.getBoundingClientRect().height };
    try {
      bar.setPointerCapture(event.pointerId);
    } catch {}
  });
  bar.addEventListener("pointermove", (event) => {
    if (start === null) return;
    const limit = body.getBoundingClientRect().height - 80;
    const height = Math.min(limit, Math.max(60, start.height - (event.clientY - start.y)));
    table.style.flexBasis = `${height}px`;
  });
  const stop = (): void => {
    start = null;
  };
  bar.addEventListener("pointerup", stop);
  bar.addEventListener("pointercancel", stop);
  const toggle = (): void => {
    table.hidden = !table.hidden;
    bar.hidden = table.hidden;
    root.dataset.table = table.hidden ? "hidden" : "shown";
    root.dispatchEvent(new Event("ts-table-changed"));
  };
  root.dataset.table = "shown";
  root.addEventListener("ts-toggle-table", toggle);
  return () => {
    root.removeEventListener("ts-toggle-table", toggle);
    bar.remove();
  };
}
