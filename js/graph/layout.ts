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

import type { Orientation } from "../types";
import { edgeKey } from "./keys";
import { type Arrangement, arrange } from "./layering";
import type { VisibleGraph } from "./visible";

export { edgeKey } from "./keys";
export { DAGRE_LIMIT, largest, stacked, transitiveReduction } from "./layering";

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
  /** Boxes drawn small (stubs: a label in front of the box they feed). */
  small: string[];
}

/** Arrangements of groups already laid out, by their shape (see `arrangementKey`). */
export type LayoutCache = Map<string, Arrangement>;

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 56;
export const GROUP_HEIGHT = 70;
export const STUB_WIDTH = 160;
export const STUB_HEIGHT = 30;
/** Room for a group's title bar above its interior, and around its interior. */
export const HEADER = 28;
export const PADDING = 14;
const MARGIN = 16;
/** Arrangements kept before the cache starts over: far more groups than any view shows. */
const CACHE_LIMIT = 20_000;

export function layoutInput(shown: VisibleGraph): LayoutInput {
  return {
    roots: shown.roots,
    scopes: shown.containers.map((c) => [c.id, c.children]),
    edges: shown.edges.map((e) => [e.source, e.target]),
    tall: shown.items.filter((i) => i.kind === "group" || i.kind === "fold").map((i) => i.id),
    small: shown.items.filter((i) => i.kind === "stub").map((i) => i.id),
  };
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
  const small = new Set(input.small);
  const leafSize = (id: string): { width: number; height: number } =>
    small.has(id)
      ? { width: STUB_WIDTH, height: STUB_HEIGHT }
      : { width: NODE_WIDTH, height: tall.has(id) ? GROUP_HEIGHT : NODE_HEIGHT };
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

  // each edge is laid out in the one scope holding both ends, between the members that contain
  // them; in every scope it crosses on the way, it runs to (or from) a port at the border
  const lifted = new Map<string, Lifted>();
  const byScope = new Map<string | null, [string, string][]>();
  const exits = new Map<string, Set<string>>();
  const entries = new Map<string, Set<string>>();
  const note = (ports: Map<string, Set<string>>, scope: string, member: string): void => {
    const set = ports.get(scope) ?? new Set();
    set.add(member);
    ports.set(scope, set);
  };
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
    const up = crossings(source, a, parent);
    const down = crossings(target, b, parent).reverse();
    for (const [inside, member] of up) note(exits, inside, member);
    for (const [inside, member] of down) note(entries, inside, member);
    lifted.set(edgeKey(source, target), { scope, a, b, up, down });
    const list = byScope.get(scope) ?? [];
    list.push([a, b]);
    byScope.set(scope, list);
  }

  const place = (scope: string | null, members: readonly string[]): Placed => {
    const sizes = members.map((id): Placed => {
      const children = scopes.get(id);
      return children === undefined
        ? { ...leafSize(id), inner: new Map(), bends: new Map() }
        : place(id, children);
    });
    const index = new Map(members.map((id, i) => [id, i]));
    const pairs = new Set<string>();
    for (const [a, b] of byScope.get(scope) ?? []) {
      pairs.add(`${index.get(a)},${index.get(b)}`);
    }
    // ports: one where each member's edges leave this group, one where edges reach each member
    const outs = scope === null ? [] : members.filter((id) => exits.get(scope)?.has(id));
    const ins = scope === null ? [] : members.filter((id) => entries.get(scope)?.has(id));
    const ports =
      scope === null
        ? []
        : [
            ...outs.map((id) => portId(scope, "out", id)),
            ...ins.map((id) => portId(scope, "in", id)),
          ];
    outs.forEach((id, i) => {
      pairs.add(`${index.get(id)},${members.length + i}`);
    });
    ins.forEach((id, i) => {
      pairs.add(`${members.length + outs.length + i},${index.get(id)}`);
    });
    const all = [...members, ...ports];
    const shapes = [...sizes, ...ports.map(() => PORT)];
    const key = arrangementKey(orientation, shapes, pairs);
    let arrangement = cache.get(key);
    if (arrangement === undefined) {
      arrangement = arrange(orientation, shapes, [...pairs]);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, arrangement);
    }
    const offset = scope === null ? { x: 0, y: 0 } : { x: PADDING, y: HEADER };
    const inner = new Map<string, Box>();
    const bends = new Map<string, number[]>();
    ports.forEach((id, j) => {
      const i = members.length + j;
      const x = (arrangement.at[2 * i] as number) + offset.x;
      const y = (arrangement.at[2 * i + 1] as number) + offset.y;
      inner.set(id, { id, x, y, width: 0, height: 0 });
    });
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
      bends.set(edgeKey(all[i] as string, all[j] as string), shift(points, offset.x, offset.y));
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
  const portsAt = new Map<string, Box>();
  for (const [id, box] of root.inner) {
    (isPort(id) ? portsAt : boxes).set(id, { ...box, x: box.x + MARGIN, y: box.y + MARGIN });
  }
  const bendOf = (a: string, b: string): number[] =>
    shift(root.bends.get(edgeKey(a, b)) ?? [], MARGIN, MARGIN);
  const routes = new Map<string, number[]>();
  for (const [source, target] of input.edges) {
    const key = edgeKey(source, target);
    const how = lifted.get(key);
    const from = boxes.get(source);
    const to = boxes.get(target);
    if (how === undefined || from === undefined || to === undefined) continue;
    const points = [...exitPort(from, orientation)];
    for (const [inside, member] of how.up) {
      const port = portId(inside, "out", member);
      const at = portsAt.get(port);
      const frame = boxes.get(inside);
      if (at === undefined || frame === undefined) continue;
      points.push(...bendOf(member, port), at.x, at.y, ...border(frame, at, orientation, "out"));
    }
    points.push(...bendOf(how.a, how.b));
    for (const [inside, member] of how.down) {
      const port = portId(inside, "in", member);
      const at = portsAt.get(port);
      const frame = boxes.get(inside);
      if (at === undefined || frame === undefined) continue;
      points.push(...border(frame, at, orientation, "in"), at.x, at.y, ...bendOf(port, member));
    }
    points.push(...entryPort(to, orientation));
    routes.set(key, points);
  }
  return { boxes, routes, width: root.width + 2 * MARGIN, height: root.height + 2 * MARGIN };
}

