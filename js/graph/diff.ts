/**
 * Pure: what a diff payload's views derive — the status of each box (a fold or collapsed group
 * rolls up what it holds), the roll-up line ("3 changed · +8 blocks · +1.20 GFLOPs"), the
 * diverging scale for colouring by a delta, the "only differences" filter and the two sides of a
 * pair for the details panel. Statuses themselves come from Python (`payload.diff.items`).
 */

import { formatCount, formatStat } from "../format";
import type {
  Column,
  DiffChange,
  DiffItem,
  DiffSection,
  DiffStatus,
  Payload,
  StatValue,
} from "../types";
import { metricScale, type Scale } from "./colour";
import type { Row } from "./rows";
import type { Entry, Hierarchy, Item } from "./visible";

/** The statuses in the order the key lists them. */
export const KEY_ORDER: readonly DiffStatus[] = ["added", "removed", "changed", "same"];

export const DELTA_PREFIX = "delta_";

const SAME: DiffItem = { status: "same", a: null, b: null };

export function itemOf(diff: DiffSection, id: string): DiffItem {
  return diff.items[id] ?? SAME;
}

/** What a collapsed group, or the blocks of a fold together, hold that differs. */
export interface RollUp {
  /** Nodes inside that changed. */
  changed: number;
  /** Nodes added or removed outside any added or removed block. */
  added: number;
  removed: number;
  /** Whole blocks added or removed (the outermost such groups; wrappers not counted). */
  addedBlocks: number;
  removedBlocks: number;
  /** The sum of the groups' delta of `metric`, when any has one. */
  delta: number | undefined;
}

/** Roll up `groups` (one collapsed group, or a fold's members): counts inside, summed delta. */
export function rollUp(
  hierarchy: Hierarchy,
  diff: DiffSection,
  groups: readonly string[],
  metric = "flops",
): RollUp {
  const result: RollUp = {
    changed: 0,
    added: 0,
    removed: 0,
    addedBlocks: 0,
    removedBlocks: 0,
    delta: undefined,
  };
  const visit = (id: string, inside: DiffStatus | null): void => {
    const item = itemOf(diff, id);
    const group = hierarchy.groups.get(id);
    if (group === undefined) {
      if (item.status === "changed") result.changed += 1;
      else if (item.status === "added" && inside !== "added") result.added += 1;
      else if (item.status === "removed" && inside !== "removed") result.removed += 1;
      return;
    }
    const block = (item.status === "added" || item.status === "removed") && item.wrapper !== true;
    if (block && inside !== item.status) {
      if (item.status === "added") result.addedBlocks += 1;
      else result.removedBlocks += 1;
    }
    const within = block ? item.status : inside;
    for (const child of group.children) visit(child, within);
  };
  for (const id of groups) {
    visit(id, null);
    const value = hierarchy.groups.get(id)?.stats[`${DELTA_PREFIX}${metric}`];
    if (typeof value === "number") result.delta = (result.delta ?? 0) + value;
  }
  return result;
}

/** "3 changed · +8 blocks · −2 · +1.20 GFLOPs", or "" when nothing inside differs. */
export function rollUpText(roll: RollUp, unit = "FLOPs"): string {
  const parts: string[] = [];
  if (roll.changed > 0) parts.push(`${roll.changed} changed`);
  if (roll.addedBlocks > 0) parts.push(`+${roll.addedBlocks} ${plural(roll.addedBlocks, "block")}`);
  if (roll.removedBlocks > 0) {
    parts.push(`−${roll.removedBlocks} ${plural(roll.removedBlocks, "block")}`);
  }
  if (roll.added > 0) parts.push(`+${roll.added} ${plural(roll.added, "layer")}`);
  if (roll.removed > 0) parts.push(`−${roll.removed} ${plural(roll.removed, "layer")}`);
  if (parts.length === 0) return "";
  if (roll.delta !== undefined && roll.delta !== 0) parts.push(signedCount(roll.delta, unit));
  return parts.join(" · ");
}

/** `+1.20 GFLOPs`, `−512 FLOPs`: a signed count with its unit. */
export function signedCount(value: number, unit: string): string {
  const sign = value > 0 ? "+" : value < 0 ? "−" : "";
  const text = formatCount(Math.abs(value));
  // "1.20 G" + "FLOPs" reads as one unit; a plain number keeps its space
  const glued = /[KMGT]$/.test(text) ? `${text}${unit}` : `${text} ${unit}`;
  return `${sign}${glued}`;
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

/** The status a box shows: a node's or group's own; a fold's when its blocks agree, else changed. */
export function boxStatus(diff: DiffSection, item: Item): DiffStatus {
  if (item.kind !== "fold") return itemOf(diff, item.id).status;
  const statuses = new Set((item.members ?? []).map((m) => itemOf(diff, m).status));
  return statuses.size === 1 ? ([...statuses][0] as DiffStatus) : "changed";
}

const LOG_SPAN = 100;

/**
 * A diverging scale for deltas: a signed strength in [−1, 1] (growth positive, savings negative),
 * log-spaced when the changes span decades; `min` is −`max`.
 */
export function deltaScale(values: readonly (number | undefined)[]): Scale {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v) || v === 0) continue;
    min = Math.min(min, Math.abs(v));
    max = Math.max(max, Math.abs(v));
  }
  if (max === 0) return { at: () => null, min: 0, max: 0, log: false };
  const log = max / min > LOG_SPAN;
  const at = (value: number | undefined): number | null => {
    if (typeof value !== "number" || !Number.isFinite(value) || value === 0) return null;
    const size = Math.abs(value);
    const t = max === min ? 1 : log ? Math.log(size / min) / Math.log(max / min) : size / max;
    // the smallest change still shows a tint, so "small" differs from "none"
    return Math.sign(value) * (0.15 + 0.85 * Math.min(1, Math.max(0, t)));
  };
  return { at, min: -max, max, log };
}

