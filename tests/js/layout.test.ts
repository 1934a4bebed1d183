import { describe, expect, it } from "vitest";
import { chainLayout, NODE_HEIGHT, NODE_WIDTH } from "../../js/graph/layout";
import { goldenPayload } from "./fake-model";

describe("chainLayout", () => {
  const { nodes } = goldenPayload();

  it("stacks nodes downwards top-to-bottom", () => {
    const layout = chainLayout(
      nodes.map((n) => n.id),
      "TB",
    );
    const boxes = nodes.map((n) => layout.boxes.get(n.id));
    const xs = new Set(boxes.map((b) => b?.x));
    expect(xs.size).toBe(1);
    const ys = boxes.map((b) => b?.y ?? Number.NaN);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(new Set(ys).size).toBe(nodes.length);
    expect(layout.height).toBeGreaterThan(layout.width);
  });

  it("lays the same nodes out left-to-right", () => {
    const layout = chainLayout(
      nodes.map((n) => n.id),
      "LR",
    );
    const boxes = nodes.map((n) => layout.boxes.get(n.id));
    expect(new Set(boxes.map((b) => b?.y)).size).toBe(1);
    const xs = boxes.map((b) => b?.x ?? Number.NaN);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(layout.width).toBeGreaterThan(layout.height);
  });

  it("keeps every box inside the drawing and apart from the others", () => {
    for (const orientation of ["TB", "LR"] as const) {
      const layout = chainLayout(
        nodes.map((n) => n.id),
        orientation,
      );
      const boxes = [...layout.boxes.values()];
      for (const b of boxes) {
        expect(b.width).toBe(NODE_WIDTH);
        expect(b.height).toBe(NODE_HEIGHT);
        expect(b.x + b.width).toBeLessThanOrEqual(layout.width);
        expect(b.y + b.height).toBeLessThanOrEqual(layout.height);
      }
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) {
          const apart =
            a.x + a.width <= b.x ||
            b.x + b.width <= a.x ||
            a.y + a.height <= b.y ||
            b.y + b.height <= a.y;
          expect(apart).toBe(true);
        }
      }
    }
  });
});
