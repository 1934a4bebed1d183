/**
 * Pure: one group's members (by index, with their sizes) and the edges between them → positions
 * and edge bends. dagre (network simplex ranks, crossing reduction) where it can, and a plain
 * recursion-free layering for groups too big for it; dense blocks are ranked on their transitive
 * reduction.
 */

import dagre from "@dagrejs/dagre";
import type { Orientation } from "../types";

/** One group's interior, relative to its own top-left corner, by member index. */
export interface Arrangement {
  width: number;
  height: number;
  /** x, y of each member. */
  at: number[];
  /** Interior points of each laid-out member edge "i,j", relative to the group. */
  bends: Map<string, number[]>;
}

interface Size {
  width: number;
  height: number;
}

/**
 * Members beyond which a group is ranked without dagre: dagre's recursion follows the longest
 * chain, and a 1,000-block stack overflows the stack of a browser worker (measured here).
 */
export const DAGRE_LIMIT = 400;

/** Lay out one group's members (by index); `pairs` are "i,j" edges between them. */
export function arrange(
  orientation: Orientation,
  sizes: readonly Size[],
  pairs: string[],
): Arrangement {
  const edges = pairs.map((p) => p.split(",").map(Number) as [number, number]);
  const kept = edges.length > 1.5 * sizes.length ? transitiveReduction(sizes.length, edges) : edges;
  if (sizes.length > DAGRE_LIMIT) return stacked(orientation, sizes, kept);
  try {
    return withDagre(orientation, sizes, kept);
  } catch (error) {
    if (error instanceof RangeError) return stacked(orientation, sizes, kept);
    throw error;
  }
}

/**
 * A plain layered layout with no recursion, for groups too big for dagre: each member's rank is
 * its longest path from a source, ranks are rows (TB) or columns (LR), and members keep call order
 * within a rank. Straight routes (no bends); a long chain becomes one readable column.
 */
export function stacked(
  orientation: Orientation,
  sizes: readonly { width: number; height: number }[],
  edges: readonly [number, number][],
): Arrangement {
  const n = sizes.length;
  const out: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Array<number>(n).fill(0);
  for (const [a, b] of edges) {
    out[a]?.push(b);
    indegree[b] = (indegree[b] ?? 0) + 1;
  }
  const rank = new Array<number>(n).fill(0);
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const seen = new Array<boolean>(n).fill(false);
  for (let head = 0; head < ready.length; head += 1) {
    const u = ready[head] as number;
    seen[u] = true;
    for (const v of out[u] ?? []) {
      rank[v] = Math.max(rank[v] ?? 0, (rank[u] ?? 0) + 1);
      indegree[v] = (indegree[v] ?? 0) - 1;
      if (indegree[v] === 0) ready.push(v);
    }
  }
  // members on a cycle (not expected from a forward pass) go after everything else, in order
  let next = largest(rank) + 1;
  for (let i = 0; i < n; i += 1) if (!seen[i]) rank[i] = next++;
  const tb = orientation === "TB";
  const along = (i: number): number => (tb ? (sizes[i]?.height ?? 0) : (sizes[i]?.width ?? 0));
  const across = (i: number): number => (tb ? (sizes[i]?.width ?? 0) : (sizes[i]?.height ?? 0));
  const ranks: number[][] = Array.from({ length: largest(rank) + 1 }, () => []);
  for (let i = 0; i < n; i += 1) ranks[rank[i] ?? 0]?.push(i);
  const breadth = ranks.map(
    (members) =>
      members.reduce((sum, i) => sum + across(i), 0) + 24 * Math.max(0, members.length - 1),
  );
  const widest = largest(breadth);
  const at = new Array<number>(2 * n).fill(0);
  let depth = 0;
  ranks.forEach((members, r) => {
    let offset = (widest - (breadth[r] ?? 0)) / 2;
    const thickness = largest(members.map(along));
    for (const i of members) {
      const main = depth + (thickness - along(i)) / 2;
      at[2 * i] = tb ? offset : main;
      at[2 * i + 1] = tb ? main : offset;
      offset += across(i) + 24;
    }
    if (members.length > 0) depth += thickness + 40;
  });
  const extent = Math.max(0, depth - 40);
  return { width: tb ? widest : extent, height: tb ? extent : widest, at, bends: new Map() };
}

/** The largest of `values`, or 0: a loop, since spreading 100,000 arguments overflows the stack. */
export function largest(values: readonly number[]): number {
  let most = 0;
  for (const v of values) if (v > most) most = v;
  return most;
}

/** One group's members laid out by dagre (network simplex ranks, crossing reduction, bends). */
function withDagre(
  orientation: Orientation,
  sizes: readonly Size[],
  kept: readonly [number, number][],
): Arrangement {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: orientation, nodesep: 24, ranksep: 32, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  // members come in call order, so that ties keep the order in which the model ran them
  sizes.forEach((size, i) => {
    g.setNode(String(i), { width: size.width, height: size.height });
  });
  for (const [i, j] of kept) g.setEdge(String(i), String(j));
  dagre.layout(g);
  const at: number[] = [];
  let width = 0;
  let height = 0;
  sizes.forEach((size, i) => {
    const node = g.node(String(i));
    const x = node.x - size.width / 2;
    const y = node.y - size.height / 2;
    at.push(x, y);
    width = Math.max(width, x + size.width);
    height = Math.max(height, y + size.height);
  });
  const bends = new Map<string, number[]>();
  for (const [i, j] of kept) {
    const points = g.edge(String(i), String(j))?.points ?? [];
    // dagre's first and last points sit on the box borders; the drawing uses its own ports
    bends.set(
      `${i},${j}`,
      points.slice(1, -1).flatMap((p: { x: number; y: number }) => [p.x, p.y]),
    );
  }
  return { width, height, at, bends };
}

/**
 * The edges of a DAG that no longer path implies (for ranking only). A dense block (DenseNet
 * concatenates every earlier layer) has quadratically many edges, and dagre spends its time on
 * the long ones; without them the ranks are the same and the layout takes a fraction of the time.
 * The drawing still shows every edge.
 */
export function transitiveReduction(
  n: number,
  edges: readonly [number, number][],
): [number, number][] {
  const out: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Array<number>(n).fill(0);
  for (const [a, b] of edges) {
    out[a]?.push(b);
    indegree[b] = (indegree[b] ?? 0) + 1;
  }
  const order: number[] = [];
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  while (ready.length > 0) {
    const u = ready.pop() as number;
    order.push(u);
    for (const v of out[u] ?? []) {
      indegree[v] = (indegree[v] ?? 0) - 1;
      if (indegree[v] === 0) ready.push(v);
    }
  }
  if (order.length < n) return [...edges]; // a cycle: leave the edges alone
  const words = Math.ceil(n / 32);
  const reach = Array.from({ length: n }, () => new Uint32Array(words));
  const has = (set: Uint32Array, v: number): boolean =>
    ((set[v >>> 5] as number) & (1 << (v & 31))) !== 0;
  for (let k = order.length - 1; k >= 0; k -= 1) {
    const u = order[k] as number;
    const mine = reach[u] as Uint32Array;
    for (const v of out[u] ?? []) {
      const theirs = reach[v] as Uint32Array;
      for (let w = 0; w < words; w += 1) mine[w] = (mine[w] as number) | (theirs[w] as number);
      mine[v >>> 5] = (mine[v >>> 5] as number) | (1 << (v & 31));
    }
  }
  // u → v is implied when another successor of u already reaches v
  return edges.filter(
    ([u, v]) => !(out[u] ?? []).some((w) => w !== v && has(reach[w] as Uint32Array, v)),
  );
}
