/**
 * Edge geometry, written once for every backend: the canvas context and the SVG export's path
 * writer both take these path calls.
 */

import type { Orientation } from "../types";
import type { SceneEdge } from "./scene";

/** How far routes run straight out of a port before they bend, so arrowheads point along the flow. */
const LEAD = 14;

/** The path-building part of a 2D context: the canvas, or the SVG export's path writer. */
export interface PathSink {
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  bezierCurveTo(x1: number, y1: number, x2: number, y2: number, x: number, y: number): void;
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void;
  closePath(): void;
}

/** An edge's route: straight segments when `plain`, else a curve leaving and entering along the flow. */
export function traceEdge(
  sink: PathSink,
  edge: SceneEdge,
  orientation: Orientation,
  plain: boolean,
): void {
  const tb = orientation === "TB";
  const p = edge.points;
  const n = p.length / 2;
  const x0 = p[0] as number;
  const y0 = p[1] as number;
  const x1 = p[p.length - 2] as number;
  const y1 = p[p.length - 1] as number;
  sink.moveTo(x0, y0);
  if (plain) {
    for (let i = 1; i < n; i += 1) sink.lineTo(p[2 * i] as number, p[2 * i + 1] as number);
    return;
  }
  // stop just short of the port, under the arrowhead's tip
  const [ex, ey] = tb ? [x1, y1 - 2] : [x1 - 2, y1];
  if (n === 2) {
    const bend = Math.max(LEAD, (tb ? Math.abs(y1 - y0) : Math.abs(x1 - x0)) / 2);
    if (tb) sink.bezierCurveTo(x0, y0 + bend, x1, y1 - bend, ex, ey);
    else sink.bezierCurveTo(x0 + bend, y0, x1 - bend, y1, ex, ey);
    return;
  }
  // through dagre's bend points, smoothed: straight lead-out, curves between midpoints, lead-in
  const path: [number, number][] = [tb ? [x0, y0 + LEAD] : [x0 + LEAD, y0]];
  for (let i = 1; i < n - 1; i += 1) path.push([p[2 * i] as number, p[2 * i + 1] as number]);
  path.push(tb ? [x1, y1 - LEAD] : [x1 - LEAD, y1]);
  sink.lineTo(path[0]?.[0] as number, path[0]?.[1] as number);
  for (let i = 1; i < path.length; i += 1) {
    const [cx, cy] = path[i - 1] as [number, number];
    const [nx, ny] = path[i] as [number, number];
    sink.quadraticCurveTo(cx, cy, (cx + nx) / 2, (cy + ny) / 2);
  }
  const [lx, ly] = path[path.length - 1] as [number, number];
  sink.quadraticCurveTo(lx, ly, ex, ey);
}

/** The arrowhead at an edge's target port, pointing along the flow. */
export function traceArrow(sink: PathSink, edge: SceneEdge, orientation: Orientation): void {
  const x = edge.points[edge.points.length - 2] as number;
  const y = edge.points[edge.points.length - 1] as number;
  sink.moveTo(x, y);
  if (orientation === "TB") {
    sink.lineTo(x - 4.5, y - 8);
    sink.lineTo(x + 4.5, y - 8);
  } else {
    sink.lineTo(x - 8, y - 4.5);
    sink.lineTo(x - 8, y + 4.5);
  }
  sink.closePath();
}

/** The middle of a route: its middle bend point, or halfway between the two around the middle. */
export function midpoint(points: readonly number[]): { x: number; y: number } {
  const n = points.length / 2;
  const mid = Math.floor((n - 1) / 2);
  const at = (i: number): number => points[i] as number;
  if (n % 2 === 1) return { x: at(2 * mid), y: at(2 * mid + 1) };
  return { x: (at(2 * mid) + at(2 * mid + 2)) / 2, y: (at(2 * mid + 1) + at(2 * mid + 3)) / 2 };
}
