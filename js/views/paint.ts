/**
 * Paints a scene on a 2D canvas: only what is on screen (culling), in the looks of js/views/style.ts
 * and with the text of js/views/text.ts at the current zoom. Measured on these machines: 20,000
 * nodes as SVG take seconds to paint and pan at ~5 fps; on a canvas with culling and level of
 * detail they paint in ~100 ms and zoom at 60 fps.
 */

import type { Rect, Transform } from "../graph/viewport";
import type { Orientation } from "../types";
import type { Palette } from "./palette";
import { midpoint, traceArrow, traceEdge } from "./route";
import type { Scene, SceneBox, SceneEdge } from "./scene";
import {
  type BoxLook,
  badgeLook,
  badgePlace,
  boxLook,
  edgeLook,
  MARKER_SIZE,
  markerLook,
  outlineLook,
  STACK_OFFSET,
} from "./style";
import { FULL_ZOOM, type Measure, type TextRun, textRuns } from "./text";

/** What a zoom level shows; shared by the painter and the test probe, so both agree. */
export interface Detail {
  /** Every line of every box, at its own size. */
  text: boolean;
  /** Shape labels on edges. */
  edgeLabels: boolean;
  /** Arrowheads and curved routes (plain segments below). */
  arrows: boolean;
}

export function detailAt(k: number): Detail {
  return { text: k >= FULL_ZOOM, edgeLabels: k >= 0.85, arrows: k >= 0.3 };
}

/** Whether a box is at least partly inside the visible part of the drawing. */
export function onScreen(
  box: { x: number; y: number; width: number; height: number },
  t: Transform,
  width: number,
  height: number,
): boolean {
  const left = box.x * t.k + t.x;
  const top = box.y * t.k + t.y;
  return left < width && top < height && left + box.width * t.k > 0 && top + box.height * t.k > 0;
}

export interface Painted {
  boxes: number;
  edges: number;
  ms: number;
}

export function paint(
  ctx: CanvasRenderingContext2D,
  scene: Scene,
  orientation: Orientation,
  t: Transform,
  size: { width: number; height: number; dpr: number },
  palette: Palette,
  hover: string | null,
): Painted {
  const start = performance.now();
  const { width, height, dpr } = size;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, width * dpr, height * dpr);
  ctx.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
  const detail = detailAt(t.k);
  const hair = 1 / t.k;
  const { frames, leaves, blocks, hidden } = cull(scene, t, width, height);
  const edges = scene.edges.filter(
    (e) =>
      !(hidden[e.ends[0]] === 1 && hidden[e.ends[1]] === 1) &&
      Math.max(e.bounds.width, e.bounds.height) * t.k >= 2 &&
      onScreen(e.bounds, t, width, height),
  );
  // a margin beyond the screen, so cut edges of boxes stay out of sight
  const margin = 20 / t.k;
  const view = {
    x: -t.x / t.k - margin,
    y: -t.y / t.k - margin,
    width: width / t.k + 2 * margin,
    height: height / t.k + 2 * margin,
  };
  const sheet: Sheet = { ctx, view, round: detail.arrows, hair };

  // groups too small to show their insides: solid blocks
  drawBoxes({ ...sheet, round: false }, blocks, palette, false);
  const framed = frames.map((box) => ({ rect: box as Rect, look: boxLook(box, palette) }));
  ctx.globalAlpha = 0.35;
  fillBatches(sheet, framed);
  ctx.globalAlpha = 1;
  strokeBatches(sheet, framed);

  for (const highlighted of [false, true]) {
    const look = edgeLook(palette, highlighted);
    const lineWidth = Math.max(look.lineWidth, highlighted ? 2 * hair : hair);
    const chosen = edges.filter((e) => e.highlighted === highlighted);
    drawEdges(ctx, chosen, orientation, t.k, detail, look.stroke, lineWidth);
  }
  if (detail.arrows) drawMarkers(sheet, edges, palette);

  drawBoxes(sheet, leaves, palette, detail.arrows);
  const outlined = [...frames, ...leaves];
  for (const selected of [true, false]) {
    const outline = outlineLook(palette, selected);
    const chosen = outlined.filter((b) => (selected ? b.selected : !b.selected && b.id === hover));
    const drawn = chosen.map((box) => ({
      rect: box as Rect,
      look: { ...boxLook(box, palette), ...outline, dash: [] },
    }));
    strokeBatches({ ...sheet, round: true }, drawn);
  }

  drawBadges(sheet, leaves, palette);
  const measure = canvasMeasure(ctx, palette.font);
  for (const box of [...frames, ...leaves]) {
    drawText(ctx, textRuns(box, t.k, measure), palette);
    if (box.toggle !== null && t.k >= FULL_ZOOM) toggleGlyph(ctx, box, palette);
  }
  if (detail.edgeLabels) for (const edge of edges) edgeLabel(ctx, edge, palette);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  return {
    boxes: frames.length + leaves.length + blocks.length,
    edges: edges.length,
    ms: performance.now() - start,
  };
}

