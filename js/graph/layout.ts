/**
 * Pure layout: visible graph + orientation → positions. Each expanded group's interior is laid
 * out on its own as a small layered graph (dagre), its expanded subgroups first as boxes of their
 * own size, and the results are composed; so no layout ever sees the whole model at once.
 * Measured on these machines (see the notes of the diagram issue): dagre per group takes tens of
 * milliseconds where a flat layout of a 3,700-node model overflows dagre's stack.
 */

import dagre from "@dagrejs/dagre";
import type { Orientation } from "../types";
import type { VisibleGraph } from "./visible";

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  /** Every item and every expanded group (its frame), in drawing coordinates. */
  boxes: Map<string, Box>;
  width: number;
  height: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 56;
/** Room for a group's title bar above its interior, and around its interior. */
export const HEADER = 28;
export const PADDING = 14;
const MARGIN = 16;

interface Sized {
  width: number;
  height: number;
  /** Positions relative to the group's own top-left corner. */
  inner: Map<string, Box>;
}

export function layeredLayout(shown: VisibleGraph, orientation: Orientation): Layout {
  const parent = new Map<string, string | null>();
  for (const item of shown.items) parent.set(item.id, item.parent);
  for (const container of shown.containers) parent.set(container.id, container.parent);
  const containers = new Map(shown.containers.map((c) => [c.id, c]));

  /** The member of `scope` (a container, or the top level) that contains visible box `id`. */
  const childOf = (id: string, scope: string | null): string | null => {
    let current: string | null = id;
    while (current !== null) {
      const up: string | null = parent.get(current) ?? null;
      if (up === scope) return current;
      current = up;
    }
    return null;
  };

  const arrange = (scope: string | null, members: readonly string[]): Sized => {
    const sizes = new Map<string, Sized>();
    for (const id of members) {
      const container = containers.get(id);
      sizes.set(
        id,
        container === undefined
          ? { width: NODE_WIDTH, height: NODE_HEIGHT, inner: new Map() }
          : arrange(id, container.children),
      );
    }
    const g = new dagre.graphlib.Graph({ multigraph: false });
    g.setGraph({ rankdir: orientation, nodesep: 24, ranksep: 36, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    // members come in call order, so that ties keep the order in which the model ran them
    for (const id of members) {
      const size = sizes.get(id);
      g.setNode(id, { width: size?.width ?? NODE_WIDTH, height: size?.height ?? NODE_HEIGHT });
    }
    for (const edge of shown.edges) {
      const a = childOf(edge.source, scope);
      const b = childOf(edge.target, scope);
      if (a !== null && b !== null && a !== b && !g.hasEdge(a, b)) g.setEdge(a, b);
    }
    dagre.layout(g);
    const inner = new Map<string, Box>();
    let width = 0;
    let height = 0;
    for (const id of members) {
      const node = g.node(id);
      const size = sizes.get(id);
      if (node === undefined || size === undefined) continue;
      const x = node.x - size.width / 2;
      const y = node.y - size.height / 2;
      inner.set(id, { id, x, y, width: size.width, height: size.height });
      for (const [childId, box] of size.inner) {
        inner.set(childId, { ...box, x: box.x + x, y: box.y + y });
      }
      width = Math.max(width, x + size.width);
      height = Math.max(height, y + size.height);
    }
    if (scope === null) return { width, height, inner };
    // a group's frame: its interior moved below the title bar and inside the padding
    const shifted = new Map<string, Box>();
    for (const [id, box] of inner)
      shifted.set(id, { ...box, x: box.x + PADDING, y: box.y + HEADER });
    return {
      width: Math.max(width + 2 * PADDING, NODE_WIDTH),
      height: height + HEADER + PADDING,
      inner: shifted,
    };
  };

  const root = arrange(null, shown.roots);
  const boxes = new Map<string, Box>();
  for (const [id, box] of root.inner)
    boxes.set(id, { ...box, x: box.x + MARGIN, y: box.y + MARGIN });
  return { boxes, width: root.width + 2 * MARGIN, height: root.height + 2 * MARGIN };
}