/** How an edge is laid out: in `scope` between `a` and `b`, through the ports it crosses. */
interface Lifted {
  scope: string | null;
  a: string;
  b: string;
  /** [group, member] for each group the edge leaves, innermost first. */
  up: [string, string][];
  /** [group, member] for each group the edge enters, outermost first. */
  down: [string, string][];
}

/** The groups between `end` and its ancestor-or-self `top`, with the member holding `end` in each. */
function crossings(
  end: string,
  top: string,
  parent: Map<string, string | null>,
): [string, string][] {
  const found: [string, string][] = [];
  for (let x = end; x !== top; ) {
    const inside = parent.get(x);
    if (inside === undefined || inside === null) break;
    found.push([inside, x]);
    x = inside;
  }
  return found;
}

/** A port is a point, laid out as a tiny member so that the group's layout routes edges to it. */
const PORT = { width: 1, height: 1 };
const PORT_MARK = "\u0001";
const portId = (scope: string, side: "in" | "out", member: string): string =>
  `${PORT_MARK}${side}${PORT_MARK}${scope}${PORT_MARK}${member}`;
const isPort = (id: string): boolean => id.startsWith(PORT_MARK);

/** Where an edge through a port crosses its group's border: below (TB) or right of it (LR). */
function border(
  frame: Box,
  at: Box,
  orientation: Orientation,
  side: "in" | "out",
): [number, number] {
  if (orientation === "TB") return [at.x, side === "out" ? frame.y + frame.height : frame.y];
  return [side === "out" ? frame.x + frame.width : frame.x, at.y];
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
  sizes: readonly { width: number; height: number }[],
  pairs: Set<string>,
): string {
  return `${orientation}|${sizes.map((s) => `${s.width}x${s.height}`).join(";")}|${[...pairs].join(";")}`;
}
