/**
 * What the first mutation run of js/graph/viewport.ts showed the viewport tests did not pin down:
 * exact transforms (worked out by hand next to each), content away from the origin, the zoom
 * limits, and every boundary of inView and initial.
 */
import { describe, expect, it } from "vitest";
import {
  centerOn,
  fitTo,
  IDENTITY,
  initial,
  inView,
  MAX_ZOOM,
  MIN_ZOOM,
  READABLE_ZOOM,
  zoomAt,
} from "../../js/graph/viewport";

describe("fitTo", () => {
  it("gives the identity for empty content or an empty view, each alone", () => {
    const content = { x: 5, y: 5, width: 100, height: 100 };
    expect(IDENTITY).toEqual({ x: 0, y: 0, k: 1 });
    expect(fitTo({ ...content, width: 0 }, 800, 600)).toEqual(IDENTITY);
    expect(fitTo({ ...content, height: 0 }, 800, 600)).toEqual(IDENTITY);
    expect(fitTo(content, 0, 600)).toEqual(IDENTITY);
    expect(fitTo(content, 800, 0)).toEqual(IDENTITY);
  });

  it("scales by the tighter side and centres content that starts away from the origin", () => {
    // width-limited: (800 − 2·16) / 1536 = 0.5; x = (800 − 768) / 2 − 100·0.5, y = (600 − 50) / 2 − 40·0.5
    expect(fitTo({ x: 100, y: 40, width: 1536, height: 100 }, 800, 600)).toEqual({
      k: 0.5,
      x: -34,
      y: 255,
    });
    // height-limited: (600 − 32) / 1136 = 0.5; x = (800 − 50) / 2 − 20·0.5, y = (600 − 568) / 2 − 60·0.5
    expect(fitTo({ x: 20, y: 60, width: 100, height: 1136 }, 800, 600)).toEqual({
      k: 0.5,
      x: 365,
      y: -14,
    });
  });

  it("takes the margin and the largest zoom it is given, within the zoom limits", () => {
    // no margin, up to 4×: min(800 / 400, 600 / 200, 4) = 2 → x = 0, y = (600 − 400) / 2
    expect(fitTo({ x: 0, y: 0, width: 400, height: 200 }, 800, 600, 0, 4)).toEqual({
      k: 2,
      x: 0,
      y: 100,
    });
    // 10 × 10 could be shown at 60×, asked for 10×: MAX_ZOOM (4) it is; x = (800 − 40) / 2
    expect(fitTo({ x: 0, y: 0, width: 10, height: 10 }, 800, 600, 0, 10)).toEqual({
      k: MAX_ZOOM,
      x: 380,
      y: 280,
    });
    // 10⁷ px wide would need 768 / 10⁷ < MIN_ZOOM: MIN_ZOOM it is; x = (800 − 5000) / 2
    expect(fitTo({ x: 0, y: 0, width: 1e7, height: 100 }, 800, 600)).toEqual({
      k: MIN_ZOOM,
      x: -2100,
      y: 299.975,
    });
  });
});

describe("zoomAt and centerOn", () => {
  it("zooms to exact transforms, clamped at both limits", () => {
    // ×2 about (110, 70): x = 110 − (110 − 10)·2, y = 70 − (70 − 20)·2
    expect(zoomAt({ x: 10, y: 20, k: 1 }, 110, 70, 2)).toEqual({ k: 2, x: -90, y: -30 });
    // from 2× by 10 is clamped to 4×, so the ratio is 2: x = 0 − (0 − 10)·2
    expect(zoomAt({ x: 10, y: 6, k: 2 }, 0, 0, 10)).toEqual({ k: MAX_ZOOM, x: 20, y: 12 });
    expect(zoomAt({ x: 0, y: 0, k: 1 }, 0, 0, 1e-9).k).toBe(MIN_ZOOM);
  });

  it("centres a box exactly", () => {
    // x = 400 − (100 + 100)·0.5, y = 300 − (400 + 28)·0.5
    expect(
      centerOn({ x: 7, y: 9, k: 0.5 }, { x: 100, y: 400, width: 200, height: 56 }, 800, 600),
    ).toEqual({ k: 0.5, x: 300, y: 86 });
  });
});

describe("inView", () => {
  // under x = 10, y = 20, k = 2 this box spans exactly 0…800 × 0…600 on screen
  const t = { x: 10, y: 20, k: 2 };
  const box = { x: -5, y: -10, width: 400, height: 300 };

  it("holds a box that touches every edge of the view", () => {
    expect(inView(t, box, 800, 600)).toBe(true);
  });

  it("fails a box past any one edge", () => {
    expect(inView(t, { ...box, x: -5.5 }, 800, 600)).toBe(false); // left of the view
    expect(inView(t, { ...box, y: -10.5 }, 800, 600)).toBe(false); // above it
    expect(inView(t, box, 799, 600)).toBe(false); // past the right edge
    expect(inView(t, box, 800, 599)).toBe(false); // past the bottom
  });
});

describe("initial", () => {
  it("keeps the fit when it is exactly readable", () => {
    // a tall drawing in a narrow view, width-limited: (332 − 32) / 400 = READABLE_ZOOM; centred
    // vertically at (1000 − 750) / 2, not pinned to the top
    const content = { x: 0, y: 0, width: 400, height: 1000 };
    expect(fitTo(content, 332, 1000).k).toBe(READABLE_ZOOM);
    expect(initial(content, 332, 1000)).toEqual({ k: READABLE_ZOOM, x: 16, y: 125 });
  });

  it("anchors a drawing too big to read at its start: the left when wide, else the top", () => {
    // wide: x = 16 − 10·0.75, y = (600 − 75) / 2 − 20·0.75
    expect(initial({ x: 10, y: 20, width: 3000, height: 100 }, 800, 600)).toEqual({
      k: 0.75,
      x: 8.5,
      y: 247.5,
    });
    // tall: x = (800 − 75) / 2 − 10·0.75, y = 16 − 20·0.75
    expect(initial({ x: 10, y: 20, width: 100, height: 3000 }, 800, 600)).toEqual({
      k: 0.75,
      x: 355,
      y: 1,
    });
    // square counts as tall: x = (800 − 1500) / 2, y = 16
    expect(initial({ x: 0, y: 0, width: 2000, height: 2000 }, 800, 600)).toEqual({
      k: 0.75,
      x: -350,
      y: 16,
    });
  });
});
