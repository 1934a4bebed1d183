/**
 * The details panel: everything known about the selected node or group — type, path, repr,
 * attributes, tensors, every statistic with its share of the model total, uncounted ops, the
 * assumptions an estimate rests on, and the trace error. Model strings are user data: text only,
 * never markup.
 */

import { formatShape, formatShare, formatStat, formatValue } from "../format";
import { isDelta } from "../graph/diff";
import { nodeHistograms, nonFiniteOrigin } from "../graph/values";
import type { Store, ViewState } from "../store";
import type { AttrValue, GraphNode, Group, StatValue } from "../types";
import { comparison } from "./compare";
import { histogramChart } from "./histogram";

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
    const compared = comparison(state);
    if (compared !== null) panel.append(compared);
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
  if (nonFiniteOrigin(state.graph) === node.id) {
    facts.push(["NaN / Inf", "the first node whose outputs hold one"]);
  }
  panel.append(
    table(
      "ts-details-facts",
      facts.filter(([, v]) => v !== ""),
    ),
  );
  if (node.error !== undefined)
    panel.append(section("Error", text("pre", "ts-details-error", node.error)));
  if (node.repr !== "") panel.append(section("Module", text("pre", "ts-details-repr", node.repr)));
  attributes(panel, node.attrs);
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
  values(panel, node, state);
  if (node.uncounted.length > 0) {
    panel.append(
      section("Uncounted ops", text("div", "ts-details-uncounted", node.uncounted.join(", "))),
    );
  }
  estimated(panel, node.estimated);
}

/** A values trace's histograms of the node (inputs, outputs, parameters) and its parameters' figures. */
function values(panel: HTMLElement, node: GraphNode, state: ViewState): void {
  const charted = nodeHistograms(state.graph, node.id);
  if (charted.length === 0) return;
  const linear = state.graph.model.values?.linear ?? 1e-3;
  const charts = document.createElement("div");
  charts.className = "ts-details-histograms";
  for (const one of charted) charts.append(histogramChart(one, linear));
  panel.append(section("Values (symmetric log scale)", charts));
  const show = (v: number | null): string => (v === null ? "–" : formatValue(v));
  const params = (node.values?.params ?? []).map((p): [string, string] => [
    p.name,
    `mean ${show(p.mean)} · std ${show(p.std)} · norm ${show(p.norm)} · zeros ${show(p.zeros)}` +
      (p.nan + p.inf > 0 ? ` · NaN ${p.nan} · Inf ${p.inf}` : ""),
  ]);
  if (params.length > 0) panel.append(section("Parameters", table("ts-details-params", params)));
}

/** The assumptions a node's or group's counts rest on: they are estimates, and this says of what. */
function estimated(panel: HTMLElement, assumptions: readonly string[] | undefined): void {
  if (assumptions === undefined || assumptions.length === 0) return;
  const list = document.createElement("ul");
  list.className = "ts-details-estimated";
  for (const assumption of assumptions) list.append(text("li", "", assumption));
  panel.append(section("Estimated (≈), assuming", list));
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
  attributes(panel, group.attrs ?? {});
  const routed = group.attrs?.experts !== undefined;
  const title = routed ? "Statistics (whole group; MACs as routed)" : "Statistics (whole group)";
  panel.append(section(title, statsTable(group.stats, state)));
  estimated(panel, group.estimated);
}

function attributes(panel: HTMLElement, attrs: Record<string, AttrValue>): void {
  const rows = Object.entries(attrs).map(([k, v]): [string, string] => [
    k,
    Array.isArray(v) ? formatShape(v) : String(v),
  ]);
  if (rows.length > 0) panel.append(section("Attributes", table("ts-details-attrs", rows)));
}

function statsTable(stats: Record<string, StatValue>, state: ViewState): HTMLTableElement {
  const rows: [string, string, string][] = [];
  for (const column of state.graph.columns) {
    if (!(column.key in stats) || column.kind === "shape" || column.kind === "text") continue;
    // a diff's deltas are in the comparison above, beside both sides
    if (isDelta(state.graph, column.key)) continue;
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
