/**
 * The toolbar, one row in a 900 px notebook cell: model name, colour metric, depth, expand and
 * collapse all, fit, orientation, the table, and the "⋯" menu of rarer actions (js/views/menu.ts);
 * the search box follows. Toggles say what a click will do.
 */

import { largest } from "../graph/layout";
import { nonFiniteOrigin } from "../graph/values";
import type { Store, ViewState } from "../store";
import { button, element, options } from "./dom";
import { renderMenu } from "./menu";

export function renderToolbar(el: HTMLElement, store: Store): () => void {
  const bar = element("div", "ts-toolbar");
  const title = element("span", "ts-title");
  const action = (name: string, text: string, hint: string, run: () => void): HTMLButtonElement => {
    const made = button(name, text, hint);
    made.addEventListener("click", run);
    return made;
  };
  const orientation = action("orientation", "", "", () =>
    store.setOrientation(store.current.orientation === "TB" ? "LR" : "TB"),
  );
  const table = action("table", "Table", "", () => el.dispatchEvent(new Event("ts-toggle-table")));
  const depth = element("select", "ts-depth");
  depth.title = "Expand the module groups down to a depth";
  depth.addEventListener("change", () => {
    if (depth.value !== "") store.expandToDepth(Number(depth.value));
    depth.value = "";
  });
  const metric = element("select", "ts-metric");
  metric.title = "Colour the boxes by a statistic";
  metric.addEventListener("change", () => store.setMetric(metric.value));
  const menu = renderMenu(el, store);
  // a values trace with a NaN or an Inf: select (and so reveal and centre) the node that made it
  const firstNonFinite = action(
    "first-nonfinite",
    "First NaN",
    "Select the first node whose outputs hold a NaN or an Inf",
    () => {
      const origin = nonFiniteOrigin(store.current.graph);
      if (origin !== null) store.select(origin);
    },
  );
  bar.append(
    title,
    metric,
    depth,
    action("expand-all", "Expand all", "Open every module group", () => store.expandAll()),
    action("collapse-all", "Collapse all", "Close every module group", () => store.collapseAll()),
    action("fit", "Fit", "Show the whole diagram (f)", () => {
      el.querySelector(".ts-diagram")?.dispatchEvent(new Event("ts-fit"));
    }),
    orientation,
    table,
    firstNonFinite,
    menu.element,
  );
  el.append(bar);

  const showTable = (): void => {
    const hidden = el.dataset.table === "hidden";
    table.textContent = hidden ? "Show table" : "Hide table";
    table.title = hidden ? "Show the statistics table" : "Hide the statistics table";
  };
  el.addEventListener("ts-table-changed", showTable);

  const update = (state: ViewState): void => {
    title.textContent = state.graph.model.name;
    const notes = state.graph.model.notes ?? [];
    title.title = [state.graph.model.name, ...notes].join("\n");
    if (notes.length > 0) title.dataset.notes = notes.join("; ");
    const choices: [string, string][] = [
      ["", "Colour: none"],
      ...state.graph.columns
        .filter((c) => c.kind === "count" || c.kind === "bytes" || c.kind === "value")
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
    // the toggle names what it will do
    const tb = state.orientation === "TB";
    orientation.textContent = tb ? "Left → right" : "Top → bottom";
    orientation.title = tb
      ? "Lay the diagram out left to right (it runs top to bottom now)"
      : "Lay the diagram out top to bottom (it runs left to right now)";
    orientation.dataset.orientation = state.orientation;
    menu.update(state);
    showTable();
    firstNonFinite.hidden = nonFiniteOrigin(state.graph) === null;
  };
  update(store.current);
  const unsubscribe = store.subscribe(update);
  return () => {
    unsubscribe();
    el.removeEventListener("ts-table-changed", showTable);
    menu.dispose();
    bar.remove();
  };
}
