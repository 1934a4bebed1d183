/**
 * Pure: a payload indexed once — groups and nodes by id, the parent and depth of each, the
 * top-level members in call order, and which groups stand for returned structures.
 */

import type { GraphNode, Group, Payload } from "../types";

export class Hierarchy {
  readonly groups = new Map<string, Group>();
  readonly nodes = new Map<string, GraphNode>();
  /** Top-level members (groups and nodes without a parent) in call order, as traced. */
  readonly roots: string[] = [];
  private readonly depths = new Map<string, number>();

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

  /** How many groups enclose `id` (0 at the top level); computed once per id. */
  depth(id: string): number {
    const known = this.depths.get(id);
    if (known !== undefined) return known;
    const parent = this.parentOf(id);
    const depth = parent === null ? 0 : this.depth(parent) + 1;
    this.depths.set(id, depth);
    return depth;
  }

  /** Whether a group stands for a returned (or passed-in) structure rather than a module call. */
  isStructure(id: string): boolean {
    return this.groups.get(id)?.kind === "structure";
  }
}
