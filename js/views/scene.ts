/**
 * Pure: view state + layout → the scene, a flat list of what the diagram draws (boxes in drawing
 * order, edges with their routes and labels). The canvas painter, the SVG export and the tests all
 * read the same scene, so "what is drawn" has one definition.
 */

import { formatShape } from "../format";
import type { Scale } from "../graph/colour";
import { decorate, shadingScale } from "../graph/diff";
import { edgeKey, type Layout } from "../graph/layout";
import { itemMark, type NonFinite, nonFiniteMarks } from "../graph/values";
import type { Rect } from "../graph/viewport";
import { drawingOrder, type Entry } from "../graph/visible";
import type { ViewState } from "../store";
import type { DiffStatus, NodeKind } from "../types";
import { describe } from "./describe";
import { midpoint } from "./route";

export type BoxKind = NodeKind | "group" | "fold" | "container" | "structure" | "stub";

/** One line of a box's full text (zoomed in): the first is its type, in bold. */
export interface Line {
  text: string;
  bold: boolean;
}

export interface SceneBox extends Rect {
  /** The visible id: a node, a collapsed group, a fold (`blocks.0×12`) or an expanded group. */
  id: string;
  /** What a click selects: the box itself, or a fold's first block. */
  select: string;
  kind: BoxKind;
  op: string;
  label: string;
  /** Third line: the output shape of a node, the layer count of a collapsed group. */
  detail: string;
  /** Fourth line, collapsed groups and folds only: what they hold, in params and FLOPs. */
  cost: string;
  /** What names it when zoomed out (its type, or an input's name), and a fold's ` ×N`. */
  title: string;
  suffix: string;
  /** Its name inside its container, shown under the title when zoomed out ("" for none). */
  name: string;
  /** Every line it shows when zoomed in (see js/views/text.ts). */
  lines: Line[];
  /** Whether the box has an expand (▸) or collapse (▾) handle. */
  toggle: "expand" | "collapse" | null;
  failed: boolean;
  selected: boolean;
  /** Metric shading strength in [0, 1] ([−1, 1] for a delta column), or null when unshaded. */
  strength: number | null;
  /** In a diff: same, changed, added or removed (a fold's, or a collapsed group's, rolled up). */
  status: DiffStatus | null;
  /** In a values trace: whether it made the first NaN/Inf (or holds the node that did), or another. */
  nonFinite: NonFinite | null;
  /** How many expanded groups enclose it. */
  depth: number;
  /** Index in `Scene.boxes` just past its last descendant (boxes are in drawing order). */
  end: number;
}

export interface SceneEdge {
  source: string;
  target: string;
  /** Indexes of the two ends in `Scene.boxes`. */
  ends: [number, number];
  /** Flat route points [x0, y0, x1, y1, …] from the source's port to the target's. */
  points: number[];
  /** The tensor shape it carries, shown when zoomed in far enough to read. */
  label: string;
  /** Touches the selected box, or carries the selected bookkeeping op. */
  highlighted: boolean;
  bounds: Rect;
  /** Bookkeeping ops riding on it (payload ids, in flow order), and their ops for the hover. */
  via: string[];
  viaLabel: string;
  /** Where its marker sits (the middle of the route), when it has bookkeeping ops. */
  marker: { x: number; y: number } | null;
}

export interface Legend {
  label: string;
  scale: Scale;
}

export interface Scene {
  boxes: SceneBox[];
  edges: SceneEdge[];
  width: number;
  height: number;
  /** The box id of the selection, if it is drawn. */
  selected: string | null;
  legend: Legend | null;
}

export function buildScene(state: ViewState, layout: Layout): Scene {
  const shown = state.visible;
  const shading = shade(state);
  const marker = shown.markers.get(state.selected);
  const selectedBox =
    marker === undefined ? (shown.representative.get(state.selected) ?? null) : null;
  // a selected bookkeeping op is shown by its marker: on an edge, or as a stub box
  const selected =
    selectedBox !== null && layout.boxes.has(selectedBox)
      ? selectedBox
      : marker !== undefined && layout.boxes.has(marker)
        ? marker
        : null;
  const boxes: SceneBox[] = [];
  const depthOf = new Map<string, number>();
  const marks = marksOf(state);
  for (const entry of drawingOrder(state.visible)) {
    const id = entry.kind === "item" ? entry.item.id : entry.container.id;
    const place = layout.boxes.get(id);
    if (place === undefined) continue;
    const parent = entry.kind === "item" ? entry.item.parent : entry.container.parent;
    const depth = parent === null ? 0 : (depthOf.get(parent) ?? 0) + 1;
    depthOf.set(id, depth);
    const said = describe(entry, state);
    const compared =
      state.graph.diff === undefined ? null : decorate(state.hierarchy, state.graph.diff, entry);
    if (compared !== null && compared.rollUp !== "") {
      // in a diff, what changed inside a collapsed group says more than what it costs
      said.lines = [...said.lines.slice(0, -1), { text: compared.rollUp, bold: false }];
      said.cost = compared.rollUp;
      // zoomed out too: under the title, instead of the name
      said.name = compared.rollUp;
    }
    // every field written out: spreading a description into each of 20,000 boxes took a second
    boxes.push({
      kind: said.kind,
      op: said.op,
      label: said.label,
      detail: said.detail,
      cost: said.cost,
      title: said.title,
      suffix: said.suffix,
      name: said.name,
      lines: said.lines,
      toggle: said.toggle,
      failed: said.failed,
      id,
      select: selectionOf(entry),
      x: place.x,
      y: place.y,
      width: place.width,
      height: place.height,
      selected: selected === id,
      strength: shading === null ? null : shading.scale.at(shading.value(entry)),
      status: compared?.status ?? null,
      nonFinite: entry.kind === "item" ? itemMark(entry.item, marks) : null,
      depth,
      end: boxes.length + 1,
    });
  }
  closeRanges(boxes);
  const index = new Map(boxes.map((b, i) => [b.id, i]));
  const edges: SceneEdge[] = [];
  for (const edge of shown.edges) {
    const key = edgeKey(edge.source, edge.target);
    const points = layout.routes.get(key);
    const ends: [number, number] = [index.get(edge.source) ?? -1, index.get(edge.target) ?? -1];
    if (points === undefined || ends[0] < 0 || ends[1] < 0) continue;
    const shape = formatShape(edge.shape);
    const touches = selected !== null && (edge.source === selected || edge.target === selected);
    edges.push({
      source: edge.source,
      target: edge.target,
      ends,
      points,
      label: edge.count > 1 ? `${shape} ×${edge.count}` : shape,
      highlighted: touches || (marker !== undefined && marker === key),
      bounds: bounds(points),
      via: edge.via,
      viaLabel: edge.via.map((id) => state.hierarchy.nodes.get(id)?.op ?? id).join(" → "),
      marker: edge.via.length === 0 ? null : midpoint(points),
    });
  }
  return {
    boxes,
    edges,
    width: layout.width,
    height: layout.height,
    selected,
    legend: shading === null ? null : { label: shading.label, scale: shading.scale },
  };
}

