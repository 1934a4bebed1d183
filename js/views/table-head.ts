/**
 * The table's columns and the lines around its rows: which columns exist (the table's own type,
 * name and share, plus every numeric or shape column of the payload), the header that sorts, the
 * totals line, and the chooser that shows or hides a column.
 */

import { isDelta } from "../graph/diff";
import type { Sort } from "../graph/rows";
import type { ViewState } from "../store";
import { cellFor, estimates, markEstimated, type TableColumn } from "./table-cells";

/** The statistics of a values trace shown from the start (the chooser offers min, max, zeros too). */
export const VALUE_COLUMNS = ["value_mean", "value_std", "value_absmax", "value_nan", "value_inf"];

/** The columns a table opens with (a diff adds its deltas, a values trace what flowed through). */
export const DEFAULT_COLUMNS: ReadonlySet<string> = new Set([
  "op",
  "label",
  "output_shapes",
  "params",
  "macs",
  "flops",
  "activation_bytes",
  // a training trace's: what each layer keeps for the backward, beside the step's timeline
  "saved_bytes",
  "latency_ms",
  "share",
]);

/**
 * The column the share column divides: the sorted one when it is a count or bytes, else the
 * colour metric when it is, else FLOPs.
 */
export function shareKey(state: ViewState, sort: Sort | null): string {
  const numeric = (key: string | undefined): boolean =>
    state.graph.columns.some((c) => c.key === key && (c.kind === "count" || c.kind === "bytes"));
  if (numeric(sort?.key)) return sort?.key ?? "flops";
  return numeric(state.metric) ? state.metric : "flops";
}

/** Every column the table can show, in order. */
export function allColumns(state: ViewState, sort: Sort | null): TableColumn[] {
  const stat = state.graph.columns
    .filter((c) => c.kind !== "text")
    .map(
      (c): TableColumn => ({
        key: c.key,
        label: c.label,
        column: c,
        width: c.kind === "shape" ? "minmax(120px, 1.2fr)" : "minmax(80px, 0.8fr)",
        numeric: c.kind !== "shape",
        signed: isDelta(state.graph, c.key),
      }),
    );
  const share = state.graph.columns.find((c) => c.key === shareKey(state, sort));
  return [
    { key: "op", label: "Type", column: null, width: "minmax(110px, 1fr)", numeric: false },
    { key: "label", label: "Name", column: null, width: "minmax(180px, 2fr)", numeric: false },
    ...stat,
    {
      key: "share",
      label: `% ${share?.label ?? "FLOPs"}`,
      column: null,
      width: "minmax(70px, 0.6fr)",
      numeric: true,
    },
  ];
}

/** The least width the shown columns need: rows are positioned absolutely, so the lines carry it. */
export function leastWidth(columns: readonly TableColumn[]): number {
  return columns.reduce((sum, c) => sum + Number(/\d+/.exec(c.width)?.[0] ?? 80), 0);
}

/** One checkbox per column; `onChange` gets the column and whether it is now shown. */
export function renderChooser(
  choices: HTMLElement,
  all: readonly TableColumn[],
  shown: ReadonlySet<string>,
  onChange: (key: string, show: boolean) => void,
): void {
  choices.replaceChildren(
    ...all.map((c) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = shown.has(c.key);
      box.dataset.column = c.key;
      box.addEventListener("change", () => onChange(c.key, box.checked));
      label.append(box, document.createTextNode(` ${c.label}`));
      return label;
    }),
  );
}

/** The header line: each cell names its column, shows the sort, and sorts on a click. */
export function renderHead(
  head: HTMLElement,
  columns: readonly TableColumn[],
  sort: Sort | null,
  onSort: (c: TableColumn) => void,
): void {
  head.replaceChildren(
    ...columns.map((c) => {
      const cell = document.createElement("div");
      cell.className = `ts-cell ts-head-cell${c.numeric ? " ts-num" : ""}`;
      cell.dataset.key = c.key;
      cell.setAttribute("role", "columnheader");
      const active = sort?.key === c.key;
      const arrow = sort?.descending ? " ▼" : " ▲";
      cell.setAttribute(
        "aria-sort",
        active ? (sort?.descending ? "descending" : "ascending") : "none",
      );
      cell.textContent = `${c.label}${active ? arrow : ""}`;
      cell.title = `Sort by ${c.label}`;
      // a share is of one column: sorting by it is sorting by that column
      if (c.key !== "share") cell.addEventListener("click", () => onSort(c));
      return cell;
    }),
  );
}

/** The totals line, at the bottom of the scroller. */
export function renderFoot(
  foot: HTMLElement,
  columns: readonly TableColumn[],
  state: ViewState,
): void {
  const totals = state.graph.totals;
  foot.replaceChildren(
    ...columns.map((c) => {
      const value = c.key === "label" ? "Total" : c.key === "share" ? "100%" : totals[c.key];
      return markEstimated(cellFor(c, value, totals[c.key], null), c, estimates(totals));
    }),
  );
}
