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
  root.append(body);
  const cleanups = [
    toolbar,
    search,
    renderDiagram(body, store),
    renderDetails(body, store),
    store.subscribe(applyHeight),
    () => root.removeEventListener("keydown", onKey),
  ];
  return () => {
    for (const cleanup of cleanups) cleanup();
    store.dispose();
    root.remove();
  };
}
