import { afterEach, describe, expect, it } from "vitest";
import { metricScale } from "../../js/graph/colour";
import { FakeModel, goldenPayload, node, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

describe("metricScale", () => {
  it("is linear when values stay within two decades", () => {
    const scale = metricScale([10, 20, 30, undefined]);
    expect(scale.log).toBe(false);
    expect(scale.at(10)).toBeCloseTo(0.1);
    expect(scale.at(20)).toBeCloseTo(0.55);
    expect(scale.at(30)).toBeCloseTo(1);
  });

  it("is logarithmic when they span orders of magnitude", () => {
    const scale = metricScale([1, 1_000, 1_000_000]);
    expect(scale.log).toBe(true);
    // 1000 is halfway between 1 and 1e6 in decades
    expect(scale.at(1_000)).toBeCloseTo(0.1 + 0.9 * 0.5);
  });

  it("takes the values of a 200,000-row table without overflowing the stack", () => {
    const scale = metricScale(Array.from({ length: 200_000 }, (_, i) => i + 1));
    expect([scale.min, scale.max, scale.log]).toEqual([1, 200_000, true]);
  });

  it("shades nothing for zero, missing values, or no positive values at all", () => {
    expect(metricScale([0, 5]).at(0)).toBeNull();
    expect(metricScale([0, 5]).at(undefined)).toBeNull();
    expect(metricScale([0, 0]).at(3)).toBeNull();
    expect(metricScale([7]).at(7)).toBe(1);
  });
});

describe("colour by metric", () => {
  const strength = (el: HTMLElement, id: string): number | null => {
    const value = node(el, id).strength;
    return value === null ? null : Math.round(value * 100);
  };

  it("shades boxes by the metric the kernel sets, with a legend", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const el = renderWidget(model).el;
    expect(el.querySelector(".ts-legend")).toBeNull();
    model.setFromKernel("metric", "params");
    // params 112 and 148 (linear scale): 112 is the minimum, 148 the maximum; 0 is unshaded
    expect(strength(el, "blocks.0.conv")).toBe(10);
    expect(strength(el, "blocks.1.conv")).toBe(100);
    expect(strength(el, "add#1")).toBeNull();
    expect(el.querySelector(".ts-legend")?.textContent).toBe("Params: 112 → 148");
  });

  it("writes the toolbar choice back as `metric`, and offers only numeric columns", () => {
    const model = new FakeModel();
    const el = renderWidget(model).el;
    const select = el.querySelector<HTMLSelectElement>(".ts-metric");
    expect([...(select?.options ?? [])].map((o) => o.value)).toEqual([
      "",
      "params",
      "activation_bytes",
      "value_absmax",
      "value_nan",
    ]);
    if (select === null) throw new Error("no metric select");
    select.value = "activation_bytes";
    select.dispatchEvent(new Event("change"));
    expect(model.saved.at(-1)).toEqual({ metric: "activation_bytes" });
  });

  it("shades a fold by the sum of its blocks", () => {
    // the fold (blocks 112 + 148 = 260) between two other values, so that any other value for
    // it (one block, the first group's total, nothing) gives another strength
    const graph = goldenPayload();
    const set = (id: string, params: number): void => {
      const found = graph.nodes.find((n) => n.id === id);
      if (found === undefined) throw new Error(`no node ${id}`);
      found.stats.params = params;
    };
    set("add#1", 100);
    set("output", 400);
    const model = new FakeModel({ graph, expanded: ["blocks"], metric: "params" });
    const el = renderWidget(model).el;
    expect(strength(el, "add#1")).toBe(10);
    expect(strength(el, "output")).toBe(100);
    // linear from 100 to 400: 0.1 + 0.9 · (260 − 100) / 300
    expect(strength(el, "blocks.0×2")).toBe(58);
  });
});
