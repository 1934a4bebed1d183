import { afterEach, describe, expect, it } from "vitest";
import { formatValue } from "../../js/format";
import { Hierarchy } from "../../js/graph/hierarchy";
import {
  axisPosition,
  axisTicks,
  axisValue,
  histogramBars,
  itemMark,
  nodeHistograms,
  nonFiniteMarks,
} from "../../js/graph/values";
import { sceneToSvg } from "../../js/views/export";
import { TEST_PALETTE } from "./builders";
import { chainPayload, FakeModel, goldenPayload, node, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

const palette = TEST_PALETTE;

// the golden payload: blocks.1.conv holds 5 NaNs and is the origin; blocks.0.conv holds none
describe("NaN and Inf marks", () => {
  it("mark the origin, later nodes, and every group around them", () => {
    const graph = goldenPayload();
    graph.nodes[3] = {
      ...(graph.nodes[3] as (typeof graph.nodes)[number]),
      stats: { value_nan: 1 },
    };
    const marks = nonFiniteMarks(graph, new Hierarchy(graph));
    expect([...marks.entries()].sort()).toEqual([
      ["add#1", "later"],
      ["blocks", "origin"],
      ["blocks.1", "origin"],
      ["blocks.1.conv", "origin"],
    ]);
    const fold = {
      id: "blocks.0",
      kind: "fold" as const,
      parent: "blocks",
      members: ["blocks.0", "blocks.1"],
    };
    expect(itemMark(fold, marks)).toBe("origin");
    expect(itemMark({ id: "blocks.0", kind: "group", parent: "blocks" }, marks)).toBeNull();
  });

  it("are absent from a trace without values", () => {
    const graph = chainPayload(3);
    expect(nonFiniteMarks(graph, new Hierarchy(graph)).size).toBe(0);
  });

  it("put a badge on the drawn boxes, the origin's own, and into the SVG export", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const { el } = renderWidget(model);
    expect(node(el, "blocks.1.conv").nonFinite).toBe("origin");
    expect(node(el, "blocks.0.conv").nonFinite).toBeNull();
    const scene = probe(el).scene();
    if (scene === null) throw new Error("nothing drawn");
    const svg = sceneToSvg(scene, "TB", palette, "t");
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    expect(doc.querySelectorAll("circle.ts-badge")).toHaveLength(1);
    expect(doc.querySelector("circle.ts-badge")?.getAttribute("fill")).toBe("#d32f2f");
  });
});

describe("jump to the first NaN", () => {
  it("selects the origin, opening the groups that hide it", () => {
    const model = new FakeModel({ expanded: [] });
    const { el } = renderWidget(model);
    const button = el.querySelector<HTMLButtonElement>('[data-action="first-nonfinite"]');
    expect(button?.hidden).toBe(false);
    button?.click();
    expect(model.get("selected")).toBe("blocks.1.conv");
    expect(model.get("expanded")).toEqual(expect.arrayContaining(["blocks", "blocks.1"]));
    expect(probe(el).scene()?.selected).toBe("blocks.1.conv");
  });

  it("is hidden when nothing was non-finite", () => {
    const { el } = renderWidget(new FakeModel({ graph: chainPayload(3) }));
    expect(el.querySelector<HTMLButtonElement>('[data-action="first-nonfinite"]')?.hidden).toBe(
      true,
    );
  });
});

describe("the symmetric log axis", () => {
  const linear = 1e-3;
  it("puts ±absmax at the ends, zero in the middle, and absmax·linear where log1p(1) says", () => {
    expect(axisPosition(2.5, 2.5, linear)).toBe(1);
    expect(axisPosition(-2.5, 2.5, linear)).toBe(0);
    expect(axisPosition(0, 2.5, linear)).toBe(0.5);
    // by hand: (ln 2 / ln 1001 + 1) / 2
    expect(axisPosition(2.5e-3, 2.5, linear)).toBeCloseTo((Math.LN2 / Math.log(1001) + 1) / 2, 12);
    for (const at of [0.05, 0.3, 0.5, 0.77, 1]) {
      expect(axisPosition(axisValue(at, 2.5, linear), 2.5, linear)).toBeCloseTo(at, 12);
    }
  });

  it("has five ticks, symmetric, and one for an all-zero tensor", () => {
    const ticks = axisTicks(2.5, linear);
    expect(ticks.map((t) => t.value)).toEqual([-2.5, -0.025, 0, 0.025, 2.5]);
    expect(ticks.map((t) => t.at + (ticks[4 - ticks.indexOf(t)]?.at ?? 0))).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(axisTicks(0, linear)).toEqual([{ at: 0.5, value: 0 }]);
  });

  it("scales bars to the tallest bin", () => {
    expect(histogramBars([0, 5, 10, 5]).map((b) => [b.x, b.width, b.height])).toEqual([
      [0, 0.25, 0],
      [0.25, 0.25, 0.5],
      [0.5, 0.25, 1],
      [0.75, 0.25, 0.5],
    ]);
    expect(histogramBars([0, 0]).map((b) => b.height)).toEqual([0, 0]);
  });

  it("formats measured values to four significant digits", () => {
    expect([0.024_99, -2.5, 123_456, 0.000_012_3, 0].map(formatValue)).toEqual([
      "0.02499",
      "-2.5",
      "1.23e+5",
      "1.23e-5",
      "0",
    ]);
  });
});

