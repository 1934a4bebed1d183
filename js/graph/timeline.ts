/**
 * Pure: a training step's memory timeline (the payload's `step`) as a chart reads it — the bytes
 * of each category at each point, their stacking, where a point sits on the plot and which point
 * a pointer is nearest, the points of a node or a group, the y axis ticks, and the peak in words.
 */

import { formatBytes } from "../format";
import { type Payload, STEP_CATEGORIES, type StepCategory, type StepPhase } from "../types";
import type { Hierarchy } from "./visible";

export interface Timeline {
  /** The node whose forward or backward each point follows ("" for the optimizer's step). */
  ids: string[];
  phase: StepPhase[];
  /** Bytes of each category (in STEP_CATEGORIES order) at each point. */
  bytes: number[][];
  /** All the bytes alive at each point. */
  totals: number[];
  /** The first backward point and the first optimizer point (the length when there is none). */
  backwardFrom: number;
  optimizerFrom: number;
  peak: {
    bytes: number;
    split: Record<StepCategory, number>;
    phase: StepPhase;
    point: number;
    /** The largest producers of the saved activations alive at the peak, largest first. */
    saved: { id: string; bytes: number }[];
  };
  /** The top of the y axis: the peak, or a point above it (there is none, but never clip). */
  max: number;
  optimizer: string;
  precision: string;
}

/** The plot area inside the chart, in pixels. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The timeline of a payload's training step, or null for a forward trace. */
export function readTimeline(graph: Payload): Timeline | null {
  const step = graph.step;
  if (step === undefined) return null;
  const { timeline, peak } = step;
  const count = timeline.node.length;
  const idOf = (index: number): string => (index < 0 ? "" : (graph.nodes[index]?.id ?? ""));
  const bytes = STEP_CATEGORIES.map((category) => {
    const column = timeline.bytes[category];
    return Array.isArray(column) ? column : new Array<number>(count).fill(column);
  });
  const totals = timeline.node.map((_, i) =>
    bytes.reduce((sum, column) => sum + (column[i] ?? 0), 0),
  );
  const firstOf = (phase: StepPhase, from: number): number => {
    const found = timeline.phase.indexOf(phase, from);
    return found < 0 ? count : found;
  };
  const backwardFrom = firstOf("backward", 0);
  return {
    ids: timeline.node.map(idOf),
    phase: timeline.phase,
    bytes,
    totals,
    backwardFrom,
    optimizerFrom: Math.min(firstOf("optimizer", backwardFrom), count),
    peak: {
      bytes: peak.bytes,
      split: peak.split,
      phase: peak.phase,
      point: peak.point,
      saved: peak.saved_by_node.map(([index, saved]) => ({ id: idOf(index), bytes: saved })),
    },
    // a loop, not Math.max(...totals): a long step's points would overflow the argument list
    max: totals.reduce((most, total) => Math.max(most, total), Math.max(peak.bytes, 1)),
    optimizer: step.optimizer,
    precision: step.precision,
  };
}

/** The top of each category's band at point `i`, bottom (params) first: the running sums. */
export function stackAt(timeline: Timeline, i: number): number[] {
  let sum = 0;
  return timeline.bytes.map((column) => {
    sum += column[i] ?? 0;
    return sum;
  });
}

/** The x of point `i`: the middle of its slot, the points side by side across the plot. */
export function xOf(timeline: Timeline, i: number, frame: Frame): number {
  return frame.left + ((i + 0.5) * frame.width) / Math.max(1, timeline.ids.length);
}

/** The y of `bytes`, zero at the bottom of the plot and `top` bytes at its top. */
export function yOf(bytes: number, top: number, frame: Frame): number {
  return frame.top + frame.height * (1 - bytes / Math.max(1, top));
}

/** The point nearest to a pointer at `x`, or null when `x` is outside the plot. */
export function pointAt(timeline: Timeline, x: number, frame: Frame): number | null {
  const count = timeline.ids.length;
  if (count === 0 || x < frame.left || x > frame.left + frame.width) return null;
  const slot = Math.floor(((x - frame.left) * count) / frame.width);
  return Math.min(count - 1, Math.max(0, slot));
}

