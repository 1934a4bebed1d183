/**
 * The details panel: everything known about the selected node or group — type, path, repr,
 * attributes, tensors, every statistic with its share of the model total, uncounted ops and the
 * trace error. Model strings are user data: text only, never markup.
 */

import { formatShape, formatShare, formatStat } from "../format";
import type { Store, ViewState } from "../store";
import type { GraphNode, Group, StatValue } from "../types";

export function renderDetails(el: HTMLElement, store: Store): () => void {
  const panel = document.createElement("aside");
  panel.className = "ts-details";
  el.append(panel);

  const update = (state: ViewState): void => {
    panel.replaceChildren();
    const node = state.hierarchy.nodes.get(state.selected);
    const group = state.hierarchy.groups.get(state.selected);
    panel.hidden = node === undefined && group === undefined;
    if (panel.hidden) return;
    panel.append(header(node ?? group, store));
    if (node !== undefined) nodeDetails(panel, node, state);
    else if (group !== undefined) groupDetails(panel, group, state);
    const notes = state.graph.model.notes ?? [];
    if (notes.length > 0) {
      panel.append(section("Model", text("div", "ts-details-notes", notes.join("; "))));
    }
  };
  update(store.current);
  const unsubscribe = store.subscribe(update);
  return () => {
    unsubscribe();
    panel.remove();
  };
}

function header(item: GraphNode | Group | undefined, store: Store): HTMLElement {
  const head = document.createElement("div");
  head.className = "ts-details-head";
  const title = text("span", "ts-details-title", item?.op ?? "");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "ts-button";
  close.dataset.action = "close-details";
  close.textContent = "×";
  close.title = "Clear the selection (Esc)";
  close.addEventListener("click", () => store.select(""));
  head.append(title, close);
  return head;
}

function nodeDetails(panel: HTMLElement, node: GraphNode, state: ViewState): void {
  const facts: [string, string][] = [
    ["id", node.id],
    ["kind", node.kind],
    ["module", node.module_path],
    ["in", node.parent ?? "(top level)"],
  ];
  const marked = state.visible.markers.get(node.id);
  if (marked !== undefined) {
    // drawn on an edge or as a stub, not as a box: say where, and how to see it as one
    facts.push(["drawn as", "a marker (◇) on its edge; ⋯ → Show bookkeeping ops draws a box"]);
  }
  const riding = state.visible.edges
    .filter((e) => e.target === node.id && e.via.length > 0)
    .map((e) => e.via.map((id) => state.hierarchy.nodes.get(id)?.op ?? id).join(" → "));
  if (riding.length > 0) facts.push(["inputs via", riding.join("; ")]);
  panel.append(
    table(
      "ts-details-facts",
      facts.filter(([, v]) => v !== ""),
    ),
  );
  if (node.error !== undefined)
    panel.append(section("Error", text("pre", "ts-details-error", node.error)));
  if (node.repr !== "") panel.append(section("Module", text("pre", "ts-details-repr", node.repr)));
  const attrs = Object.entries(node.attrs).map(([k, v]): [string, string] => [
    k,
    Array.isArray(v) ? formatShape(v) : String(v),
  ]);
  if (attrs.length > 0) panel.append(section("Attributes", table("ts-details-attrs", attrs)));
  const tensors = [
    ...node.inputs.map((t, i): [string, string] => [
      `input ${i}`,
      `${formatShape(t.shape)} ${t.dtype}`,
    ]),
    ...node.outputs.map((t, i): [string, string] => [
      `output ${i}`,
      `${formatShape(t.shape)} ${t.dtype}`,
    ]),
  ];
  if (tensors.length > 0) panel.append(section("Tensors", table("ts-details-tensors", tensors)));
  panel.append(section("Statistics", statsTable(node.stats, state)));
  if (node.uncounted.length > 0) {
    panel.append(
      section("Uncounted ops", text("div", "ts-details-uncounted", node.uncounted.join(", "))),
    );
  }
}

function groupDetails(panel: HTMLElement, group: Group, state: ViewState): void {
  const facts: [string, string][] = [
    ["id", group.id],
    ["kind", group.kind === "structure" ? `structure (${group.op})` : "module group"],
    ["in", group.parent ?? "(top level)"],
    ["children", String(group.children.length)],
  ];
  if (group.repeat_of !== undefined) facts.push(["repeats", group.repeat_of]);
  panel.append(table("ts-details-facts", facts));
  panel.append(section("Statistics (whole group)", statsTable(group.stats, state)));
}

function statsTable(stats: Record<string, StatValue>, state: ViewState): HTMLTableElement {
  const rows: [string, string, string][] = [];
  for (const column of state.graph.columns) {
    if (!(column.key in stats) || column.kind === "shape" || column.kind === "text") continue;
    const value = stats[column.key];
    const share = column.kind === "count" || column.kind === "bytes";
    rows.push([
      column.label,
      formatStat(column, value),
      share ? formatShare(value, state.graph.totals[column.key]) : "",
    ]);
  }
  const element = table("ts-details-stats", rows);
  element.dataset.role = "stats";
  return element;
}

function section(title: string, body: HTMLElement): HTMLElement {
  const wrapper = document.createElement("section");
  wrapper.append(text("h4", "ts-details-section", title), body);
  return wrapper;
}

function table(className: string, rows: readonly (readonly string[])[]): HTMLTableElement {
  const element = document.createElement("table");
  element.className = className;
  for (const cells of rows) {
    const tr = document.createElement("tr");
    cells.forEach((cell, i) => {
      tr.append(text(i === 0 ? "th" : "td", "", cell));
    });
    element.append(tr);
  }
  return element;
}

function text<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  content: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== "") element.className = className;
  element.textContent = content;
  return element;
}
