import { afterEach, describe, expect, it } from "vitest";
import { centerOn, fitTo, initial, inView, MAX_ZOOM, panBy, zoomAt } from "../../js/graph/viewport";
import { detailAt } from "../../js/views/paint";
import { FakeModel, node, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

describe("viewport math", () => {
  it("fits content into the view, centred, never enlarged past 1:1", () => {
    // 400×200 content into 800×600 with 16 px margins: would scale 1.92, capped at 1
    expect(fitTo({ x: 0, y: 0, width: 400, height: 200 }, 800, 600)).toEqual({
      k: 1,
      x: 200,
      y: 200,
    });
    // 1536×100 into 800×600: (800 − 32) / 1536 = 0.5
    const t = fitTo({ x: 0, y: 0, width: 1536, height: 100 }, 800, 600);
    expect(t.k).toBeCloseTo(0.5);
    expect(t.x).toBeCloseTo(16);
    expect(t.y).toBeCloseTo(275);
  });

  it("zooms about the pointer: the point under it stays put", () => {
    const t = { x: 10, y: 20, k: 1 };
    const after = zoomAt(t, 110, 70, 2);
    // drawing point under (110, 70) was (100, 50); it must still map to (110, 70)
    expect(100 * after.k + after.x).toBeCloseTo(110);
    expect(50 * after.k + after.y).toBeCloseTo(70);
    expect(zoomAt(t, 0, 0, 1000).k).toBe(MAX_ZOOM);
  });

  it("pans, centres on a box and tells whether a box is in view", () => {
    expect(panBy({ x: 1, y: 2, k: 3 }, 10, -5)).toEqual({ x: 11, y: -3, k: 3 });
    const box = { x: 100, y: 400, width: 200, height: 56 };
    const centred = centerOn({ x: 0, y: 0, k: 0.5 }, box, 800, 600);
    expect((box.x + box.width / 2) * 0.5 + centred.x).toBeCloseTo(400);
    expect((box.y + box.height / 2) * 0.5 + centred.y).toBeCloseTo(300);
    expect(inView(centred, box, 800, 600)).toBe(true);
    expect(inView({ x: 0, y: 0, k: 1 }, { x: 700, y: 0, width: 200, height: 50 }, 800, 600)).toBe(
      false,
    );
  });

  it("opens a long drawing at a readable zoom from its start", () => {
    const tall = { x: 0, y: 0, width: 232, height: 20_000 };
    const t = initial(tall, 800, 600);
    // zoomed just enough for every label to be drawn as text
    expect(detailAt(t.k).text).toBe(true);
    expect(detailAt(t.k * 0.95).text).toBe(false);
    expect(t.y).toBe(16);
    const small = { x: 0, y: 0, width: 232, height: 300 };
    expect(initial(small, 800, 600)).toEqual(fitTo(small, 800, 600));
  });
});

describe("pan and zoom in the diagram", () => {
  const pointer = (type: string, x: number, y: number): MouseEvent =>
    new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, button: 0 });

  it("zooms with the wheel around the pointer and fits with f", () => {
    const { el } = renderWidget(new FakeModel());
    const canvas = el.querySelector(".ts-canvas");
    const before = probe(el).transform();
    const anchor = node(el, "output");
    const [px, py] = [anchor.x + 5, anchor.y + 5];
    canvas?.dispatchEvent(
      new WheelEvent("wheel", { deltaY: -500, clientX: px, clientY: py, bubbles: true }),
    );
    const after = probe(el).transform();
    expect(after.k).toBeGreaterThan(before.k);
    // the drawing point under the pointer stays under it
    expect((px - after.x) / after.k).toBeCloseTo((px - before.x) / before.k);
    expect((py - after.y) / after.k).toBeCloseTo((py - before.y) / before.k);
    el.querySelector(".torchscope")?.dispatchEvent(
      new KeyboardEvent("keydown", { key: "f", bubbles: true }),
    );
    expect(probe(el).transform().k).toBeLessThanOrEqual(1);
  });

  it("zooms to the selection", () => {
    const { el } = renderWidget(new FakeModel({ selected: "add#1" }));
    el.querySelector<HTMLButtonElement>('[data-action="zoom-selection"]')?.click();
    const box = node(el, "add#1");
    // centred in the 800 × 600 fallback view, and magnified
    expect(box.x + box.width / 2).toBeCloseTo(400);
    expect(box.y + box.height / 2).toBeCloseTo(300);
    expect(probe(el).transform().k).toBe(1.5);
  });

  it("pans with a drag, and a drag is not a click", () => {
    const model = new FakeModel();
    const { el } = renderWidget(model);
    const canvas = el.querySelector(".ts-canvas");
    const before = probe(el).transform();
    const box = node(el, "output");
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    canvas?.dispatchEvent(pointer("pointerdown", x, y));
    canvas?.dispatchEvent(pointer("pointermove", x + 60, y + 30));
    canvas?.dispatchEvent(pointer("pointerup", x + 60, y + 30));
    canvas?.dispatchEvent(pointer("click", x + 60, y + 30));
    expect(probe(el).transform()).toEqual({ ...before, x: before.x + 60, y: before.y + 30 });
    expect(model.get("selected")).toBe("");
    // the next plain click selects again
    canvas?.dispatchEvent(pointer("click", x + 60, y + 30));
    expect(model.get("selected")).toBe("output");
  });
});
