import { describe, expect, it } from "vitest";
import { anchorOf, type Framing, firstView, frame, keepAnchor } from "../../js/graph/camera";
import { inView, type Rect, type Transform } from "../../js/graph/viewport";

const drawing: Rect = { x: 0, y: 0, width: 400, height: 2000 };
const view = { width: 800, height: 500 };
const boxes = new Map<string, Rect>([
  ["a", { x: 100, y: 100, width: 200, height: 56 }],
  ["z", { x: 100, y: 1900, width: 200, height: 56 }],
]);

function framing(overrides: Partial<Framing>): Framing {
  return {
    camera: { x: 0, y: 0, k: 1 },
    placed: true,
    orientationChanged: false,
    relaid: true,
    anchor: null,
    drawing,
    view,
    boxAt: (id) => boxes.get(id),
    anythingOnScreen: () => true,
    selection: null,
    selectionChanged: false,
    ...overrides,
  };
}

describe("camera rules", () => {
  it("fits the whole drawing in the first view, centred, at most 1:1", () => {
    const t = firstView(drawing, view.width, view.height);
    expect(inView(t, drawing, view.width, view.height)).toBe(true);
    // height-limited: 2,000 drawing units in 500 px less the margins
    expect(t.k).toBeCloseTo((500 - 24) / 2000, 6);
    expect(t.x + (drawing.width * t.k) / 2).toBeCloseTo(view.width / 2, 6);
    const small = firstView({ x: 0, y: 0, width: 100, height: 100 }, 800, 500);
    expect(small.k).toBe(1);
  });

  it("places the first view on the first layout and after an orientation change", () => {
    const moved: Transform = { x: -500, y: -900, k: 2 };
    const fitted = firstView(drawing, view.width, view.height);
    expect(frame(framing({ camera: moved, placed: false }))).toEqual(fitted);
    expect(frame(framing({ camera: moved, orientationChanged: true }))).toEqual(fitted);
    expect(frame(framing({ camera: moved }))).toEqual(moved);
  });

  it("keeps a toggled group where it was on screen", () => {
    const camera: Transform = { x: 10, y: -40, k: 0.8 };
    const before: Rect = { x: 50, y: 300, width: 200, height: 70 };
    const anchor = anchorOf("a", before, camera);
    const t = frame(framing({ camera, anchor }));
    const after = boxes.get("a") as Rect;
    expect(after.x * t.k + t.x).toBeCloseTo(anchor.x, 6);
    expect(after.y * t.k + t.y).toBeCloseTo(anchor.y, 6);
    expect(t.k).toBe(0.8);
    // an anchor whose box is gone leaves the camera alone
    expect(keepAnchor(camera, { id: "gone", x: 1, y: 2 }, undefined)).toEqual(camera);
  });

  it("starts over when nothing would be on screen", () => {
    const lost: Transform = { x: -99_999, y: 0, k: 1 };
    const t = frame(framing({ camera: lost, anythingOnScreen: (c) => c.x > -1000 }));
    expect(t).toEqual(firstView(drawing, view.width, view.height));
  });

  it("brings a changed selection into view, and leaves an unchanged one alone", () => {
    const camera: Transform = { x: 0, y: 0, k: 1 };
    const z = boxes.get("z") as Rect;
    const moved = frame(framing({ camera, selection: z, selectionChanged: true }));
    expect(inView(moved, z, view.width, view.height)).toBe(true);
    expect(frame(framing({ camera, selection: z, selectionChanged: false }))).toEqual(camera);
  });
});