/** A group whose frame is smaller than this on screen is drawn as one block, its insides skipped. */
const BLOCK_PX = 24;

/**
 * What to draw: frames and leaves on screen, and blocks for groups too small to open. Boxes are
 * in drawing order with each group's descendants right after it, so a group that is off screen
 * or drawn as a block skips its whole subtree at once; `hidden` marks the boxes so skipped.
 */
function cull(
  scene: Scene,
  t: Transform,
  width: number,
  height: number,
): { frames: SceneBox[]; leaves: SceneBox[]; blocks: SceneBox[]; hidden: Uint8Array } {
  const frames: SceneBox[] = [];
  const leaves: SceneBox[] = [];
  const blocks: SceneBox[] = [];
  const hidden = new Uint8Array(scene.boxes.length);
  let i = 0;
  while (i < scene.boxes.length) {
    const box = scene.boxes[i] as SceneBox;
    if (!onScreen(box, t, width, height)) {
      hidden.fill(1, i, box.end);
      i = box.end;
    } else if (box.kind === "container" && Math.min(box.width, box.height) * t.k < BLOCK_PX) {
      blocks.push(box);
      hidden.fill(1, i + 1, box.end);
      i = box.end;
    } else {
      (box.kind === "container" ? frames : leaves).push(box);
      i += 1;
    }
  }
  return { frames, leaves, blocks, hidden };
}

/** Where boxes go: the context, the visible part of the drawing, corners, and a hairline's width. */
interface Sheet {
  ctx: CanvasRenderingContext2D;
  view: Rect;
  round: boolean;
  hair: number;
}

/**
 * Add a box to the current path, cut to the visible part of the drawing (plus a margin): a frame
 * around a 20,000-box group is a million pixels tall when zoomed in, and its dashed outline would
 * cost the raster tens of thousands of dashes.
 */
function addBox(sheet: Sheet, box: Rect, radius: number): void {
  const { view } = sheet;
  const x0 = Math.max(box.x, view.x);
  const y0 = Math.max(box.y, view.y);
  const x1 = Math.min(box.x + box.width, view.x + view.width);
  const y1 = Math.min(box.y + box.height, view.y + view.height);
  if (x1 <= x0 || y1 <= y0) return;
  const whole =
    x0 === box.x && y0 === box.y && x1 === box.x + box.width && y1 === box.y + box.height;
  if (sheet.round && whole) sheet.ctx.roundRect(x0, y0, x1 - x0, y1 - y0, radius);
  else sheet.ctx.rect(x0, y0, x1 - x0, y1 - y0);
}

/** A rectangle to draw and how: the same look for a box and for the cards stacked behind it. */
interface Drawn {
  rect: Rect;
  look: Pick<BoxLook, "fill" | "stroke" | "lineWidth" | "minPixels" | "dash" | "radius">;
}

