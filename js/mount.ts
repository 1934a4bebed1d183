/** Wires a store to the views inside one root element; used by the widget and the standalone page. */

import { Store, type WidgetModel } from "./store";
import { renderDiagram } from "./views/diagram";
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
  const cleanups = [
    renderToolbar(root, store),
    renderDiagram(root, store),
    store.subscribe(applyHeight),
  ];
  return () => {
    for (const cleanup of cleanups) cleanup();
    store.dispose();
    root.remove();
  };
}
