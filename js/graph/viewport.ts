/**
 * Pure viewport math for pan and zoom, independent of the renderer: a transform maps drawing
 * coordinates to screen pixels as screen = drawing · k + (x, y).
 */

export interface Transform {
  x: number;
  y: number;
  k: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const IDENTITY: Transform = { x: 0, y: 0, k: 1 };
// small enough to fit a fully expanded 20,000-node graph in one view
export const MIN_ZOOM = 0.0005;
export const MAX_ZOOM = 4;

const clampZoom = (k: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

/** The transform that shows all of `content` inside a `width × height` view, centred. */
export function fitTo(
  content: Rect,
  width: number,
  height: number,
  margin = 16,
  maxZoom = 1,
): Transform {
  if (content.width <= 0 || content.height <= 0 || width <= 0 || height <= 0) return IDENTITY;
  const k = clampZoom(
    Math.min((width - 2 * margin) / content.width, (height - 2 * margin) / content.height, maxZoom),
  );
  return {
    k,
    x: (width - content.width * k) / 2 - content.x * k,
    y: (height - content.height * k) / 2 - content.y * k,
  };
}

/** Zoom by `factor` keeping the drawing point under the screen point (px, py) where it is. */
export function zoomAt(t: Transform, px: number, py: number, factor: number): Transform {
  const k = clampZoom(t.k * factor);
  const ratio = k / t.k;
  return { k, x: px - (px - t.x) * ratio, y: py - (py - t.y) * ratio };
}

export function panBy(t: Transform, dx: number, dy: number): Transform {
  return { k: t.k, x: t.x + dx, y: t.y + dy };
}

/** Keep the zoom, move so that `box` sits at the centre of a `width × height` view. */
export function centerOn(t: Transform, box: Rect, width: number, height: number): Transform {
  return {
    k: t.k,
    x: width / 2 - (box.x + box.width / 2) * t.k,
    y: height / 2 - (box.y + box.height / 2) * t.k,
  };
}

/** Whether `box` is entirely on screen under `t` in a `width × height` view. */
export function inView(t: Transform, box: Rect, width: number, height: number): boolean {
  const left = box.x * t.k + t.x;
  const top = box.y * t.k + t.y;
  return (
    left >= 0 && top >= 0 && left + box.width * t.k <= width && top + box.height * t.k <= height
  );
}

/** The smallest zoom at which every line of a box is drawn as text (see detailAt in paint.ts). */
export const READABLE_ZOOM = 0.75;

/** The first view of a drawing: fitted, but never so small that labels cannot be read. */
export function initial(content: Rect, width: number, height: number): Transform {
  const fitted = fitTo(content, width, height);
  if (fitted.k >= READABLE_ZOOM) return fitted;
  // too big to fit readably: readable zoom, anchored at the drawing's start (top or left)
  const k = READABLE_ZOOM;
  const wide = content.width > content.height;
  return {
    k,
    x: wide ? 16 - content.x * k : (width - content.width * k) / 2 - content.x * k,
    y: wide ? (height - content.height * k) / 2 - content.y * k : 16 - content.y * k,
  };
}
