/**
 * Pure: the stats table's rows. Tree rows follow the diagram (one per visible box, expanded groups
 * included, in drawing order); flat rows list every leaf for global sorting. Sorting is stable and
 * keeps the tree (siblings are sorted among themselves); filtering keeps the ancestors of a match.
 */

import type { Column, GraphNode, StatValue } from "../types";
import { matcher } from "./search";
import { drawingOrder, type Hierarchy, type VisibleGraph } from "./visible";

export type RowKind = GraphNode["kind"] | "group" | "fold" | "container";

export interface Row {
  /** The visible box id in tree mode (`blocks.0×12` for a fold), the node id in flat mode. */
  id: string;
  /** What selecting the row selects. */
  select: string;
  kind: RowKind;
  /** The row's parent row in tree mode (an expanded group), or null. */
  parent: string | null;
  depth: number;
  op: string;
  label: string;
  /** Module path (or id), matched by the filter. */
  path: string;
  stats: Record<string, StatValue>;
  toggle: "expand" | "collapse" | null;
}

/** The columns of the table that are not statistics. */
export const NAME_KEYS = ["op", "label"] as const;
export type SortKey = (typeof NAME_KEYS)[number] | string;

export interface Sort {
  key: SortKey;
  descending: boolean;
}

export function treeRows(shown: VisibleGraph, hierarchy: Hierarchy): Row[] {
  const rows: Row[] = [];
  const depthOf = new Map<string, number>();
  for (const entry of drawingOrder(shown)) {
    if (entry.kind === "container") {
      const { container } = entry;
      const depth = container.parent === null ? 0 : (depthOf.get(container.parent) ?? 0) + 1;
      depthOf.set(container.id, depth);
      rows.push({
        id: container.id,
        select: container.id,
        kind: "container",
        parent: container.parent,
        depth,
        op: container.group.op,
        label: container.group.label,
        path: container.id,
        stats: container.group.stats,
        toggle: "collapse",
      });
      continue;
    }
    const { item } = entry;
    // a stub repeats a row shown elsewhere (its source, or bookkeeping listed in flat mode)
    if (item.kind === "stub") continue;
    const depth = item.parent === null ? 0 : (depthOf.get(item.parent) ?? 0) + 1;
    if (item.node !== undefined) {
      rows.push(nodeRow(item.node, item.parent, depth));
    } else if (item.kind === "fold") {
      const members = item.members ?? [];
      rows.push({
        id: item.id,
        select: members[0] ?? item.id,
        kind: "fold",
        parent: item.parent,
        depth,
        op: `${item.group?.op ?? ""} ×${members.length}`,
        label: `${members[0]} … ${members[members.length - 1]}`,
        path: members.join(" "),
        stats: sumStats(members.map((id) => hierarchy.groups.get(id)?.stats ?? {})),
        toggle: "expand",
      });
    } else {
      rows.push({
        id: item.id,
        select: item.id,
        kind: "group",
        parent: item.parent,
        depth,
        op: item.group?.op ?? "",
        label: item.group?.label ?? item.id,
        path: item.id,
        stats: item.group?.stats ?? {},
        toggle: "expand",
      });
    }
  }
  return rows;
}

export function flatRows(hierarchy: Hierarchy): Row[] {
  return hierarchy.graph.nodes.map((node) => nodeRow(node, null, 0));
}

function nodeRow(node: GraphNode, parent: string | null, depth: number): Row {
  return {
    id: node.id,
    select: node.id,
    kind: node.kind,
    parent,
    depth,
    op: node.op,
    label: node.label,
    path: node.module_path || node.id,
    stats: node.stats,
    toggle: null,
  };
}

/** Statistics of several blocks together: numbers add up; shapes and text are left out. */
function sumStats(all: readonly Record<string, StatValue>[]): Record<string, StatValue> {
  const total: Record<string, StatValue> = {};
  for (const stats of all) {
    for (const [key, value] of Object.entries(stats)) {
      if (typeof value === "number") total[key] = ((total[key] as number | undefined) ?? 0) + value;
    }
  }
  return total;
}

/** A row's value for sorting: numbers as they are, shapes by element count, text lower-cased. */
export function sortValue(
  row: Row,
  key: SortKey,
  columns: readonly Column[],
): number | string | null {
  if (key === "op" || key === "label") return row[key].toLowerCase();
  const value = row.stats[key];
  const column = columns.find((c) => c.key === key);
  if (value === undefined || value === null || value === "") return null;
  if (column?.kind === "shape" && Array.isArray(value)) {
    return value.reduce((sum, shape) => sum + shape.reduce((n, d) => n * d, 1), 0);
  }
  return typeof value === "number" ? value : String(value).toLowerCase();
}

/**
 * Rows sorted by `sort`, stable (ties keep call order); rows without a value go last in either
 * direction. A tree stays a tree: each group's children are sorted among themselves.
 */
export function sortRows(
  rows: readonly Row[],
  sort: Sort | null,
  columns: readonly Column[],
): Row[] {
  if (sort === null) return [...rows];
  const compare = (a: Row, b: Row): number => {
    const x = sortValue(a, sort.key, columns);
    const y = sortValue(b, sort.key, columns);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order =
      typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sort.descending ? -order : order;
  };
  const children = new Map<string | null, Row[]>();
  for (const row of rows) {
    const list = children.get(row.parent) ?? [];
    list.push(row);
    children.set(row.parent, list);
  }
  const sorted: Row[] = [];
  const emit = (parent: string | null): void => {
    // Array.prototype.sort is stable, so equal rows keep their call order
    for (const row of [...(children.get(parent) ?? [])].sort(compare)) {
      sorted.push(row);
      if (row.kind === "container") emit(row.id);
    }
  };
  emit(null);
  return sorted;
}

/** Rows matching `query` (the search's rule) by name, type or path, with the groups around them. */
export function filterRows(rows: readonly Row[], query: string): Row[] {
  const match = matcher(query);
  if (match === null || "error" in match) return [...rows];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const keep = new Set<string>();
  for (const row of rows) {
    if (![row.op, row.label, row.path, row.id].some(match.test)) continue;
    for (
      let id: string | null = row.id;
      id !== null && !keep.has(id);
      id = byId.get(id)?.parent ?? null
    ) {
      keep.add(id);
    }
  }
  return rows.filter((r) => keep.has(r.id));
}
