import { afterEach, describe, expect, it } from "vitest";
import { sceneToSvg } from "../../js/views/export";
import type { Palette } from "../../js/views/palette";
import { FakeModel, goldenPayload, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

const palette: Palette = {
  fg: "#111111",
  muted: "#666666",
  border: "#cccccc",
  nodeBg: "#f7f7f7",
  groupBg: "#eeeeee",
  module: "#5b8fc9",
  fn: "#9e9e9e",
  accent: "#1976d2",
  io: "#388e3c",
  heat: "#f57c00",
  error: "#d32f2f",
  bg: "#ffffff",
  font: 'system-ui, "Segoe UI", sans-serif',
};

/** The SVG the diagram would export now, parsed as XML (a parse error fails the test). */
function exported(model: FakeModel): Document {
  const scene = probe(renderWidget(model).el).scene();
  if (scene === null) throw new Error("nothing drawn");
  const svg = sceneToSvg(scene, "TB", palette, "TinyNet layer graph");
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  expect(doc.querySelector("parsererror")).toBeNull();
  return doc;
}

describe("SVG export", () => {
  it("is valid SVG with every drawn box's labels as real text and an edge path", () => {
    const doc = exported(new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] }));
    expect(doc.documentElement.tagName).toBe("svg");
    const texts = [...doc.querySelectorAll("text")].map((t) => t.textContent);
    for (const label of ["Conv2d", "blocks.0.conv", "[2, 4, 8, 8]", "add", "blocks"]) {
      expect(texts).toContain(label);
    }
    // one box per node and per group frame
    expect(doc.querySelectorAll("rect[rx]")).toHaveLength(goldenPayload().nodes.length + 3);
    expect(doc.querySelector("path")?.getAttribute("d")).toMatch(/^M/);
  });

  it("keeps hostile model strings as text", () => {
    const payload = goldenPayload();
    const hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">\u0001';
    const target = payload.nodes[1];
    if (target === undefined) throw new Error("golden payload changed");
    target.op = hostile;
    const doc = exported(
      new FakeModel({ graph: payload, expanded: ["blocks", "blocks.0", "blocks.1"] }),
    );
    expect(doc.querySelector("script, img")).toBeNull();
    const texts = [...doc.querySelectorAll("text")].map((t) => t.textContent ?? "");
    // the text reads as typed (clipped to the box); the control character XML cannot hold is gone
    expect(texts.some((t) => t.startsWith("<script>alert(1)</scr"))).toBe(true);
    expect(texts.join("")).not.toContain("\u0001");
  });
});
