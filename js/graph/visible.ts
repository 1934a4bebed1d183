/**
 * Pure: graph + expanded groups → the visible graph. A collapsed group is one box standing for
 * everything inside it; an expanded group is a container around its visible children; runs of
 * identical collapsed sibling groups (the tracer's `repeat_of`) can fold into one `×N` box.
 * Bookkeeping ops ride on the edges they sit on (js/graph/bookkeeping.ts), and a side input that
 * feeds many blocks is drawn as a short stub at each of them (js/graph/broadcast.ts).
 */

import { isBookkeeping } from "./bookkeeping";
import { stubBroadcasts } from "./broadcast";
import { contract, type Lead } from "./contract";
import type { Hierarchy } from "./hierarchy";
import { addStub, type Container, type Item, type Stub, type VisibleGraph } from "./shown";

export { Hierarchy } from "./hierarchy";
export type { Container, Item, ItemKind, Stub, VisibleEdge, VisibleGraph } from "./shown";

export interface VisibleOptions {
  /** Fold runs of identical collapsed sibling groups into one `×N` box. */
  fold?: boolean;
  /** Draw bookkeeping ops as boxes (true) or as markers on their edges (false, the default). */
  bookkeeping?: boolean;
  /** Draw side inputs that feed many blocks as stubs (true, the default). */
  stubs?: boolean;
}

/** The groups to expand so that `id` is visible (its ancestors), added to `expanded`. */
export function reveal(hierarchy: Hierarchy, expanded: Iterable<string>, id: string): string[] {
  const result = new Set(expanded);
  for (const group of hierarchy.ancestors(id)) result.add(group);
  return [...result];
}

/** Whether `id` is shown as it is: as its own box, or as a marker of a bookkeeping op. */
export function isShown(shown: VisibleGraph, id: string): boolean {
  return shown.representative.get(id) === id || shown.markers.has(id);
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
  const hidden = new Set<string>();
  const showOps = options.bookkeeping ?? false;

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
        if (!showOps && isBookkeeping(node)) {
          hidden.add(id);
          continue;
        }
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
  const contracted = contract(hierarchy.graph, representative, hidden);
  const graph: VisibleGraph = {
    roots,
    items,
    containers,
    edges: contracted.edges,
    representative,
    markers: contracted.markers,
  };
  for (const lead of contracted.leads) addStub(graph, leadStub(lead, hierarchy));
  for (const [node, box] of contracted.downstream) representative.set(node, box);
  if (options.stubs ?? true) stubBroadcasts(graph, hierarchy);
  return graph;
}

/** A stub in front of `consumer` naming a bookkeeping chain that has no visible input. */
function leadStub(lead: Lead, hierarchy: Hierarchy): Stub {
  const ops = lead.chain.map((id) => hierarchy.nodes.get(id)?.op ?? id);
  return {
    id: `stub:${lead.chain[0]}>${lead.consumer}`,
    of: lead.chain[0] as string,
    label: ops.join(" → "),
    consumer: lead.consumer,
    edge: lead.edge,
    marks: lead.chain,
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
