import { describe, expect, it } from "vitest";
import { type Box, HEADER, layeredLayout, NODE_HEIGHT, NODE_WIDTH } from "../../js/graph/layout";
import { Hierarchy, visible } from "../../js/graph/visible";
import { goldenPayload } from "./fake-model";

const centre = (box: Box | undefined): [number, number] => [
  (box?.x ?? Number.NaN) + (box?.width ?? 0) / 2,
  (box?.y ?? Number.NaN) + (box?.height ?? 0) / 2,
];

function apart(a: Box, b: Box): boolean {
  return (
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
  );
}

function inside(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y + HEADER &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

describe("layeredLayout", () => {
  const hierarchy = new Hierarchy(goldenPayload());

  it("lays the flow downwards top-to-bottom and rightwards left-to-right", () => {
    const shown = visible(hierarchy, []);
    const tb = layeredLayout(shown, "TB");
    const [, inputY] = centre(tb.boxes.get("input"));
    const [, blocksY] = centre(tb.boxes.get("blocks"));
    const [, outputY] = centre(tb.boxes.get("output"));
    expect(inputY).toBeLessThan(blocksY);
    expect(blocksY).toBeLessThan(outputY);
    const lr = layeredLayout(shown, "LR");
    const [inputX] = centre(lr.boxes.get("input"));
    const [outputX] = centre(lr.boxes.get("output"));
    expect(inputX).toBeLessThan(outputX);
    expect(lr.width).toBeGreaterThan(lr.height);
    expect(tb.height).toBeGreaterThan(tb.width);
  });

  it("draws expanded groups as frames around their children, nested", () => {
    const shown = visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]);
    for (const orientation of ["TB", "LR"] as const) {
      const layout = layeredLayout(shown, orientation);
      const frame = (id: string): Box => layout.boxes.get(id) as Box;
      expect(inside(frame("blocks.0"), frame("blocks"))).toBe(true);
      expect(inside(frame("blocks.1"), frame("blocks"))).toBe(true);
      expect(inside(frame("blocks.0.conv"), frame("blocks.0"))).toBe(true);
      expect(apart(frame("blocks.0"), frame("blocks.1"))).toBe(true);
      expect(apart(frame("blocks"), frame("input"))).toBe(true);
      expect(frame("blocks.0.conv").width).toBe(NODE_WIDTH);
      expect(frame("blocks.0.conv").height).toBe(NODE_HEIGHT);
      for (const box of layout.boxes.values()) {
        expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
        expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
      }
    }
  });

  it("keeps sibling boxes apart", () => {
    const shown = visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]);
    const layout = layeredLayout(shown, "TB");
    const top = ["input", "blocks", "add#1", "output"].map((id) => layout.boxes.get(id) as Box);
    for (const [i, a] of top.entries()) {
      for (const b of top.slice(i + 1)) expect(apart(a, b)).toBe(true);
    }
  });
});
