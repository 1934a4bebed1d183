import { afterEach, describe, expect, it } from "vitest";
import {
  byteTicks,
  drawnPoints,
  peakLayers,
  pointAt,
  pointsOf,
  pointTitle,
  readTimeline,
  runs,
  stackAt,
  type Timeline,
  tickLabel,
  xOf,
  yOf,
} from "../../js/graph/timeline";
import { Hierarchy } from "../../js/graph/visible";
import type { TimelineProbe } from "../../js/views/timeline";
import { probe as diagramProbe, FakeModel, goldenPayload, renderWidget } from "./fake-model";

// The golden payload's step, by hand: 7 points (3 forward, 3 backward, the optimizer's), params
// 1040 B and optimizer state 2080 B at every point, grads/saved/temporaries per point.
const golden = (): Timeline => {
  const timeline = readTimeline(goldenPayload());
  if (timeline === null) throw new Error("the golden payload has a step");
  return timeline;
};
const MiB = 2 ** 20;

describe("the step's memory timeline (pure)", () => {
  it("reads the columns: ids from node indices, constants spread, phases' bounds", () => {
    const t = golden();
    expect(t.ids).toEqual([
      "blocks.0.conv",
      "blocks.1.conv",
      "add#1",
      "add#1",
      "blocks.1.conv",
      "blocks.0.conv",
      "",
    ]);
    expect(t.backwardFrom).toBe(3);
    expect(t.optimizerFrom).toBe(6);
    // params, buffers, grads, optimizer, saved, temporaries at point 4
    expect(t.bytes.map((column) => column[4])).toEqual([1040, 0, 528, 2080, 1536, 2048]);
    expect(t.totals[4]).toBe(1040 + 528 + 2080 + 1536 + 2048);
    expect(t.max).toBe(9264); // the peak, above every point
    expect(t.peak.saved).toEqual([
      { id: "blocks.0.conv", bytes: 1536 },
      { id: "blocks.1.conv", bytes: 1536 },
    ]);
  });

  it("is absent for a forward trace", () => {
    const graph = goldenPayload();
    delete graph.step;
    expect(readTimeline(graph)).toBeNull();
  });

  it("stacks the categories from the parameters up", () => {
    expect(stackAt(golden(), 4)).toEqual([1040, 1040, 1568, 3648, 5184, 7232]);
  });

  it("places points in slots across the plot and finds the nearest to a pointer", () => {
    const t = golden();
    const frame = { left: 10, top: 5, width: 70, height: 100 }; // 7 points: 10 px each
    expect(xOf(t, 0, frame)).toBe(15);
    expect(xOf(t, 3, frame)).toBe(45);
    expect(pointAt(t, 10, frame)).toBe(0);
    expect(pointAt(t, 44, frame)).toBe(3);
    expect(pointAt(t, 80, frame)).toBe(6);
    expect(pointAt(t, 9, frame)).toBeNull();
    expect(pointAt(t, 81, frame)).toBeNull();
    expect(yOf(0, 1000, frame)).toBe(105);
    expect(yOf(1000, 1000, frame)).toBe(5);
    expect(yOf(250, 1000, frame)).toBe(80);
  });

  it("keeps the fullest point of each pixel when there are more than two to a pixel", () => {
    const t = golden();
    // 7 points on a 2-px plot: 4 columns of points [0], [1 2], [3 4], [5 6]
    expect(drawnPoints(t, 2)).toEqual([0, 1, 3, 5]);
    expect(drawnPoints(t, 10)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("finds a node's forward and backward points, and every point inside a group", () => {
    const t = golden();
    const hierarchy = new Hierarchy(goldenPayload());
    expect(pointsOf(t, "blocks.1.conv", hierarchy)).toEqual([1, 4]);
    expect(pointsOf(t, "blocks", hierarchy)).toEqual([0, 1, 4, 5]);
    expect(pointsOf(t, "blocks.0", hierarchy)).toEqual([0, 5]);
    expect(pointsOf(t, "input", hierarchy)).toEqual([]);
    expect(pointsOf(t, "", hierarchy)).toEqual([]);
    expect(runs([0, 1, 4, 5, 6, 9])).toEqual([
      [0, 1],
      [4, 6],
      [9, 9],
    ]);
  });

  it("ticks the byte axis at round values of its own unit", () => {
    expect(byteTicks(400 * MiB)).toEqual([0, 100, 200, 300, 400].map((m) => m * MiB));
    expect(byteTicks(330 * MiB)).toEqual([0, 100, 200, 300].map((m) => m * MiB));
    expect(byteTicks(9 * 2 ** 30)).toEqual([0, 2.5, 5, 7.5].map((g) => g * 2 ** 30));
    expect(byteTicks(0)).toEqual([0]);
    expect(tickLabel(200 * MiB, 330 * MiB)).toBe("200 MiB");
    expect(tickLabel(2.5 * 2 ** 30, 9 * 2 ** 30)).toBe("2.5 GiB");
    // an axis in GiB labels its half-GiB tick in GiB too
    expect(tickLabel(512 * MiB, 1.5 * 2 ** 30)).toBe("0.5 GiB");
    expect(tickLabel(0, 330 * MiB)).toBe("0");
  });

  it("says what a point follows and which layers the peak's activations are", () => {
    const t = golden();
    expect(pointTitle(t, 0)).toBe("blocks.0.conv");
    expect(pointTitle(t, 4)).toBe("blocks.1.conv (backward)");
    expect(pointTitle(t, 6)).toBe("optimizer step");
    expect(peakLayers(t)).toBe("blocks.0.conv 1.50 KiB, blocks.1.conv 1.50 KiB");
    expect(peakLayers(t, 1)).toBe("blocks.0.conv 1.50 KiB");
    // a narrow room names fewer layers, and shortens the one it must name from the left
    expect(peakLayers(t, 3, 30)).toBe("blocks.0.conv 1.50 KiB");
    expect(peakLayers(t, 3, 16)).toBe("…0.conv 1.50 KiB");
  });
});

function timelineProbe(el: HTMLElement): TimelineProbe {
  const root = el.querySelector(".ts-timeline") as
    | (HTMLElement & { torchscope?: TimelineProbe })
    | null;
  if (root?.torchscope === undefined) throw new Error("no timeline probe");
  return root.torchscope;
}

describe("the timeline chart in the widget", () => {
  let cleanup: (() => void) | null = null;
  afterEach(() => {
    cleanup?.();
    cleanup = null;
  });

  it("draws a band per category that holds anything, and none for a forward trace", () => {
    const shown = renderWidget(new FakeModel());
    cleanup = shown.cleanup;
    const section = shown.el.querySelector<HTMLElement>(".ts-timeline");
    expect(section?.hidden).toBe(false);
    const areas = [...shown.el.querySelectorAll<SVGElement>(".ts-timeline-area")];
    // buffers are 0 at every point: no band
    expect(areas.map((a) => a.dataset.category)).toEqual([
      "params",
      "grads",
      "optimizer",
      "saved",
      "temporaries",
    ]);
    expect(shown.el.querySelector(".ts-timeline-peak-value")?.textContent).toBe(
      "peak 9.05 KiB (backward)",
    );
    expect(shown.el.querySelector(".ts-timeline-legend")?.textContent).toContain(
      "saved activations 3.00 KiB",
    );
    shown.cleanup();
    const graph = goldenPayload();
    delete graph.step;
    const forward = renderWidget(new FakeModel({ graph }));
    cleanup = forward.cleanup;
    expect(forward.el.querySelector<HTMLElement>(".ts-timeline")?.hidden).toBe(true);
  });

  it("hovers the node of the point under the pointer, selects it on a click", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const shown = renderWidget(model);
    cleanup = shown.cleanup;
    const probe = timelineProbe(shown.el);
    const catcher = shown.el.querySelector(".ts-timeline-catcher") as SVGElement;
    const at = probe.at(4); // blocks.1.conv's backward
    catcher.dispatchEvent(new MouseEvent("pointermove", { clientX: at.x, clientY: at.y }));
    expect(probe.hovered()).toBe(4);
    expect(shown.el.querySelector(".ts-timeline-readout")?.textContent).toBe(
      "7.06 KiB after blocks.1.conv (backward)",
    );
    expect(shown.el.querySelector(".ts-row.ts-hovered")?.getAttribute("data-row-id")).toBe(
      "blocks.1.conv",
    );
    expect(diagramProbe(shown.el).hovered()).toBe("blocks.1.conv");
    catcher.dispatchEvent(new MouseEvent("click", { clientX: at.x, clientY: at.y }));
    expect(model.get("selected")).toBe("blocks.1.conv");
    expect(probe.marked()).toEqual([1, 4]);
    catcher.dispatchEvent(new MouseEvent("pointerleave"));
    expect(probe.hovered()).toBeNull();
  });

  it("hovers the box that stands for a node inside a collapsed group", () => {
    const shown = renderWidget(new FakeModel());
    cleanup = shown.cleanup;
    shown.el.querySelector<HTMLElement>('[data-action="collapse-all"]')?.click();
    const probe = timelineProbe(shown.el);
    const at = probe.at(0);
    const catcher = shown.el.querySelector(".ts-timeline-catcher") as SVGElement;
    catcher.dispatchEvent(new MouseEvent("pointermove", { clientX: at.x, clientY: at.y }));
    const hoveredRow = shown.el.querySelector(".ts-row.ts-hovered")?.getAttribute("data-row-id");
    expect(hoveredRow).toBe("blocks");
    expect(diagramProbe(shown.el).hovered()).toBe("blocks");
  });

  it("marks a selected node's two points, and a group's span, as Python selects them", () => {
    const model = new FakeModel();
    const shown = renderWidget(model);
    cleanup = shown.cleanup;
    const probe = timelineProbe(shown.el);
    model.setFromKernel("selected", "blocks.0.conv");
    expect(probe.marked()).toEqual([0, 5]);
    expect(shown.el.querySelectorAll(".ts-timeline-mark")).toHaveLength(2);
    model.setFromKernel("selected", "blocks");
    expect(probe.marked()).toEqual([0, 1, 4, 5]);
    expect(shown.el.querySelectorAll(".ts-timeline-span")).toHaveLength(2);
    model.setFromKernel("selected", "");
    expect(probe.marked()).toEqual([]);
    expect(shown.el.querySelectorAll(".ts-timeline-mark, .ts-timeline-span")).toHaveLength(0);
  });
});
