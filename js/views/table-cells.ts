/**
 * The table's cells: one column's value humanised (the exact number in its tooltip), shaded by the
 * colour metric, marked `≈` when it rests on an assumption, and the name cell's indent and
 * expand/collapse handle. Model strings are user data: text only.
 */

import { formatStat } from "../format";
import { formatDelta } from "../graph/diff";
import type { Row } from "../graph/rows";
import type { Column, StatValue } from "../types";
import { element } from "./dom";

export interface TableColumn {
  key: string;
  label: string;
  /** A statistic column of the payload, or one of the table's own (type, name, share). */
  column: Column | null;
  width: string;
  numeric: boolean;
  /** A diff's delta column: its numbers carry a sign. */
  signed?: boolean;
}

export function number(value: StatValue | undefined): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** One cell: the humanised value, the exact one on hover, shaded when it is the metric's column. */
export function cellFor(
  c: TableColumn,
  value: StatValue | undefined,
  exact: StatValue | undefined,
  strength: number | null,
): HTMLElement {
  const cell = element("div", `ts-cell${c.numeric ? " ts-num" : ""}`);
  cell.setAttribute("role", "gridcell");
  cell.dataset.key = c.key;
  cell.textContent =
    c.column === null
      ? value === undefined || value === null
        ? ""
        : String(value)
      : (c.signed ? formatDelta : formatStat)(c.column, value);
  if (typeof exact === "number") {
    cell.title = `${exact.toLocaleString("en-US")}${c.column?.unit ? ` ${c.column.unit}` : ""}`;
  } else if (cell.textContent !== "") {
    cell.title = cell.textContent;
  }
  if (strength !== null) {
    // a delta that went down is shaded in the cool colour
    const colour = strength < 0 ? "--ts-cool" : "--ts-heat";
    cell.style.background = `color-mix(in srgb, var(${colour}) ${Math.round(Math.abs(strength) * 100)}%, transparent)`;
    cell.dataset.metricStrength = String(Math.round(strength * 100));
  }
  return cell;
}

/** Counts that rest on an assumption read `≈`, and say which in their tooltip. */
export function markEstimated(
  cell: HTMLElement,
  c: TableColumn,
  assumptions: readonly string[],
): HTMLElement {
  if (assumptions.length === 0 || (c.key !== "macs" && c.key !== "flops")) return cell;
  cell.textContent = `≈${cell.textContent ?? ""}`;
  cell.title = `${cell.title}\nestimated, assuming ${assumptions.join("; ")}`;
  cell.classList.add("ts-estimated");
  return cell;
}

/** The assumptions the model's totals rest on (the `estimated` text column, `; `-separated). */
export function estimates(totals: Record<string, StatValue>): string[] {
  const listed = totals.estimated;
  return typeof listed === "string" && listed !== "" ? listed.split("; ") : [];
}

/** The name cell of a tree row: indented by depth, with the group's expand/collapse handle. */
export function decorateName(cell: HTMLElement, row: Row): void {
  cell.style.paddingLeft = `${6 + row.depth * 14}px`;
  if (row.toggle === null) return;
  const handle = element("span", "ts-toggle");
  handle.dataset.action = "toggle";
  handle.textContent = row.toggle === "collapse" ? "▾ " : "▸ ";
  handle.title = row.toggle === "collapse" ? "Collapse" : "Expand";
  cell.prepend(handle);
}