describe("value columns in the table", () => {
  it("sort by a measured value and show it to four digits", () => {
    const graph = goldenPayload();
    (graph.nodes[3] as (typeof graph.nodes)[number]).stats.value_absmax = -0.000_012_3;
    const { el } = renderWidget(
      new FakeModel({ graph, expanded: ["blocks", "blocks.0", "blocks.1"] }),
    );
    el.querySelector<HTMLButtonElement>('[data-action="table-mode"]')?.click(); // flat
    const head = [...el.querySelectorAll<HTMLElement>(".ts-head-cell")].find(
      (c) => c.dataset.key === "value_absmax",
    );
    head?.click();
    const order = [...el.querySelectorAll<HTMLElement>(".ts-row")].map((r) => r.dataset.rowId);
    expect(order.slice(0, 3)).toEqual(["blocks.1.conv", "blocks.0.conv", "add#1"]);
    const cells = [...el.querySelectorAll<HTMLElement>(".ts-row .ts-cell")].filter(
      (c) => c.dataset.key === "value_absmax",
    );
    expect(cells.slice(0, 3).map((c) => c.textContent)).toEqual(["3", "2.5", "-1.23e-5"]);
  });
});

describe("histograms in the details panel", () => {
  it("come from the node's outputs, its producers' outputs, and its parameters", () => {
    const graph = goldenPayload();
    expect(nodeHistograms(graph, "blocks.0.conv").map((c) => c.title)).toEqual([
      "output 0",
      "blocks.0.conv.weight",
      "blocks.0.conv.bias",
    ]);
    const input = nodeHistograms(graph, "blocks.1.conv");
    expect(input.map((c) => c.title)).toEqual(["input from blocks.0.conv"]);
    expect(input[0]?.histogram.counts).toEqual([1, 4, 20, 103, 110, 21, 6, 1]);
  });

  it("are drawn as charts with a value axis and a count axis", () => {
    const { el } = renderWidget(new FakeModel({ selected: "blocks.0.conv" }));
    const charts = [...el.querySelectorAll(".ts-details .ts-histogram")];
    expect(charts.map((c) => c.querySelector("figcaption")?.textContent)).toEqual([
      "output 0",
      "blocks.0.conv.weight",
      "blocks.0.conv.bias",
    ]);
    const output = charts[0] as Element;
    // one bar per bin that holds anything; the tallest spans the plot
    const bars = [...output.querySelectorAll(".ts-histogram-bar")];
    expect(bars).toHaveLength(8);
    const heights = bars.map((b) => Number(b.getAttribute("height")));
    expect(Math.max(...heights)).toBe(heights[4]);
    expect([...output.querySelectorAll(".ts-histogram-x")].map((t) => t.textContent)).toEqual([
      "-2.5",
      "-0.025",
      "0",
      "0.025",
      "2.5",
    ]);
    expect([...output.querySelectorAll(".ts-histogram-y")].map((t) => t.textContent)).toEqual([
      "0",
      "110",
    ]);
    // an all-NaN parameter draws no bars but still its axes
    expect(charts[2]?.querySelectorAll(".ts-histogram-bar")).toHaveLength(0);
    const params = [...el.querySelectorAll(".ts-details-params tr")].map((r) => r.textContent);
    expect(params[0]).toContain("norm 1.2");
    expect(params[1]).toContain("NaN 4");
  });
});
