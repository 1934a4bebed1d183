/**
 * The toolbar's "⋯" menu: the rarer actions, so the toolbar fits one row in a 900 px notebook
 * cell. Zoom to the selection, bookkeeping ops shown as boxes or as edge markers, the exports and
 * the key to the shapes. Every entry keeps a tooltip (and its shortcut, where it has one).
 */

import type { Store, ViewState } from "../store";
import { button, element } from "./dom";

export interface Menu {
  element: HTMLElement;
  update(state: ViewState): void;
  dispose(): void;
}

export function renderMenu(el: HTMLElement, store: Store): Menu {
  const menu = element("details", "ts-menu");
  const summary = element("summary", "ts-button ts-menu-summary");
  summary.textContent = "⋯";
  summary.title = "More: zoom to selection, bookkeeping ops, export, key";
  summary.dataset.action = "menu";
  const panel = element("div", "ts-menu-panel");
  const close = (): void => {
    menu.open = false;
  };
  const entry = (
    action: string,
    text: string,
    hint: string,
    run: () => void,
  ): HTMLButtonElement => {
    const made = button(action, text, hint);
    made.classList.add("ts-menu-item");
    made.addEventListener("click", () => {
      run();
      close();
    });
    return made;
  };
  const diagram = (event: Event): void => {
    el.querySelector(".ts-diagram")?.dispatchEvent(event);
  };
  const ops = entry("bookkeeping", "", "", () => store.setBookkeeping(!store.current.bookkeeping));
  const exports = element("div", "ts-menu-row");
  const exportLabel = element("span", "ts-menu-label");
  exportLabel.textContent = "Export";
  exports.append(exportLabel);
  const formats: [string, string, string, number][] = [
    ["svg", "SVG", "svg", 1],
    ["png-1", "PNG 1×", "png", 1],
    ["png-2", "PNG 2×", "png", 2],
    ["png-4", "PNG 4×", "png", 4],
  ];
  for (const [action, text, format, scale] of formats) {
    exports.append(
      entry(`export-${action}`, text, "Download the diagram as drawn now (all of it)", () =>
        diagram(new CustomEvent("ts-export", { detail: { format, scale } })),
      ),
    );
  }
  panel.append(
    entry("zoom-selection", "Zoom to selection", "Zoom in on the selected box (z)", () =>
      diagram(new Event("ts-zoom-selection")),
    ),
    ops,
    exports,
    key(),
  );
  menu.append(summary, panel);
  // a click elsewhere closes it, as menus do
  const outside = (event: Event): void => {
    if (!menu.contains(event.target as Node)) close();
  };
  document.addEventListener("pointerdown", outside);
  return {
    dispose: () => document.removeEventListener("pointerdown", outside),
    element: menu,
    update(state) {
      ops.textContent = state.bookkeeping ? "Hide bookkeeping ops" : "Show bookkeeping ops";
      ops.title = state.bookkeeping
        ? "Draw views, reshapes and casts as markers on their edges"
        : "Draw views, reshapes and casts as boxes of their own";
      ops.setAttribute("aria-pressed", String(state.bookkeeping));
    },
  };
}

/** What the diagram's shapes mean (the metric has its own legend above the diagram). */
function key(): HTMLElement {
  const list = element("ul", "ts-key-list");
  const entries: [string, string][] = [
    ["io", "input or output of the model; a returned structure (a cache) is one box"],
    ["layer", "a layer: a module call (type, name, output shape)"],
    ["op", "a tensor op (add, matmul, softmax…)"],
    ["group", "▸ a collapsed module group (what it holds, params, FLOPs)"],
    ["fold", "▸ ×N identical blocks folded into one box"],
    ["frame", "▾ an expanded group around its children"],
    ["marker", "◇ bookkeeping ops (view, reshape, cast…) riding on an edge"],
    ["stub", "↳ a tensor that feeds many blocks, drawn once at each"],
    ["failed", "where the traced forward pass failed"],
    ["nan-origin", "① the first node whose outputs held a NaN or an Inf (values=True)"],
    ["nan-later", "! a later node whose outputs held one"],
    ["selected", "the selection, with its incoming and outgoing edges"],
  ];
  for (const [kind, text] of entries) {
    const item = element("li", "ts-key-item");
    item.append(element("span", `ts-swatch ts-swatch-${kind}`), document.createTextNode(text));
    list.append(item);
  }
  const box = element("div", "ts-key");
  const title = element("span", "ts-menu-label");
  title.textContent = "Key";
  box.append(title, list);
  return box;
}
