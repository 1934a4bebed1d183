/**
 * Pure: graph + expanded groups → the visible graph. A collapsed group is one box standing for
 * everything inside it; an expanded group is a container around its visible children; runs of
 * identical collapsed sibling groups (the tracer's `repeat_of`) can fold into one `×N` box.
 */

import type { Edge, GraphNode, Group, Payload } from "../types";

export type ItemKind = "node" | "group" | "fold";

/** One box in the diagram: a node, a collapsed group, or a fold of repeated groups. */
export interface Item {
  id: string;
  kind: ItemKind;
  /** The expanded group it sits in, or null at the top level. */
  parent: string | null;
  /** A node's record, for kind "node". */
  node?: GraphNode;
  /** The collapsed group (the first of the run for a fold). */
  group?: Group;
  /** For a fold: the groups it stands for, in order. */
  members?: string[];
}

/** An expanded group, drawn as a container around its visible children. */
export interface Container {
  id: string;
  group: Group;
  parent: string | null;
  /** Visible children in call order: items and nested containers. */
  children: string[];
}

/** An edge between two visible boxes, standing for `count` payload edges. */
export interface VisibleEdge {
  source: string;
  target: string;
  shape: number[];
  dtype: string;
  count: number;
}

export interface VisibleGraph {
  /** Top-level boxes and containers, in call order (a container's children are in its own list). */
  roots: string[];
  items: Item[];
  containers: Container[];
  edges: VisibleEdge[];
  /** For every payload node and group: the id of the box that shows it now. */
  representative: Map<string, string>;
}

export interface VisibleOptions {
  /** Fold runs of identical collapsed sibling groups into one `×N` box. */
  fold?: boolean;
}

/** Indexes a payload once: parents, children and depth of every node and group. */
export class Hierarchy {
  readonly groups = new Map<string, Group>();
  readonly nodes = new Map<string, GraphNode>();
  /** Top-level members (groups and nodes without a parent) in call order, as traced. */
  readonly roots: string[] = [];

  constructor(readonly graph: Payload) {
    for (const group of graph.groups) this.groups.set(group.id, group);
    for (const node of graph.nodes) this.nodes.set(node.id, node);
    this.roots.push(...graph.roots);
  }

  parentOf(id: string): string | null {
    return this.groups.get(id)?.parent ?? this.nodes.get(id)?.parent ?? null;
  }

  /** Enclosing groups of a node or group, innermost first. */
  ancestors(id: string): string[] {
    const found: string[] = [];
    for (let parent = this.parentOf(id); parent !== null; parent = this.parentOf(parent)) {
      found.push(parent);
    }
    return found;
  }

  depth(id: string): number {
    return this.ancestors(id).length;
  }
}

/** The groups to expand so that `id` is visible (its ancestors), added to `expanded`. */
export function reveal(hierarchy: Hierarchy, expanded: Iterable<string>, id: string): string[] {
  const result = new Set(expanded);
  for (const group of hierarchy.ancestors(id)) result.add(group);
  return [...result];
}

/**
 * The deepest uniform expansion that keeps at most `budget` boxes visible: expand every group
 * at depth 0, then 1, ... while the count stays within the budget. A huge model opens collapsed
 * to its top-level blocks; a small one opens fully.
 */
export function defaultExpanded(hierarchy: Hierarchy, budget = 300): string[] {
  let expanded: string[] = [];
  for (let depth = 0; ; depth += 1) {
    const level = hierarchy.graph.groups
      .filter((g) => hierarchy.depth(g.id) === depth)
      .map((g) => g.id);
    if (level.length === 0) return expanded;
    const next = [...expanded, ...level];
    if (visible(hierarchy, next, { fold: true }).items.length > budget) return expanded;
    expanded = next;
  }
}

