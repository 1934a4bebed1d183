/**
 * The memory timeline of a training step, under the diagram: bytes alive after each forward node,
 * each node's backward and the optimizer's step, stacked by category, with the peak marked and
 * named. Hovering a point highlights its node in the diagram and the table (the store's shared
 * hover), clicking selects it, and the selection's points are marked here. Shown only when the
 * payload has a step. The chart publishes a probe on its root (`el.torchscope`) for the tests.
 */

import { formatBytes } from "../format";
import {
  pointAt,
  pointsOf,
  pointTitle,
  readTimeline,
  stackAt,
  type Timeline,
  xOf,
  yOf,
} from "../graph/timeline";
import type { Store, ViewState } from "../store";
import { STEP_CATEGORIES, type StepCategory } from "../types";
import { svgElement } from "./svg";
import { type Chart, chartFor, drawHover, drawMarks, drawStatic } from "./timeline-draw";

/** The plot's height in pixels: a strip under the diagram, which keeps most of the height. */
const HEIGHT = 132;

const NAMES: Record<StepCategory, string> = {
  params: "parameters",
  buffers: "buffers",
  grads: "gradients",
  optimizer: "optimizer state",
  saved: "saved activations",
  temporaries: "temporaries",
};

/** What the browser tests read: where points are drawn (client pixels) and what is marked. */
export interface TimelineProbe {
  count(): number;
  /** Point `i`'s x, the top of its stack, and the top and bottom of each category's band. */
  at(i: number): { x: number; y: number; bands: Record<string, [number, number]> };
  pointsOf(id: string): number[];
  marked(): number[];
  hovered(): number | null;
  peak(): { x: number; y: number; point: number };
}

