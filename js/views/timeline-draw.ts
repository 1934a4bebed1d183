/**
 * The memory timeline's SVG layers: the stacked areas with their byte axis and phase bounds, the
 * peak with its label, the marks of the selection, and the hover line. The geometry is
 * js/graph/timeline.ts's; colours are CSS classes, so the theme's variables apply.
 */

import { formatBytes } from "../format";
import {
  byteTicks,
  drawnPoints,
  type Frame,
  peakLayers,
  runs,
  stackAt,
  type Timeline,
  tickLabel,
  xOf,
  yOf,
} from "../graph/timeline";
import { STEP_CATEGORIES } from "../types";
import { svgElement, svgLabel, svgText } from "./svg";

/** Room around the plot: byte labels on the left, phase names above. */
export const MARGIN = { left: 62, right: 10, top: 16, bottom: 6 };
/** The width of a character of the peak's labels, a little generous (10 px system sans). */
const CHAR_WIDTH = 5.6;
/** Pixels between the peak and the top of the plot: room for the peak's two lines of label. */
const HEADROOM = 30;

export interface Chart {
  frame: Frame;
  /** The bytes at the top of the plot. */
  top: number;
}

export function chartFor(timeline: Timeline, width: number, height: number): Chart {
  const plot = Math.max(HEADROOM + 10, height - MARGIN.top - MARGIN.bottom);
  return {
    frame: {
      left: MARGIN.left,
      top: MARGIN.top,
      width: Math.max(10, width - MARGIN.left - MARGIN.right),
      height: plot,
    },
    top: (timeline.max * plot) / (plot - HEADROOM),
  };
}

/** The areas, the axis, the phase bounds and the peak: what changes only with the data or size. */
export function drawStatic(layer: SVGElement, timeline: Timeline, chart: Chart): void {
  const { frame, top } = chart;
  const parts: SVGElement[] = [];
  const axis = top * 0.98;
  for (const tick of byteTicks(axis)) {
    const y = yOf(tick, top, frame);
    parts.push(
      svgElement("path", {
        class: "ts-timeline-grid",
        d: `M${frame.left} ${y}H${frame.left + frame.width}`,
      }),
      svgLabel(frame.left - 6, y + 4, tickLabel(tick, axis), "end", "ts-timeline-tick"),
    );
  }
  const drawn = drawnPoints(timeline, frame.width);
  const stacks = drawn.map((i) => stackAt(timeline, i));
  const xs = drawn.map((i) => xOf(timeline, i, frame));
  STEP_CATEGORIES.forEach((category, c) => {
    if (timeline.bytes[c]?.every((b) => b === 0)) return;
    const upper = xs.map(
      (x, j) => `${x.toFixed(1)} ${yOf(stacks[j]?.[c] ?? 0, top, frame).toFixed(1)}`,
    );
    const lower = xs
      .map((x, j) => `${x.toFixed(1)} ${yOf(stacks[j]?.[c - 1] ?? 0, top, frame).toFixed(1)}`)
      .reverse();
    const area = svgElement("path", {
      class: `ts-timeline-area ts-mem-${category}`,
      d: `M${upper.join("L")}L${lower.join("L")}Z`,
    });
    area.dataset.category = category;
    parts.push(area);
  });
  parts.push(...phaseBounds(timeline, frame));
  parts.push(...peakMark(timeline, chart));
  layer.replaceChildren(...parts);
}

/** A dashed line where the backward starts (and the optimizer), each phase named above its part. */
function phaseBounds(timeline: Timeline, frame: Frame): SVGElement[] {
  const count = timeline.ids.length;
  const slot = frame.width / Math.max(1, count);
  const edge = (i: number): number => frame.left + i * slot;
  const parts: SVGElement[] = [];
  const phases: [string, number, number][] = [
    ["forward →", 0, timeline.backwardFrom],
    ["← backward", timeline.backwardFrom, timeline.optimizerFrom],
    ["optimizer", timeline.optimizerFrom, count],
  ];
  for (const [name, from, to] of phases) {
    if (to <= from) continue;
    if (from > 0) {
      const bound = svgElement("path", {
        class: "ts-timeline-bound",
        d: `M${edge(from)} ${frame.top - 14}V${frame.top + frame.height}`,
      });
      parts.push(bound);
    }
    // the optimizer's one point is too narrow for its name in a long step: it goes right-aligned
    const wide = (to - from) * slot > 40;
    const x = wide ? edge(from) + 4 : edge(to) - 1;
    parts.push(svgLabel(x, frame.top - 4, name, wide ? "start" : "end", "ts-timeline-phase"));
  }
  return parts;
}