/** What a click on a box selects: the box, a fold's first block, or what a stub stands for. */
function selectionOf(entry: Entry): string {
  if (entry.kind === "container") return entry.container.id;
  const { item } = entry;
  if (item.kind === "fold") return item.members?.[0] ?? item.id;
  if (item.kind === "stub") return item.of ?? item.id;
  return item.id;
}

/** Set each container's `end`: its descendants follow it, up to the next box no deeper than it. */
function closeRanges(boxes: SceneBox[]): void {
  const open: SceneBox[] = [];
  boxes.forEach((box, i) => {
    while (open.length > 0 && (open[open.length - 1] as SceneBox).depth >= box.depth) {
      (open.pop() as SceneBox).end = i;
    }
    if (box.kind === "container") open.push(box);
  });
  for (const box of open) box.end = boxes.length;
}

interface Shading {
  label: string;
  scale: Scale;
  value: (entry: Entry) => number | undefined;
}

/** How to shade boxes by the chosen metric, or null when no metric is chosen. */
const marksCache = new WeakMap<object, Map<string, NonFinite>>();

/** The NaN/Inf marks of the payload, computed once per payload (the scene is rebuilt often). */
function marksOf(state: ViewState): Map<string, NonFinite> {
  let marks = marksCache.get(state.graph);
  if (marks === undefined) {
    marks = nonFiniteMarks(state.graph, state.hierarchy);
    marksCache.set(state.graph, marks);
  }
  return marks;
}

function shade(state: ViewState): Shading | null {
  const metric = state.metric;
  const column = state.graph.columns.find((c) => c.key === metric);
  if (metric === "" || column === undefined) return null;
  const number = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
  const value = (entry: Entry): number | undefined => {
    // an open group's cost is shown by its children
    if (entry.kind === "container") return undefined;
    const { item } = entry;
    if (item.node !== undefined) return number(item.node.stats[metric]);
    if (item.kind === "fold") {
      // a fold stands for all its blocks: their sum, or for a measured value the largest
      const of = (id: string): number => number(state.hierarchy.groups.get(id)?.stats[metric]) ?? 0;
      const members = item.members ?? [];
      if (column.kind === "value") return Math.max(...members.map(of));
      return members.reduce((sum, id) => sum + of(id), 0);
    }
    return number(item.group?.stats[metric]);
  };
  const values = state.visible.items.map((item) => value({ kind: "item", item }));
  return { label: column.label, scale: shadingScale(state.graph, metric, values), value };
}

function bounds(points: readonly number[]): Rect {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i] as number;
    const y = points[i + 1] as number;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** The innermost box at drawing point (x, y), and whether the point is on its toggle handle. */
export function hitTest(
  scene: Scene,
  x: number,
  y: number,
): { box: SceneBox; onToggle: boolean } | null {
  // children are drawn after their container, so the last hit is the innermost
  for (let i = scene.boxes.length - 1; i >= 0; i -= 1) {
    const box = scene.boxes[i] as SceneBox;
    if (x < box.x || y < box.y || x > box.x + box.width || y > box.y + box.height) continue;
    const onToggle = box.toggle !== null && x - box.x <= TOGGLE_SIZE && y - box.y <= TOGGLE_SIZE;
    return { box, onToggle };
  }
  return null;
}

/** The square at a box's top-left corner that expands or collapses it. */
export const TOGGLE_SIZE = 26;

/** The edge whose bookkeeping marker lies within `radius` drawing units of (x, y), if any. */
export function markerAt(scene: Scene, x: number, y: number, radius: number): SceneEdge | null {
  let best: SceneEdge | null = null;
  let nearest = radius;
  for (const edge of scene.edges) {
    if (edge.marker === null) continue;
    const distance = Math.hypot(edge.marker.x - x, edge.marker.y - y);
    if (distance <= nearest) {
      nearest = distance;
      best = edge;
    }
  }
  return best;
}