/** Leaves in their looks: the cards behind stacks first, then the boxes. */
function drawBoxes(
  sheet: Sheet,
  boxes: readonly SceneBox[],
  palette: Palette,
  cards: boolean,
): void {
  if (boxes.length === 0) return;
  const drawn = boxes.map((box) => ({ rect: box as Rect, look: boxLook(box, palette), box }));
  if (cards) {
    for (let card = 2; card >= 1; card -= 1) {
      const behind = drawn
        .filter((d) => d.look.stack >= card)
        .map((d) => ({
          rect: { ...d.rect, x: d.rect.x + card * STACK_OFFSET, y: d.rect.y + card * STACK_OFFSET },
          look: d.look,
        }));
      fillBatches(sheet, behind);
      strokeBatches(sheet, behind);
    }
  }
  fillBatches(sheet, drawn);
  strokeBatches(sheet, drawn);
}

/** Fill rectangles, batched by colour: one path per colour keeps overview frames cheap. */
function fillBatches(sheet: Sheet, drawn: readonly Drawn[]): void {
  const byColour = new Map<string, Drawn[]>();
  for (const d of drawn) {
    const list = byColour.get(d.look.fill) ?? [];
    list.push(d);
    byColour.set(d.look.fill, list);
  }
  for (const [colour, list] of byColour) {
    sheet.ctx.fillStyle = colour;
    sheet.ctx.beginPath();
    for (const d of list) addBox(sheet, d.rect, d.look.radius);
    sheet.ctx.fill();
  }
}