/**
 * The points to draw on a plot `width` pixels wide: all of them, or where there are more than
 * two to a pixel, the fullest of each pixel's points (so no peak is lost to the thinning).
 */
export function drawnPoints(timeline: Timeline, width: number): number[] {
  const count = timeline.ids.length;
  const columns = Math.max(1, Math.floor(width * 2));
  if (count <= columns) return timeline.ids.map((_, i) => i);
  const kept: number[] = [];
  for (let column = 0; column < columns; column += 1) {
    const from = Math.floor((column * count) / columns);
    const to = Math.floor(((column + 1) * count) / columns);
    let best = from;
    for (let i = from + 1; i < to; i += 1) {
      if ((timeline.totals[i] ?? 0) > (timeline.totals[best] ?? 0)) best = i;
    }
    if (from < to) kept.push(best);
  }
  return kept;
}

/**
 * The points that belong to `id`: a node's own (its forward and its backward), or for a group
 * every point of a node inside it.
 */
export function pointsOf(timeline: Timeline, id: string, hierarchy: Hierarchy): number[] {
  if (id === "") return [];
  const isGroup = hierarchy.groups.has(id);
  const found: number[] = [];
  timeline.ids.forEach((node, i) => {
    if (node === id || (isGroup && node !== "" && hierarchy.ancestors(node).includes(id))) {
      found.push(i);
    }
  });
  return found;
}

/** Consecutive runs of sorted point indices, as [first, last] pairs (a group's forward, say). */
export function runs(points: readonly number[]): [number, number][] {
  const found: [number, number][] = [];
  for (const i of points) {
    const last = found.at(-1);
    if (last !== undefined && i === last[1] + 1) last[1] = i;
    else found.push([i, i]);
  }
  return found;
}

const STEPS = [1, 2, 2.5, 5];
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** The power of 1024 an axis reaching `max` bytes counts in (MiB for 330 MiB, GiB for 1.2 GiB). */
function unitOf(max: number): number {
  return Math.min(UNITS.length - 1, Math.max(0, Math.floor(Math.log(max) / Math.log(1024))));
}

/** Round byte values for the y axis, from zero to at most `max`, about `count` of them. */
export function byteTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  // a step round in the axis' own unit keeps labels short: 0.5 GiB, not 536.87 MB
  const unit = 1024 ** unitOf(max);
  const raw = max / unit / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = (STEPS.find((s) => s * power >= raw) ?? 10) * power * unit;
  const ticks: number[] = [];
  for (let tick = 0; tick <= max + step * 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

/** A tick's label, in the unit of the axis that reaches `max` bytes, without needless zeros. */
export function tickLabel(bytes: number, max: number): string {
  if (bytes === 0) return "0";
  const power = unitOf(max);
  return `${Number((bytes / 1024 ** power).toPrecision(4))} ${UNITS[power]}`;
}

/**
 * The layers a label names at the peak: the largest producers of what is saved then, as many as
 * fit in `chars` characters (at least one, its path shortened from the left: its end says most).
 */
export function peakLayers(timeline: Timeline, keep = 3, chars = Number.POSITIVE_INFINITY): string {
  const named = timeline.peak.saved
    .slice(0, keep)
    .map((s) => `${s.id === "" ? "(outside layers)" : s.id} ${formatBytes(s.bytes)}`);
  let text = named[0] ?? "";
  for (const next of named.slice(1)) {
    if (text.length + 2 + next.length > chars) break;
    text = `${text}, ${next}`;
  }
  return text.length <= chars ? text : `…${text.slice(text.length - Math.max(1, chars - 1))}`;
}

/** The point in words: which node's forward or backward it follows (or the optimizer's step). */
export function pointTitle(timeline: Timeline, i: number): string {
  const id = timeline.ids[i] ?? "";
  const phase = timeline.phase[i] ?? "forward";
  if (phase === "optimizer" || id === "") return "optimizer step";
  return phase === "backward" ? `${id} (backward)` : id;
}
