import { afterEach, describe, expect, it } from "vitest";
import { centerOn, fitTo, initial, inView, MAX_ZOOM, panBy, zoomAt } from "../../js/graph/viewport";
import { FakeModel, renderWidget } from "./fake-model";

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
    expect(t.k).toBe(0.6);
    expect(t.y).toBe(16);
    const small = { x: 0, y: 0, width: 232, height: 300 };
    expect(initial(small, 800, 600)).toEqual(fitTo(small, 800, 600));
  });
});

describe("pan and zoom in the diagram", () => {
  const transform = (el: HTMLElement): string | null =>
    el.querySelector(".ts-viewport")?.getAttribute("transform") ?? null;
  const pointer = (type: string, x: number, y: number): MouseEvent =>
    new MouseEvent(type, { clientX: x, clientY: y, bubbles: true });

  it("zooms with the wheel and fits with f", () => {
    const { el } = renderWidget(new FakeModel());
    const diagram = el.querySelector<HTMLElement>(".ts-diagram");
    const before = Number(diagram?.dataset.zoom);
    diagram?.dispatchEvent(
      new WheelEvent("wheel", { deltaY: -500, clientX: 10, clientY: 10, bubbles: true }),
    );
    expect(Number(diagram?.dataset.zoom)).toBeGreaterThan(before);
    el.querySelector(".torchscope")?.dispatchEvent(
      new KeyboardEvent("keydown", { key: "f", bubbles: true }),
    );
    expect(Number(diagram?.dataset.zoom)).toBeLessThanOrEqual(1);
  });

  it("pans with a drag, and a drag is not a click", () => {
    const model = new FakeModel();
    const { el } = renderWidget(model);
    const diagram = el.querySelector<HTMLElement>(".ts-diagram");
    const before = transform(el);
    const box = el.querySelector<SVGGElement>('[data-node-id="output"]');
    box?.dispatchEvent(pointer("pointerdown", 100, 100));
    window.dispatchEvent(pointer("pointermove", 160, 130));
    window.dispatchEvent(pointer("pointerup", 160, 130));
    box?.dispatchEvent(pointer("click", 160, 130));
    expect(transform(el)).not.toBe(before);
    expect(model.get("selected")).toBe("");
    // the next plain click selects again
    box?.dispatchEvent(pointer("click", 160, 130));
    expect(model.get("selected")).toBe("output");
    expect(diagram).not.toBeNull();
  });
});
