/** The toolbar: model name and the orientation toggle, wired to store actions. */

import type { Store, ViewState } from "../store";

export function renderToolbar(el: HTMLElement, store: Store): () => void {
  const bar = document.createElement("div");
  bar.className = "ts-toolbar";
  const title = document.createElement("span");
  title.className = "ts-title";
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "ts-button";
  toggle.dataset.action = "orientation";
  toggle.addEventListener("click", () =>
    store.setOrientation(store.current.orientation === "TB" ? "LR" : "TB"),
  );
  const action = (name: string, text: string, hint: string, run: () => void): HTMLButtonElement => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ts-button";
    button.dataset.action = name;
    button.textContent = text;
    button.title = hint;
    button.addEventListener("click", run);
    return button;
  };
  const depth = document.createElement("select");
  depth.className = "ts-depth";
  depth.title = "Expand the module groups down to a depth";
  depth.addEventListener("change", () => {
    if (depth.value !== "") store.expandToDepth(Number(depth.value));
    depth.value = "";
  });
  const exporter = document.createElement("select");
  exporter.className = "ts-export";
  exporter.title = "Download the diagram as it is drawn now (all of it)";
  const exportChoices: [string, string][] = [
    ["", "Export…"],
    ["svg", "SVG (vector)"],
    ["png:1", "PNG 1×"],
    ["png:2", "PNG 2×"],
    ["png:4", "PNG 4×"],
  ];
  exporter.append(
    ...exportChoices.map(([value, text]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      return option;
    }),
  );
  exporter.addEventListener("change", () => {
    const [format, scale] = exporter.value.split(":");
    exporter.value = "";
    if (format !== "svg" && format !== "png") return;
    el.querySelector(".ts-diagram")?.dispatchEvent(
      new CustomEvent("ts-export", { detail: { format, scale: Number(scale ?? 1) } }),
    );
  });
  const metric = document.createElement("select");
  metric.className = "ts-metric";
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
    metric.replaceChildren(
      ...choices.map(([value, text]) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        return option;
      }),
    );
    metric.value = state.metric;
    const deepest = Math.max(0, ...state.graph.groups.map((g) => state.hierarchy.depth(g.id) + 1));
    depth.replaceChildren(
      ...["", ...Array.from({ length: deepest + 1 }, (_, n) => String(n))].map((value) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = value === "" ? "Depth…" : `Depth ${value}`;
        return option;
      }),
    );
    depth.value = "";
    toggle.textContent = state.orientation === "TB" ? "Top → bottom" : "Left → right";
    toggle.title = "Switch between top-to-bottom and left-to-right layout";
  };
  update(store.current);
  const unsubscribe = store.subscribe(update);
  return () => {
    unsubscribe();
    bar.remove();
  };
}