/** The peak: a dot at its bytes over its point, and its value and main layers in words. */
function peakMark(timeline: Timeline, chart: Chart): SVGElement[] {
  const { frame, top } = chart;
  const { peak } = timeline;
  const x = xOf(timeline, peak.point, frame);
  const y = yOf(peak.bytes, top, frame);
  // the label goes on the side with more room, and names as many layers as fit there
  const room = { right: frame.left + frame.width - x - 8, left: x - 8 - frame.left };
  const right = room.right >= room.left;
  const anchor = right ? "start" : "end";
  const dx = right ? 7 : -7;
  const group = svgElement("g", { class: "ts-timeline-peak" });
  group.append(
    svgElement("path", {
      class: "ts-timeline-peak-line",
      d: `M${x} ${y}V${frame.top + frame.height}`,
    }),
    svgElement("circle", { class: "ts-timeline-peak-dot", cx: x, cy: y, r: 4 }),
  );
  const prefix = "largest saved activations: ";
  const chars = Math.floor((right ? room.right : room.left) / CHAR_WIDTH) - prefix.length;
  const layers = peakLayers(timeline, 3, Math.max(12, chars));
  const value = `peak ${formatBytes(peak.bytes)} (${peak.phase})`;
  group.append(
    svgLabel(x + dx, y - (layers === "" ? 4 : 16), value, anchor, "ts-timeline-peak-value"),
  );
  if (layers !== "") {
    const saved = `${prefix}${layers}`;
    group.append(svgLabel(x + dx, y - 4, saved, anchor, "ts-timeline-peak-layers"));
  }
  group.append(
    svgText("title", `peak ${formatBytes(peak.bytes)} (${peak.phase}); ${peakLayers(timeline)}`),
  );
  return [group];
}

/** The selection's points: a line at each of a node's, a band over each run of a group's. */
export function drawMarks(
  layer: SVGElement,
  timeline: Timeline,
  chart: Chart,
  points: number[],
  group: boolean,
): void {
  const { frame } = chart;
  const slot = frame.width / Math.max(1, timeline.ids.length);
  const parts: SVGElement[] = [];
  // a node's last forward point and its first backward one can be neighbours: two lines still
  const spans = group ? runs(points) : points.map((i): [number, number] => [i, i]);
  for (const [first, last] of spans) {
    if (first !== last) {
      parts.push(
        svgElement("rect", {
          class: "ts-timeline-span",
          x: frame.left + first * slot,
          y: frame.top,
          width: (last - first + 1) * slot,
          height: frame.height,
        }),
      );
      continue;
    }
    const x = xOf(timeline, first, frame);
    parts.push(
      svgElement("path", {
        class: "ts-timeline-mark",
        d: `M${x} ${frame.top - 14}V${frame.top + frame.height}`,
      }),
    );
  }
  layer.replaceChildren(...parts);
}

/** The hovered point: a line through it and a dot on the top of its stack. */
export function drawHover(
  layer: SVGElement,
  timeline: Timeline,
  chart: Chart,
  point: number | null,
): void {
  if (point === null) {
    layer.replaceChildren();
    return;
  }
  const { frame, top } = chart;
  const x = xOf(timeline, point, frame);
  const y = yOf(timeline.totals[point] ?? 0, top, frame);
  layer.replaceChildren(
    svgElement("path", {
      class: "ts-timeline-hover",
      d: `M${x} ${frame.top}V${frame.top + frame.height}`,
    }),
    svgElement("circle", { class: "ts-timeline-hover-dot", cx: x, cy: y, r: 3 }),
  );
}
