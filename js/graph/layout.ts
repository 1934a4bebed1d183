/**
 * Pure layout: visible graph + orientation → positions and edge routes. Each expanded group's
 * interior is laid out on its own as a small layered graph (dagre), its expanded subgroups first as
 * boxes of their own size, and the results are composed; so no layout ever sees the whole model at
 * once. Measured on these machines (see the notes of the diagram issue): dagre per group takes tens
 * of milliseconds where a flat layout of a 3,700-node model overflows dagre's stack.
 *
 * A group's arrangement depends only on its members' sizes and the edges between them, so it is
 * cached under exactly that key: a re-layout after expanding one group recomputes only the groups
 * on the path to it, and identical repeated blocks (24 decoder layers) share one arrangement.
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
  /** For each edge `source\0target`: the points of its route, flat [x0, y0, x1, y1, …]. */
  routes: Map<string, number[]>;
  width: number;
  height: number;
}

/** What the layout needs of a visible graph: plain data, so it can be posted to a worker. */
export interface LayoutInput {
  /** Top-level boxes and containers, in call order. */
  roots: string[];
  /** Each expanded group's id and its visible members in call order. */
  scopes: [string, string[]][];
  /** Visible edges as [source, target]. */
  edges: [string, string][];
  /** Boxes drawn taller (collapsed groups and folds: they show their cost on a fourth line). */
  tall: string[];
}

/** Arrangements of groups already laid out, by their shape (see `arrangementKey`). */
export type LayoutCache = Map<string, Arrangement>;

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 56;
export const GROUP_HEIGHT = 70;
/** Room for a group's title bar above its interior, and around its interior. */
export const HEADER = 28;
export const PADDING = 14;
const MARGIN = 16;
/** Arrangements kept before the cache starts over: far more groups than any view shows. */
const CACHE_LIMIT = 20_000;

export const edgeKey = (source: string, target: string): string => `${source}\u0000${target}`;

export function layoutInput(shown: VisibleGraph): LayoutInput {
  return {
    roots: shown.roots,
    scopes: shown.containers.map((c) => [c.id, c.children]),
    edges: shown.edges.map((e) => [e.source, e.target]),
    tall: shown.items.filter((i) => i.kind !== "node").map((i) => i.id),
  };
}

/** One group's interior, relative to its own top-left corner, by member index. */
interface Arrangement {
  width: number;
  height: number;
  /** x, y of each member. */
  at: number[];
  /** Interior points of each laid-out member edge "i,j", relative to the group. */
  bends: Map<string, number[]>;
}

interface Placed {
  width: number;
  height: number;
  /** Positions of every box inside, relative to this box's top-left corner. */
  inner: Map<string, Box>;
  /** The edge bends inside, relative to this box, keyed by member pair within each scope. */
  bends: Map<string, number[]>;
}

