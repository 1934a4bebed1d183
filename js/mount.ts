/** Wires a store to the views inside one root element; used by the widget and the standalone page. */

import { Store, type WidgetModel } from "./store";
import { renderDetails } from "./views/details";
import { renderDiagram } from "./views/diagram";
import { renderSearch } from "./views/search";
import { renderToolbar } from "./views/toolbar";

/** Draw torchscope for `model` into `el`; returns the cleanup function. */
export function mount(el: HTMLElement, model: WidgetModel): () => void {
  const store = new Store(model);
  const root = document.createElement("div");
  root.className = "torchscope";
  el.append(root);
  const applyHeight = (): void => {
    root.style.height = `${store.current.height}px`;
  };
  applyHeight();
  const body = document.createElement("div");
  body.className = "ts-body";
  // keys typed anywhere in the widget (`/` to search, Esc to clear the selection)
  root.tabIndex = -1;
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === "Escape") store.select("");
  };
  root.addEventListener("keydown", onKey);
  const cleanups = [
    renderToolbar(root, store),
    renderDiagram(body, store),
    renderDetails(body, store),
    store.subscribe(applyHeight),
    () => root.removeEventListener("keydown", onKey),
  ];
  const bar = root.querySelector<HTMLElement>(".ts-toolbar");
  if (bar !== null) cleanups.push(renderSearch(bar, store, root));
  root.append(body);
  return () => {
    for (const cleanup of cleanups) cleanup();
    store.dispose();
    root.remove();
  };
}