export function visible(
  hierarchy: Hierarchy,
  expanded: Iterable<string>,
  options: VisibleOptions = {},
): VisibleGraph {
  const open = new Set(expanded);
  const items: Item[] = [];
  const containers: Container[] = [];
  const representative = new Map<string, string>();

  const cover = (groupId: string, box: string): void => {
    representative.set(groupId, box);
    for (const child of hierarchy.groups.get(groupId)?.children ?? []) {
      if (hierarchy.groups.has(child)) cover(child, box);
      else representative.set(child, box);
    }
  };

  const place = (members: readonly string[], parent: string | null): string[] => {
    const shown: string[] = [];
    for (let i = 0; i < members.length; i += 1) {
      const id = members[i] as string;
      const group = hierarchy.groups.get(id);
      if (group === undefined) {
        const node = hierarchy.nodes.get(id);
        if (node === undefined) continue;
        items.push({ id, kind: "node", parent, node });
        representative.set(id, id);
        shown.push(id);
        continue;
      }
      if (open.has(id)) {
        const container: Container = { id, group, parent, children: [] };
        containers.push(container);
        representative.set(id, id);
        container.children = place(group.children, id);
        shown.push(id);
        continue;
      }
      const run = options.fold ? repeatRun(hierarchy, members, i, open) : [id];
      if (run.length > 1) {
        const foldId = `${id}×${run.length}`;
        items.push({ id: foldId, kind: "fold", parent, group, members: run });
        for (const member of run) cover(member, foldId);
        shown.push(foldId);
        i += run.length - 1;
      } else {
        items.push({ id, kind: "group", parent, group });
        cover(id, id);
        shown.push(id);
      }
    }
    return shown;
  };

  const roots = place(hierarchy.roots, null);
  return {
    roots,
    items,
    containers,
    edges: visibleEdges(hierarchy.graph.edges, representative),
    representative,
  };
}

/** The run of collapsed siblings starting at `members[start]` that repeat the same block. */
function repeatRun(
  hierarchy: Hierarchy,
  members: readonly string[],
  start: number,
  open: Set<string>,
): string[] {
  // every repeat names the first sibling of its kind, so a run is a stretch sharing that name
  const kind = (id: string): string | undefined => {
    const group = hierarchy.groups.get(id);
    return group === undefined ? undefined : (group.repeat_of ?? group.id);
  };
  const first = members[start] as string;
  const run = [first];
  for (let j = start + 1; j < members.length; j += 1) {
    const id = members[j] as string;
    if (open.has(id) || kind(id) === undefined || kind(id) !== kind(first)) break;
    run.push(id);
  }
  return run;
}

function visibleEdges(edges: readonly Edge[], representative: Map<string, string>): VisibleEdge[] {
  const merged = new Map<string, VisibleEdge>();
  for (const edge of edges) {
    const source = representative.get(edge.source);
    const target = representative.get(edge.target);
    if (source === undefined || target === undefined || source === target) continue;
    const key = `${source}\u0000${target}`;
    const known = merged.get(key);
    if (known === undefined) {
      merged.set(key, { source, target, shape: edge.shape, dtype: edge.dtype, count: 1 });
    } else {
      known.count += 1;
    }
  }
  return [...merged.values()];
}

export type Entry = { kind: "item"; item: Item } | { kind: "container"; container: Container };

/** Boxes in drawing order: each container before its children, depth first (the table's rows too). */
export function drawingOrder(shown: VisibleGraph): Entry[] {
  const items = new Map(shown.items.map((i) => [i.id, i]));
  const containers = new Map(shown.containers.map((c) => [c.id, c]));
  const order: Entry[] = [];
  const visit = (id: string): void => {
    const container = containers.get(id);
    if (container !== undefined) {
      order.push({ kind: "container", container });
      for (const child of container.children) visit(child);
      return;
    }
    const item = items.get(id);
    if (item !== undefined) order.push({ kind: "item", item });
  };
  for (const id of shown.roots) visit(id);
  return order;
}
