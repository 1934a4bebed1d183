/**
 * Pure: what a values trace (`values=True`) says of the graph — which boxes held a NaN or an Inf
 * and which node made the first, the histograms to chart for a node (its outputs, its inputs as
 * their producers made them, its parameters) and the geometry of one chart on the symmetric log
 * scale of src/torchscope/trace/observe.py.
 */

import type { Histogram, Payload } from "../types";
import type { Hierarchy } from "./hierarchy";
import type { Item } from "./visible";

/** `origin`: the first node whose outputs held a NaN or an Inf, or a box that holds it; `later`: any other. */
export type NonFinite = "origin" | "later";

/** The origin of non-finite values, or null (also for a trace without values). */
export function nonFiniteOrigin(graph: Payload): string | null {
  return graph.model.values?.origin ?? null;
}

/** Every node whose outputs held a NaN or an Inf, and every group around one, with its mark. */
export function nonFiniteMarks(graph: Payload, hierarchy: Hierarchy): Map<string, NonFinite> {
  const marks = new Map<string, NonFinite>();
  const origin = nonFiniteOrigin(graph);
  for (const node of graph.nodes) {
    if (!holdsNonFinite(node.stats)) continue;
    const mark: NonFinite = node.id === origin ? "origin" : "later";
    for (const id of [node.id, ...hierarchy.ancestors(node.id)]) {
      if (marks.get(id) !== "origin") marks.set(id, mark);
    }
  }
  return marks;
}

/** The mark of one drawn item: a fold is marked by the blocks it stands for. */
export function itemMark(item: Item, marks: ReadonlyMap<string, NonFinite>): NonFinite | null {
  const ids =
    item.kind === "fold"
      ? (item.members ?? [])
      : [item.kind === "stub" ? (item.of ?? item.id) : item.id];
  let found: NonFinite | null = null;
  for (const id of ids) {
    const mark = marks.get(id);
    if (mark === "origin") return mark;
    if (mark !== undefined) found = mark;
  }
  return found;
}

function holdsNonFinite(stats: Record<string, unknown>): boolean {
  const nan = stats.value_nan;
  const inf = stats.value_inf;
  return (typeof nan === "number" && nan > 0) || (typeof inf === "number" && inf > 0);
}

/** One histogram to chart, with what it is of. */
export interface Charted {
  title: string;
  histogram: Histogram;
}

/**
 * The histograms of a node's details: each output, each input (the output of its producer with
 * the edge's shape and dtype), each parameter it was the first to read.
 */
export function nodeHistograms(graph: Payload, nodeId: string): Charted[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const node = byId.get(nodeId);
  if (node === undefined) return [];
  const charted: Charted[] = [];
  for (const edge of graph.edges) {
    if (edge.target !== nodeId) continue;
    const source = byId.get(edge.source);
    const outputs = source?.values?.outputs ?? [];
    const index = (source?.outputs ?? []).findIndex(
      (t) => t.dtype === edge.dtype && t.shape.join() === edge.shape.join(),
    );
    const histogram = outputs[Math.max(0, index)];
    if (histogram) charted.push({ title: `input from ${edge.source}`, histogram });
  }
  (node.values?.outputs ?? []).forEach((histogram, i) => {
    if (histogram !== null) charted.push({ title: `output ${i}`, histogram });
  });
  for (const param of node.values?.params ?? [])
    charted.push({ title: param.name, histogram: param });
  return charted;
}

/** Where a value sits on the chart's axis, in [0, 1]: the symmetric log mapping of the trace. */
export function axisPosition(value: number, absmax: number, linear: number): number {
  if (absmax <= 0) return 0.5;
  const folded =
    (Math.sign(value) * Math.log1p(Math.abs(value) / (absmax * linear))) / Math.log1p(1 / linear);
  return (Math.max(-1, Math.min(1, folded)) + 1) / 2;
}

/** The value at a position of the axis in [0, 1] (the inverse of `axisPosition`). */
export function axisValue(position: number, absmax: number, linear: number): number {
  const folded = 2 * position - 1;
  return (
    Math.sign(folded) * absmax * linear * Math.expm1(Math.abs(folded) * Math.log1p(1 / linear))
  );
}

/** A tick of the value axis: where it sits in [0, 1] and the value it names. */
export interface Tick {
  at: number;
  value: number;
}

/** Ticks at zero, at ±absmax and at ±absmax/100 (the middle of the log part): five, always readable. */
export function axisTicks(absmax: number, linear: number): Tick[] {
  if (absmax <= 0) return [{ at: 0.5, value: 0 }];
  const values = [-absmax, -absmax / 100, 0, absmax / 100, absmax];
  return values.map((value) => ({ at: axisPosition(value, absmax, linear), value }));
}

/** One bar of a chart: its left edge and width in [0, 1] of the axis, its height in [0, 1] of the tallest. */
export interface Bar {
  x: number;
  width: number;
  height: number;
  count: number;
}

/** The bars of a histogram (bins of equal width on the axis), scaled to the tallest bin. */
export function histogramBars(counts: readonly number[]): Bar[] {
  let tallest = 0;
  for (const c of counts) tallest = Math.max(tallest, c);
  const width = counts.length === 0 ? 0 : 1 / counts.length;
  return counts.map((count, i) => ({
    x: i * width,
    width,
    height: tallest === 0 ? 0 : count / tallest,
    count,
  }));
}
