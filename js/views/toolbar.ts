/**
 * The toolbar: model name, colour metric, depth, expand/collapse all, fit, zoom to selection,
 * orientation, the table's visibility and the export menu, wired to store actions and view events.
 */

import { largest } from "../graph/layout";
import type { Store, ViewState } from "../store";
import { button, element, options } from "./dom";

export function renderToolbar(el: HTMLElement, store: Store): () => void {
  const bar = element("div", "ts-toolbar");
  const title = element("span", "ts-title");
  const toggle = button("orientation", "", "Switch between top-to-bottom and left-to-right layout");
  toggle.addEventListener("click", () =>
    store.setOrientation(store.current.orientation === "TB" ? "LR" : "TB"),
  );
  const action = (name: string, text: string, hint: string, run: () => void): HTMLButtonElement => {
    const made = button(name, text, hint);
    made.addEventListener("click", run);
    return made;
  };
  const depth = element("select", "ts-depth");
  depth.title = "Expand the module groups down to a depth";
  depth.addEventListener("change", () => {
    if (depth.value !== "") store.expandToDepth(Number(depth.value));
    depth.value = "";
  });
  const exporter = element("select", "ts-export");
  exporter.title = "Download the diagram as it is drawn now (all of it)";
  const exportChoices: [string, string][] = [
    ["", "Export…"],
    ["svg", "SVG (vector)"],
    ["png:1", "PNG 1×"],
    ["png:2", "PNG 2×"],
    ["png:4", "PNG 4×"],
  ];
  exporter.append(...options(exportChoices));
  exporter.addEventListener("change", () => {
    const [format, scale] = exporter.value.split(":");
    exporter.value = "";
    if (format !== "svg" && format !== "png") return;
    el.querySelector(".ts-diagram")?.dispatchEvent(
      new CustomEvent("ts-export", { detail: { format, scale: Number(scale ?? 1) } }),
    );
  });
  const metric = element("select", "ts-metric");
  metric.title = "Colour the boxes by a statistic";
  metric.addEventListener("change", () => store.setMetric(metric.value));
  bar.append(
    title,
    metric,
    depth,
    action("expand-all", "Expand all", "Open every module group", () => store.expandAll()),
    action("collapse-all", "Collapse all", "Close every module group", () => store.collapseAll()),
    action("fit", "Fit", "Show the whole diagram (f)", () => {
      el.querySelector(".ts-diagram")?.dispatchEvent(new Event("ts-fit"));
    }),
    action("zoom-selection", "Zoom to selection", "Zoom in on the selected box (z)", () => {
      el.querySelector(".ts-diagram")?.dispatchEvent(new Event("ts-zoom-selection"));
    }),
    toggle,
    action("table", "Table", "Show or hide the statistics table", () => {
      el.dispatchEvent(new Event("ts-toggle-table"));
    }),
    exporter,
    key(),
  );
  el.append(bar);

  const update = (state: ViewState): void => {
    title.textContent = state.graph.model.name;
    const choices: [string, string][] = [
      ["", "Colour: none"],
      ...state.graph.columns
        .filter((c) => c.kind === "count" || c.kind === "bytes")
        .map((c): [string, string] => [c.key, `Colour: ${c.label}`]),
    ];
    metric.replaceChildren(...options(choices));
    metric.value = state.metric;
    const deepest = largest(state.graph.groups.map((g) => state.hierarchy.depth(g.id) + 1));
    depth.replaceChildren(
      ...options([
        ["", "Depth…"],
        ...Array.from({ length: deepest + 1 }, (_, n): [string, string] => [
          String(n),
          `Depth ${n}`,
        ]),
      ]),
    );
    depth.value = "";
    toggle.textContent = state.orientation === "TB" ? "Top → bottom" : "Left → right";
  };
  update(store.current);
  const unsubscribe = store.subscribe(update);
  return () => {
    unsubscribe();
    bar.remove();
  };
}

/** What the diagram's shapes mean: a key that opens from the toolbar (the metric has its own legend). */
function key(): HTMLElement {
  const details = element("details", "ts-key");
  const summary = element("summary", "ts-key-summary");
  summary.textContent = "Key";
  const list = element("ul", "ts-key-list");
  const entries: [string, string][] = [
    ["io", "input or output of the model"],
    ["layer", "a layer: a module call or a tensor op (type, name, output shape)"],
    ["group", "▸ a collapsed module group (layers inside, params, FLOPs)"],
    ["fold", "▸ ×N identical blocks folded into one box"],
    ["frame", "▾ an expanded group around its children"],
    ["failed", "where the traced forward pass failed"],
    ["selected", "the selection, with its incoming and outgoing edges"],
  ];
  for (const [kind, text] of entries) {
    const item = element("li", "ts-key-item");
    const swatch = element("span", `ts-swatch ts-swatch-${kind}`);
    item.append(swatch, document.createTextNode(text));
    list.append(item);
  }
  details.append(summary, list);
  return details;
}