/** Stroke rectangles, batched by stroke style. */
function strokeBatches(sheet: Sheet, drawn: readonly Drawn[]): void {
  const byStyle = new Map<string, Drawn[]>();
  for (const d of drawn) {
    const key = `${d.look.stroke}|${d.look.lineWidth}|${d.look.minPixels}|${d.look.dash.join(",")}`;
    const list = byStyle.get(key) ?? [];
    list.push(d);
    byStyle.set(key, list);
  }
  const { ctx } = sheet;
  for (const list of byStyle.values()) {
    const look = (list[0] as Drawn).look;
    ctx.strokeStyle = look.stroke;
    ctx.lineWidth = Math.max(look.lineWidth, (look.minPixels ?? 1) * sheet.hair);
    // zoomed out, dashes keep their length on screen: shrunk below a pixel they blur into a
    // pale solid line
    const stretch = Math.max(1, sheet.hair);
    ctx.setLineDash(look.dash.map((length) => length * stretch));
    ctx.beginPath();
    for (const d of list) addBox(sheet, d.rect, d.look.radius);
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

/** Screen length beyond which an edge is drawn with straight segments. */
const FAR_PX = 4000;

function drawEdges(
  ctx: CanvasRenderingContext2D,
  edges: readonly SceneEdge[],
  orientation: Orientation,
  k: number,
  detail: Detail,
  colour: string,
  lineWidth: number,
): void {
  if (edges.length === 0) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = lineWidth;
  ctx.beginPath();
  for (const edge of edges) {
    // plain segments at overview scale, and for edges spanning far beyond the view: the raster
    // clips straight lines cheaply but flattens a curve along all of its length
    const far = Math.max(edge.bounds.width, edge.bounds.height) * k > FAR_PX;
    traceEdge(ctx, edge, orientation, !detail.arrows || far);
  }
  ctx.stroke();
  if (!detail.arrows) return;
  ctx.fillStyle = colour;
  ctx.beginPath();
  for (const edge of edges) traceArrow(ctx, edge, orientation);
  ctx.fill();
}

/** The diamonds that mark bookkeeping ops riding on edges. */
function drawMarkers(sheet: Sheet, edges: readonly SceneEdge[], palette: Palette): void {
  const { ctx } = sheet;
  const size = Math.max(MARKER_SIZE, 3 * sheet.hair);
  for (const highlighted of [false, true]) {
    const look = markerLook(palette, highlighted);
    ctx.beginPath();
    for (const edge of edges) {
      if (edge.marker === null || edge.highlighted !== highlighted) continue;
      const { x, y } = edge.marker;
      ctx.moveTo(x, y - size);
      ctx.lineTo(x + size, y);
      ctx.lineTo(x, y + size);
      ctx.lineTo(x - size, y);
      ctx.closePath();
    }
    ctx.fillStyle = look.fill;
    ctx.fill();
    ctx.strokeStyle = look.stroke;
    ctx.lineWidth = Math.max(1.2, sheet.hair);
    ctx.stroke();
  }
}

/** The NaN/Inf badges, over the boxes' top-right corners (see js/views/style.ts). */
function drawBadges(sheet: Sheet, boxes: readonly SceneBox[], palette: Palette): void {
  const { ctx } = sheet;
  for (const box of boxes) {
    if (box.nonFinite === null) continue;
    const look = badgeLook(box.nonFinite, palette);
    const { x, y, r } = badgePlace(box, sheet.hair);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = look.fill;
    ctx.fill();
    ctx.strokeStyle = look.stroke;
    ctx.lineWidth = Math.max(1.5, 1.5 * sheet.hair);
    ctx.stroke();
    ctx.font = `700 ${Math.round(1.3 * r)}px ${palette.font}`;
    ctx.fillStyle = look.ink;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(look.glyph, x, y + 0.05 * r);
  }
}

function drawText(ctx: CanvasRenderingContext2D, runs: readonly TextRun[], palette: Palette): void {
  for (const run of runs) {
    ctx.font = `${run.bold ? "600 " : ""}${run.size}px ${palette.font}`;
    ctx.fillStyle = run.role === "fg" ? palette.fg : palette.muted;
    ctx.textAlign = run.align;
    ctx.textBaseline = "alphabetic";
    ctx.fillText(run.text, run.x, run.y);
  }
}

function toggleGlyph(ctx: CanvasRenderingContext2D, box: SceneBox, palette: Palette): void {
  ctx.textAlign = "left";
  ctx.fillStyle = palette.accent;
  ctx.font = `14px ${palette.font}`;
  ctx.fillText(box.toggle === "collapse" ? "▾" : "▸", box.x + 10, box.y + 20);
}

function edgeLabel(ctx: CanvasRenderingContext2D, edge: SceneEdge, palette: Palette): void {
  const middle = midpoint(edge.points);
  // beside the marker when there is one, else on the middle of the route
  const x = middle.x + (edge.marker === null ? 0 : 8 + MARKER_SIZE);
  const { y } = middle;
  ctx.font = `10px ${palette.font}`;
  const width = ctx.measureText(edge.label).width + 6;
  const left = edge.marker === null ? x - width / 2 : x;
  ctx.fillStyle = palette.bg;
  ctx.globalAlpha = 0.85;
  ctx.fillRect(left, y - 7, width, 14);
  ctx.globalAlpha = 1;
  ctx.fillStyle = edge.highlighted ? palette.accent : palette.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(edge.label, left + width / 2, y);
  ctx.textBaseline = "alphabetic";
}

const widths = new Map<string, number>();

/**
 * Text widths from the canvas, cached at one reference size and scaled: a label's width grows in
 * proportion to its font size, and labels repeat across frames and boxes.
 */
export function canvasMeasure(ctx: CanvasRenderingContext2D, font: string): Measure {
  return (text, size, bold) => {
    const key = `${bold ? 1 : 0}${font}\u0000${text}`;
    let width = widths.get(key);
    if (width === undefined) {
      const saved = ctx.font;
      ctx.font = `${bold ? "600 " : ""}100px ${font}`;
      width = ctx.measureText(text).width;
      ctx.font = saved;
      if (widths.size > 50_000) widths.clear();
      widths.set(key, width);
    }
    return (width * size) / 100;
  };
}
