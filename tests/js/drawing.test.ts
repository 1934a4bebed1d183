import { afterEach, describe, expect, it } from "vitest";
import type { Box } from "../../js/graph/layout";
import { layeredLayout, layoutInput } from "../../js/graph/layout";
import { Hierarchy, visible } from "../../js/graph/visible";
import { shortName, span } from "../../js/views/describe";
import { sceneToSvg } from "../../js/views/export";
import type { SceneBox } from "../../js/views/scene";
import { boxLook } from "../../js/views/style";
import { estimate, FULL_ZOOM, fitText, textLines, textRuns } from "../../js/views/text";
import { edge, group, io, mod, payload, TEST_PALETTE } from "./builders";
import { FakeModel, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

const palette = TEST_PALETTE;

function box(overrides: Partial<SceneBox>): SceneBox {
  return {
    id: "b",
    select: "b",
    kind: "module",
    op: "Conv2d",
    label: "layer1.0.conv1",
    detail: "[1, 64, 56, 56]",
    cost: "",
    title: "Conv2d",
    suffix: "",
    name: "conv1",
    lines: [
      { text: "Conv2d", bold: true },
      { text: "layer1.0.conv1", bold: false },
      { text: "[1, 64, 56, 56]", bold: false },
    ],
    toggle: null,
    failed: false,
    selected: false,
    strength: null,
    status: null,
    nonFinite: null,
    depth: 0,
    end: 1,
    x: 0,
    y: 0,
    width: 200,
    height: 56,
    ...overrides,
  };
}

describe("text at every zoom", () => {
  it("cuts the title, never a fold's ×N", () => {
    // 0.56 × 10 px per character: room for about 9 characters
    const cut = fitText("GPT2BlockWithALongName", " ×12", 50, 10, false, estimate);
    expect(cut.endsWith("… ×12")).toBe(true);
    expect(estimate(cut, 10, false)).toBeLessThanOrEqual(50);
    expect(fitText("GPT2Block", " ×12", 1000, 10, false, estimate)).toBe("GPT2Block ×12");
    expect(fitText("GPT2Block", " ×12", 20, 10, false, estimate)).toBe("×12");
  });

  it("shows every line zoomed in, and the title alone, enlarged, when zoomed out", () => {
    const conv = box({});
    expect(textLines(conv, 1)).toEqual(["Conv2d", "layer1.0.conv1", "[1, 64, 56, 56]"]);
    const far = textRuns(conv, 0.4);
    expect(far.map((r) => r.text)).toEqual(["Conv2d", "conv1"]);
    // at least 7 px on screen, where the full lines would be 11 × 0.4 = 4.4 px
    expect((far[0]?.size ?? 0) * 0.4).toBeGreaterThanOrEqual(7);
    expect(textRuns(conv, 0.02)).toEqual([]);
    const fold = box({ kind: "fold", title: "GPT2Block", suffix: " ×12", name: "h.0–11" });
    expect(textLines(fold, 0.3)[0]).toMatch(/×12$/);
    expect(FULL_ZOOM).toBeCloseTo(8 / 11, 6);
  });

  it("names boxes inside their container, and runs of blocks as one", () => {
    expect(shortName("layer1.0.conv1", "layer1.0")).toBe("conv1");
    expect(shortName("layer1.0.conv1", "layer2")).toBe("layer1.0.conv1");
    expect(span("h.1", "h.11")).toBe("h.1–11");
    expect(span("layers.0", "layers.31")).toBe("layers.0–31");
    expect(span("1", "2")).toBe("1–2");
  });
});

describe("one look per kind", () => {
  it("tells modules, tensor ops, groups, folds and inputs apart", () => {
    const looks = ["module", "function", "group", "fold", "input", "stub"].map((kind) =>
      boxLook(box({ kind: kind as SceneBox["kind"] }), palette),
    );
    const keys = looks.map((l) => `${l.fill}|${l.stroke}|${l.radius}|${l.stack}|${l.dash.join()}`);
    expect(new Set(keys).size).toBe(keys.length);
    const [module, fn, group, fold] = looks;
    expect(fn?.radius).toBe(28); // a pill: half its height
    expect(module?.stroke).toBe(palette.module);
    expect(group?.stack).toBe(1);
    expect(fold?.stack).toBe(2);
  });
});

describe("the SVG export draws what the canvas draws", () => {
  it("carries the metric shading, the selection and its edges", () => {
    const model = new FakeModel({
      metric: "params",
      selected: "add#1",
      expanded: ["blocks", "blocks.0", "blocks.1"],
    });
    const scene = probe(renderWidget(model).el).scene();
    if (scene === null) throw new Error("nothing drawn");
    const svg = new DOMParser().parseFromString(
      sceneToSvg(scene, "TB", palette, "t"),
      "image/svg+xml",
    );
    const shaded = scene.boxes.find((b) => b.strength !== null && b.kind === "module");
    if (shaded === undefined) throw new Error("nothing shaded");
    // the node background blended towards the heat colour by the box's strength, by hand
    const t = Math.round((shaded.strength ?? 0) * 20) / 20;
    const channel = (a: number, b: number): number => Math.round(a + (b - a) * t);
    const expected = `rgb(${channel(0xf7, 0xf5)}, ${channel(0xf7, 0x7c)}, ${channel(0xf7, 0x00)})`;
    const fills = [...svg.querySelectorAll("rect")].map((r) => r.getAttribute("fill"));
    expect(fills).toContain(expected);
    // the selected box is outlined in the accent colour, its edges drawn in it too
    const outlines = [...svg.querySelectorAll("rect")].filter(
      (r) => r.getAttribute("stroke") === palette.accent && r.getAttribute("fill") === "none",
    );
    expect(outlines).toHaveLength(1);
    const add = scene.boxes.find((b) => b.id === "add#1");
    expect(Number(outlines[0]?.getAttribute("x"))).toBeCloseTo(add?.x ?? Number.NaN, 0);
    const lit = [...svg.querySelectorAll("path")].filter(
      (p) => p.getAttribute("stroke") === palette.accent,
    );
    expect(lit).toHaveLength(1);
  });
});

describe("edges route around boxes", () => {
  /** input → [a → b → c] in a group, with a → out leaving the group past b and c. */
  function leaving() {
    const graph = payload(
      [
        io("input", "input"),
        mod("g.a", "L", "g"),
        mod("g.b", "L", "g"),
        mod("g.c", "L", "g"),
        io("out", "output"),
        io("end", "output"),
      ],
      [group("g", "Block", ["g.a", "g.b", "g.c"])],
      [
        edge("input", "g.a"),
        edge("g.a", "g.b"),
        edge("g.b", "g.c"),
        edge("g.a", "out"),
        edge("g.c", "end"),
      ],
    );
    return visible(new Hierarchy(graph), ["g"]);
  }

  /** Whether the segment from p to q passes through the inside of `box` (sampled). */
  function crosses(p: [number, number], q: [number, number], b: Box): boolean {
    for (let i = 1; i < 50; i += 1) {
      const x = p[0] + ((q[0] - p[0]) * i) / 50;
      const y = p[1] + ((q[1] - p[1]) * i) / 50;
      if (x > b.x + 1 && x < b.x + b.width - 1 && y > b.y + 1 && y < b.y + b.height - 1)
        return true;
    }
    return false;
  }

  for (const orientation of ["TB", "LR"] as const) {
    it(`leave a group through its border without crossing its other members (${orientation})`, () => {
      const layout = layeredLayout(layoutInput(leaving()), orientation);
      const route = layout.routes.get("g.a\u0000out") ?? [];
      const points: [number, number][] = [];
      for (let i = 0; i + 1 < route.length; i += 2)
        points.push([route[i] as number, route[i + 1] as number]);
      const frame = layout.boxes.get("g") as Box;
      // it passes the group's border on the way out
      const edgeOfFrame = orientation === "TB" ? frame.y + frame.height : frame.x + frame.width;
      expect(
        points.some(([x, y]) => Math.abs((orientation === "TB" ? y : x) - edgeOfFrame) < 0.5),
      ).toBe(true);
      for (const id of ["g.b", "g.c"]) {
        const other = layout.boxes.get(id) as Box;
        for (let i = 0; i + 1 < points.length; i += 1) {
          expect(
            crosses(points[i] as [number, number], points[i + 1] as [number, number], other),
          ).toBe(false);
        }
      }
    });
  }
});