/**
 * The scale to shade a column by: diverging around zero for a delta column and for any column with
 * values below zero (a mean or a minimum of activations), the plain one otherwise. A plain scale
 * would leave every negative value unshaded.
 */
export function shadingScale(
  payload: Payload,
  key: string,
  values: readonly (number | undefined)[],
): Scale {
  return isDelta(payload, key) || values.some((v) => typeof v === "number" && v < 0)
    ? deltaScale(values)
    : metricScale(values);
}

/** What the diagram shows of a box in a diff: its status, and for a collapsed group its roll-up. */
export interface Decoration {
  status: DiffStatus;
  rollUp: string;
}

export function decorate(hierarchy: Hierarchy, diff: DiffSection, entry: Entry): Decoration {
  if (entry.kind === "container")
    return { status: itemOf(diff, entry.container.id).status, rollUp: "" };
  const { item } = entry;
  if (item.kind === "stub") return { status: itemOf(diff, item.of ?? item.id).status, rollUp: "" };
  if (item.kind === "node") return { status: itemOf(diff, item.id).status, rollUp: "" };
  const groups = item.kind === "fold" ? (item.members ?? []) : [item.id];
  return { status: boxStatus(diff, item), rollUp: rollUpText(rollUp(hierarchy, diff, groups)) };
}

/** Whether a column is a delta column of a diff payload. */
export function isDelta(payload: Payload, key: string): boolean {
  return payload.diff !== undefined && key in payload.diff.deltas;
}

/**
 * Table rows that differ: a row stays when its node or group is not `same`, or (a fold) when any
 * of its blocks is not. No ancestor needs keeping on its own: a group is `changed` whenever
 * anything inside it differs (Python rolls statuses up), so the tree stays whole.
 */
export function onlyDifferences(
  rows: readonly Row[],
  diff: DiffSection,
  foldMembers: (id: string) => readonly string[] | undefined,
): Row[] {
  return rows.filter((row) =>
    (foldMembers(row.id) ?? [row.id]).some((m) => itemOf(diff, m).status !== "same"),
  );
}

/** One line of the details panel's comparison: a statistic or a changed fact, on both sides. */
export interface SideBySide {
  label: string;
  a: string;
  b: string;
  delta: string;
}

/** Both sides of the pair `id` for every numeric column, then each other fact that changed. */
export function sideBySide(payload: Payload, id: string): SideBySide[] {
  const diff = payload.diff;
  const record = payload.nodes.find((n) => n.id === id) ?? payload.groups.find((g) => g.id === id);
  if (diff === undefined || record === undefined) return [];
  const item = itemOf(diff, id);
  const changes = new Map((item.changes ?? []).map((c) => [c.field, c]));
  const lines: SideBySide[] = [];
  for (const column of payload.columns) {
    if (column.kind !== "count" && column.kind !== "bytes") continue;
    if (isDelta(payload, column.key)) continue;
    const [a, b] = values(item, record.stats[column.key], changes.get(column.key));
    if (a === undefined && b === undefined) continue;
    const delta = record.stats[`${DELTA_PREFIX}${column.key}`];
    lines.push({
      label: column.label,
      a: a === undefined ? "—" : formatStat(column, a),
      b: b === undefined ? "—" : formatStat(column, b),
      delta: typeof delta === "number" ? signedStat(column, delta) : "",
    });
  }
  for (const change of item.changes ?? []) {
    if (change.field === "contents" || payload.columns.some((c) => c.key === change.field))
      continue;
    lines.push({ label: fieldLabel(change), a: plain(change.a), b: plain(change.b), delta: "" });
  }
  return lines;
}

/** A statistic's value on each side: b's is the record's; a's differs only where a change says so. */
function values(
  item: DiffItem,
  own: StatValue | undefined,
  change: DiffChange | undefined,
): [StatValue | undefined, StatValue | undefined] {
  if (item.status === "added") return [undefined, own];
  if (item.status === "removed") return [own, undefined];
  if (change !== undefined) return [change.a as StatValue, change.b as StatValue];
  return [own, own];
}

/** A delta as people read it: `+1.12 M`, `−584`, `+4.26 MiB`. */
export function formatDelta(column: Column, value: StatValue | undefined): string {
  return typeof value === "number" ? signedStat(column, value) : formatStat(column, value);
}

function signedStat(column: Column, value: number): string {
  const text = formatStat(column, Math.abs(value));
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

function fieldLabel(change: DiffChange): string {
  return change.field.replace(/^attrs\./, "");
}

/** A changed fact as text: tensors as `[1, 3, 224, 224] float32`, lists as `[3, 3]`. */
function plain(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value) && value.every((t) => Array.isArray(t) && Array.isArray(t[0]))) {
    return value.map((t) => `[${(t[0] as number[]).join(", ")}] ${String(t[1])}`).join(", ");
  }
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return String(value);
}

/** How many of `members` (every node and group by default) have each status: the key's counts. */
export function statusCounts(
  diff: DiffSection,
  members: Iterable<string> = Object.keys(diff.items),
): Record<DiffStatus, number> {
  const counts: Record<DiffStatus, number> = { same: 0, changed: 0, added: 0, removed: 0 };
  for (const member of members) counts[itemOf(diff, member).status] += 1;
  return counts;
}