export function layeredLayout(
  input: LayoutInput,
  orientation: Orientation,
  cache: LayoutCache = new Map(),
): Layout {
  const scopes = new Map(input.scopes);
  const tall = new Set(input.tall);
  const parent = new Map<string, string | null>();
  const setParents = (members: readonly string[], scope: string | null): void => {
    for (const id of members) parent.set(id, scope);
  };
  setParents(input.roots, null);
  for (const [id, members] of input.scopes) setParents(members, id);
  const depth = (id: string): number => {
    let d = 0;
    for (let p = parent.get(id) ?? null; p !== null; p = parent.get(p) ?? null) d += 1;
    return d;
  };

  // each edge is laid out in the one scope holding both ends: between the members that contain them
  const lifted = new Map<string, { scope: string | null; a: string; b: string }>();
  const byScope = new Map<string | null, [string, string][]>();
  for (const [source, target] of input.edges) {
    if (!parent.has(source) || !parent.has(target)) continue;
    let a = source;
    let b = target;
    let da = depth(a);
    let db = depth(b);
    while (da > db) {
      a = parent.get(a) as string;
      da -= 1;
    }
    while (db > da) {
      b = parent.get(b) as string;
      db -= 1;
    }
    while (parent.get(a) !== parent.get(b)) {
      a = parent.get(a) as string;
      b = parent.get(b) as string;
    }
    if (a === b) continue;
    const scope = parent.get(a) ?? null;
    lifted.set(edgeKey(source, target), { scope, a, b });
    const list = byScope.get(scope) ?? [];
    list.push([a, b]);
    byScope.set(scope, list);
  }

  const place = (scope: string | null, members: readonly string[]): Placed => {
    const sizes = members.map((id): Placed => {
      const children = scopes.get(id);
      return children === undefined
        ? {
            width: NODE_WIDTH,
            height: tall.has(id) ? GROUP_HEIGHT : NODE_HEIGHT,
            inner: new Map(),
            bends: new Map(),
          }
        : place(id, children);
    });
    const index = new Map(members.map((id, i) => [id, i]));
    const pairs = new Set<string>();
    for (const [a, b] of byScope.get(scope) ?? []) {
      pairs.add(`${index.get(a)},${index.get(b)}`);
    }
    const key = arrangementKey(orientation, sizes, pairs);
    let arrangement = cache.get(key);
    if (arrangement === undefined) {
      arrangement = arrange(orientation, sizes, [...pairs]);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, arrangement);
    }
    const offset = scope === null ? { x: 0, y: 0 } : { x: PADDING, y: HEADER };
    const inner = new Map<string, Box>();
    const bends = new Map<string, number[]>();
    members.forEach((id, i) => {
      const size = sizes[i] as Placed;
      const x = (arrangement.at[2 * i] as number) + offset.x;
      const y = (arrangement.at[2 * i + 1] as number) + offset.y;
      inner.set(id, { id, x, y, width: size.width, height: size.height });
      for (const [childId, box] of size.inner) {
        inner.set(childId, { ...box, x: box.x + x, y: box.y + y });
      }
      for (const [pair, points] of size.bends) bends.set(pair, shift(points, x, y));
    });
    for (const [pair, points] of arrangement.bends) {
      const [i, j] = pair.split(",").map(Number) as [number, number];
      bends.set(
        edgeKey(members[i] as string, members[j] as string),
        shift(points, offset.x, offset.y),
      );
    }
    if (scope === null)
      return { width: arrangement.width, height: arrangement.height, inner, bends };
    return {
      width: Math.max(arrangement.width + 2 * PADDING, NODE_WIDTH),
      height: arrangement.height + HEADER + PADDING,
      inner,
      bends,
    };
  };

  const root = place(null, input.roots);
  const boxes = new Map<string, Box>();
  for (const [id, box] of root.inner)
    boxes.set(id, { ...box, x: box.x + MARGIN, y: box.y + MARGIN });
  const routes = new Map<string, number[]>();
  for (const [source, target] of input.edges) {
    const key = edgeKey(source, target);
    const how = lifted.get(key);
    const from = boxes.get(source);
    const to = boxes.get(target);
    if (how === undefined || from === undefined || to === undefined) continue;
    const bend = root.bends.get(edgeKey(how.a, how.b)) ?? [];
    routes.set(key, [
      ...exitPort(from, orientation),
      ...shift(bend, MARGIN, MARGIN),
      ...entryPort(to, orientation),
    ]);
  }
  return { boxes, routes, width: root.width + 2 * MARGIN, height: root.height + 2 * MARGIN };
}

function shift(points: readonly number[], dx: number, dy: number): number[] {
  return points.map((v, i) => v + (i % 2 === 0 ? dx : dy));
}

export function exitPort(box: Box, orientation: Orientation): [number, number] {
  return orientation === "TB"
    ? [box.x + box.width / 2, box.y + box.height]
    : [box.x + box.width, box.y + box.height / 2];
}

export function entryPort(box: Box, orientation: Orientation): [number, number] {
  return orientation === "TB" ? [box.x + box.width / 2, box.y] : [box.x, box.y + box.height / 2];
}

function arrangementKey(
  orientation: Orientation,
  sizes: readonly Placed[],
  pairs: Set<string>,
): string {
  return `${orientation}|${sizes.map((s) => `${s.width}x${s.height}`).join(";")}|${[...pairs].join(";")}`;
}

/**
 * Members beyond which a group is ranked without dagre: dagre's recursion follows the longest
 * chain, and a 1,000-block stack overflows the stack of a browser worker (measured here).
 */
export const DAGRE_LIMIT = 400;

/** Lay out one group's members (by index); `pairs` are "i,j" edges between them. */
function arrange(orientation: Orientation, sizes: readonly Placed[], pairs: string[]): Arrangement {
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
  sizes: readonly Placed[],
  kept: readonly [number, number][],
): Arrangement {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: orientation, nodesep: 24, ranksep: 40, marginx: 0, marginy: 0 });
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