export function renderTimeline(el: HTMLElement, store: Store): () => void {
  const root = document.createElement("section");
  root.className = "ts-timeline";
  root.hidden = true;
  const head = document.createElement("div");
  head.className = "ts-timeline-head";
  const title = document.createElement("span");
  title.className = "ts-timeline-title";
  const readout = document.createElement("span");
  readout.className = "ts-timeline-readout";
  const legend = document.createElement("div");
  legend.className = "ts-timeline-legend";
  head.append(title, readout);
  const svg = svgElement("svg", { class: "ts-timeline-svg", height: HEIGHT, role: "img" });
  const layers = {
    marks: svgElement("g", { class: "ts-timeline-marks" }),
    chart: svgElement("g", {}),
    hover: svgElement("g", {}),
  };
  const catcher = svgElement("rect", { class: "ts-timeline-catcher", x: 0, y: 0, height: HEIGHT });
  svg.append(layers.chart, layers.marks, layers.hover, catcher);
  root.append(head, svg, legend);
  el.append(root);

  let timeline: Timeline | null = null;
  let source: unknown = null;
  let chart: Chart | null = null;
  let width = 0;
  let hovered: number | null = null;
  let marked: number[] = [];

  const measure = (): number => root.clientWidth || el.clientWidth || 800;

  const drawLegend = (): void => {
    if (timeline === null) return;
    const at = hovered;
    const values = STEP_CATEGORIES.map((c, k) =>
      at === null ? (timeline?.peak.split[c] ?? 0) : (timeline?.bytes[k]?.[at] ?? 0),
    );
    const items = STEP_CATEGORIES.map((category, k) => {
      const item = document.createElement("span");
      item.className = "ts-timeline-key";
      item.dataset.category = category;
      const swatch = document.createElement("i");
      swatch.className = `ts-timeline-swatch ts-mem-${category}`;
      item.append(swatch, `${NAMES[category]} ${formatBytes(values[k] ?? 0)}`);
      return item;
    });
    const total = values.reduce((a, b) => a + b, 0);
    const where = at === null ? peakWhere(timeline) : `after ${pointTitle(timeline, at)}`;
    readout.textContent = `${formatBytes(at === null ? timeline.peak.bytes : total)} ${where}`;
    legend.replaceChildren(...items);
  };

  const drawMarked = (state: ViewState): void => {
    if (timeline === null || chart === null) return;
    marked = pointsOf(timeline, state.selected, state.hierarchy);
    drawMarks(layers.marks, timeline, chart, marked, state.hierarchy.groups.has(state.selected));
  };

  const redraw = (state: ViewState): void => {
    if (timeline === null) return;
    width = measure();
    chart = chartFor(timeline, width, HEIGHT);
    svg.setAttribute("width", String(width));
    svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    catcher.setAttribute("width", String(width));
    drawStatic(layers.chart, timeline, chart);
    drawMarked(state);
    drawHover(layers.hover, timeline, chart, hovered);
    drawLegend();
  };

  const onState = (state: ViewState): void => {
    if (state.graph !== source) {
      source = state.graph;
      timeline = state.error === null ? readTimeline(state.graph) : null;
      hovered = null;
      root.hidden = timeline === null;
      if (timeline !== null) {
        title.textContent = `Memory over one training step (${timeline.optimizer}, ${timeline.precision})`;
        svg.setAttribute(
          "aria-label",
          `Memory timeline: ${timeline.ids.length} points, peak ${formatBytes(timeline.peak.bytes)}`,
        );
        redraw(state);
      }
      return;
    }
    drawMarked(state);
  };

  const setHover = (point: number | null): void => {
    if (timeline === null || chart === null || point === hovered) return;
    hovered = point;
    drawHover(layers.hover, timeline, chart, point);
    drawLegend();
    const id = point === null ? "" : (timeline.ids[point] ?? "");
    // the box that stands for the node (its collapsed group, say), so diagram and table both light it
    store.hovered.set(id === "" ? "" : (store.current.visible.representative.get(id) ?? id));
  };
  const pointUnder = (event: PointerEvent | MouseEvent): number | null => {
    if (timeline === null || chart === null) return null;
    const rect = svg.getBoundingClientRect();
    return pointAt(timeline, event.clientX - rect.left, chart.frame);
  };
  catcher.addEventListener("pointermove", (event) => setHover(pointUnder(event as PointerEvent)));
  catcher.addEventListener("pointerleave", () => setHover(null));
  catcher.addEventListener("click", (event) => {
    const point = pointUnder(event as MouseEvent);
    const id = point === null ? "" : (timeline?.ids[point] ?? "");
    if (id !== "") store.select(id);
  });
  // a hover that moved elsewhere (a box, a row) takes this chart's hover line away
  const unhover = store.hovered.subscribe((id) => {
    if (hovered === null || timeline === null || chart === null) return;
    const mine = timeline.ids[hovered] ?? "";
    if (id !== mine && id !== store.current.visible.representative.get(mine)) {
      hovered = null;
      drawHover(layers.hover, timeline, chart, null);
      drawLegend();
    }
  });

  const client = (x: number, y: number): [number, number] => {
    const rect = svg.getBoundingClientRect();
    return [rect.left + x, rect.top + y];
  };
  const probe: TimelineProbe = {
    count: () => timeline?.ids.length ?? 0,
    at: (i) => {
      if (timeline === null || chart === null) return { x: 0, y: 0, bands: {} };
      const { frame, top } = chart;
      const stack = stackAt(timeline, i);
      const x = xOf(timeline, i, frame);
      const bands: Record<string, [number, number]> = {};
      STEP_CATEGORIES.forEach((category, c) => {
        const upper = client(x, yOf(stack[c] ?? 0, top, frame))[1];
        const lower = client(x, yOf(stack[c - 1] ?? 0, top, frame))[1];
        bands[category] = [upper, lower];
      });
      const [cx, cy] = client(x, yOf(timeline.totals[i] ?? 0, top, frame));
      return { x: cx, y: cy, bands };
    },
    pointsOf: (id) => (timeline === null ? [] : pointsOf(timeline, id, store.current.hierarchy)),
    marked: () => [...marked],
    hovered: () => hovered,
    peak: () => {
      if (timeline === null || chart === null) return { x: 0, y: 0, point: -1 };
      const point = timeline.peak.point;
      const [x, y] = client(
        xOf(timeline, point, chart.frame),
        yOf(timeline.peak.bytes, chart.top, chart.frame),
      );
      return { x, y, point };
    },
  };
  Object.assign(root, { torchscope: probe });

  const resize =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          if (!root.hidden && measure() !== width) redraw(store.current);
        })
      : null;
  resize?.observe(root);
  onState(store.current);
  const unsubscribe = store.subscribe(onState);
  return () => {
    unsubscribe();
    unhover();
    resize?.disconnect();
    root.remove();
  };
}

/** Where the peak was reached, in words: "at the peak, in the backward of layer4.0.conv1". */
function peakWhere(timeline: Timeline): string {
  const id = timeline.ids[timeline.peak.point] ?? "";
  const phase = timeline.peak.phase;
  if (phase === "optimizer" || id === "") return `at the peak, in the ${phase} step`;
  return `at the peak, in the ${phase} of ${id} · hover the chart to read any point`;
}
