/**
 * What the views add for a diff payload (two models merged): the key to the status colours above
 * the diagram, the details panel's comparison of both sides, and the table's "only differences"
 * switch and status marks. The logic is in js/graph/diff.ts; this module only builds the DOM.
 */

import { itemOf, KEY_ORDER, onlyDifferences, sideBySide, statusCounts } from "../graph/diff";
import type { Row } from "../graph/rows";
import type { ViewState } from "../store";
import type { DiffStatus } from "../types";
import { element } from "./dom";

const MEANING: Record<DiffStatus, string> = {
  added: "only in b",
  removed: "only in a (drawn from a)",
  changed: "differs",
  same: "same",
};

/** The key above the diagram: what each colour means and how many nodes have it. */
export function diffKey(state: ViewState): HTMLElement | null {
  const diff = state.graph.diff;
  if (diff === undefined) return null;
  const counts = statusCounts(diff, state.hierarchy.nodes.keys());
  const key = element("div", "ts-diff-key");
  const names = element("span", "ts-diff-names");
  names.textContent = `${diff.names[0]} → ${diff.names[1]}`;
  names.title = "a → b: the diagram is b's graph, with what only a has drawn in";
  key.append(names);
  for (const status of KEY_ORDER) {
    const entry = element("span", `ts-diff-entry ts-status-${status}`);
    entry.dataset.status = status;
    entry.title = `${status}: ${MEANING[status]}`;
    const swatch = element("span", "ts-diff-swatch");
    entry.append(swatch, document.createTextNode(`${counts[status]} ${status}`));
    key.append(entry);
  }
  return key;
}

/** The details panel's "Compared" section for the selected pair, or null outside a diff. */
export function comparison(state: ViewState): HTMLElement | null {
  const diff = state.graph.diff;
  if (diff === undefined || state.selected === "") return null;
  const item = itemOf(diff, state.selected);
  const wrapper = element("section", "ts-details-compare");
  wrapper.dataset.status = item.status;
  const title = element("h4", "ts-details-section");
  title.textContent = `Compared: ${item.status}${item.wrapper === true ? " (a wrapper)" : ""}`;
  const facts = element("table", "ts-details-facts");
  facts.append(
    tableRow("th", [`in ${diff.names[0]}`, item.a ?? "—"]),
    tableRow("th", [`in ${diff.names[1]}`, item.b ?? "—"]),
  );
  const sides = element("table", "ts-details-sides");
  sides.dataset.role = "sides";
  sides.append(tableRow("th", ["", diff.names[0], diff.names[1], "Δ"]));
  for (const line of sideBySide(state.graph, state.selected)) {
    const row = tableRow("td", [line.label, line.a, line.b, line.delta]);
    row.dataset.field = line.label;
    sides.append(row);
  }
  wrapper.append(title, facts, sides);
  return wrapper;
}

function tableRow(first: "th" | "td", cells: readonly string[]): HTMLTableRowElement {
  const row = document.createElement("tr");
  cells.forEach((text, i) => {
    const cell = document.createElement(i === 0 && first === "th" ? "th" : "td");
    cell.textContent = text;
    row.append(cell);
  });
  return row;
}

/** The table's columns shown by default in a diff: the deltas people compare models by. */
export const DIFF_COLUMNS = ["delta_params", "delta_macs", "delta_flops"] as const;

/** A table row's status: its node's or group's, a fold's rolled up over its blocks. */
export function rowStatus(state: ViewState, row: Row): DiffStatus | null {
  const diff = state.graph.diff;
  if (diff === undefined) return null;
  const members = foldMembers(state)(row.id);
  if (members === undefined) return itemOf(diff, row.select).status;
  const statuses = new Set(members.map((m) => itemOf(diff, m).status));
  return statuses.size === 1 ? ([...statuses][0] as DiffStatus) : "changed";
}

/** The rows of a diff that differ (all of them outside a diff, or with the switch off). */
export function differingRows(state: ViewState, rows: Row[], only: boolean): Row[] {
  const diff = state.graph.diff;
  if (diff === undefined || !only) return rows;
  return onlyDifferences(rows, diff, foldMembers(state));
}

const folds = new WeakMap<object, Map<string, string[]>>();

/** The blocks of each fold on screen, indexed once per visible graph. */
function foldMembers(state: ViewState): (id: string) => readonly string[] | undefined {
  let known = folds.get(state.visible);
  if (known === undefined) {
    known = new Map();
    for (const item of state.visible.items) {
      if (item.kind === "fold") known.set(item.id, item.members ?? []);
    }
    folds.set(state.visible, known);
  }
  const index = known;
  return (id) => index.get(id);
}

/** The "Only differences" switch of the table bar, hidden outside a diff. */
export function differencesSwitch(onChange: (only: boolean) => void): {
  element: HTMLElement;
  update(state: ViewState): void;
} {
  const label = element("label", "ts-only-differences");
  const box = element("input", "");
  box.type = "checkbox";
  box.dataset.action = "only-differences";
  label.title = "Show only the rows that differ between the two models";
  label.append(box, document.createTextNode(" Only differences"));
  box.addEventListener("change", () => onChange(box.checked));
  return {
    element: label,
    update(state) {
      label.hidden = state.graph.diff === undefined;
    },
  };
}
