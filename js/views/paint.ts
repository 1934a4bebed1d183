/**
 * Paints a scene on a 2D canvas: only what is on screen (culling), and at a level of detail that
 * suits the zoom (labels only when they are legible, plain shapes at overview scale). Measured on
 * these machines: 20,000 nodes as SVG take seconds to paint and pan at ~5 fps; on a canvas with
 * culling and level of detail they paint in ~100 ms and zoom at 60 fps.
 */

import type { Rect, Transform } from "../graph/viewport";
import type { Orientation } from "../types";
import { mix, type Palette } from "./palette";
import { traceArrow, traceEdge } from "./route";
import type { Scene, SceneBox, SceneEdge } from "./scene";

/** What a zoom level shows; shared by the painter and the test probe, so both agree. */
export interface Detail {
  /** Op, name and shape lines in the boxes, toggles and frame titles. */
  text: boolean;
  /** Only the op name, enlarged to stay legible, in boxes too small for three lines. */
  opOnly: boolean;
  /** Shape labels on edges. */
  edgeLabels: boolean;
  /** Arrowheads and curved routes (plain segments below). */
  arrows: boolean;
}

/** Smallest on-screen font size, in pixels, that is drawn at all. */
const LEGIBLE_PX = 8;
const OP_FONT = 13;

export function detailAt(k: number): Detail {
  return {
    text: k * 11 >= LEGIBLE_PX,
    opOnly: k * 11 < LEGIBLE_PX && k >= 0.22,
    edgeLabels: k >= 0.85,
    arrows: k >= 0.3,
  };
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
  const boxes = [...frames, ...leaves];
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
  const square: Sheet = { ctx, view, round: false };
  const sheet: Sheet = { ctx, view, round: detail.arrows };

  // groups too small to show their insides: solid blocks
  fillBoxes(square, blocks, palette);
  strokeBoxes(square, blocks, palette.border, hair);
  ctx.globalAlpha = 0.35;
  ctx.fillStyle = palette.groupBg;
  for (const frame of frames) {
    ctx.beginPath();
    addBox(sheet, frame);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  strokeBoxes(sheet, frames, palette.border, Math.max(1, hair), [6, 4]);

  const line = Math.max(1.2, hair);
  drawEdges(
    ctx,
    edges.filter((e) => !e.highlighted),
    orientation,
    t.k,
    detail,
    palette.muted,
    line,
  );
  drawEdges(
    ctx,
    edges.filter((e) => e.highlighted),
    orientation,
    t.k,
    detail,
    palette.accent,
    2 * line,
  );

  fillBoxes(sheet, leaves, palette);
  const io = (b: SceneBox): boolean => b.kind === "input" || b.kind === "output";
  const plain = leaves.filter((b) => !b.failed && !io(b));
  strokeBoxes(
    sheet,
    plain.filter((b) => b.kind !== "fold"),
    palette.border,
    line,
  );
  strokeBoxes(
    sheet,
    plain.filter((b) => b.kind === "fold"),
    palette.border,
    line,
    [6, 2],
  );
  strokeBoxes(
    sheet,
    leaves.filter((b) => !b.failed && io(b)),
    palette.io,
    Math.max(1.5, hair),
    [4, 2],
  );
  strokeBoxes(
    sheet,
    leaves.filter((b) => b.failed),
    palette.error,
    2 * Math.max(1, hair),
  );
  const outline = { ...sheet, round: true };
  strokeBoxes(
    outline,
    boxes.filter((b) => b.selected),
    palette.accent,
    2.5 * Math.max(1, hair),
  );
  strokeBoxes(
    outline,
    boxes.filter((b) => !b.selected && b.id === hover),
    palette.accent,
    1.5 * Math.max(1, hair),
  );

  if (detail.text) {
    for (const frame of frames) frameTitle(ctx, frame, palette);
    for (const box of leaves) boxText(ctx, box, palette);
    if (detail.edgeLabels) for (const edge of edges) edgeLabel(ctx, edge, palette);
  } else if (detail.opOnly) {
    for (const box of leaves) bigOp(ctx, box, palette, t.k);
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  return {
    boxes: boxes.length + blocks.length,
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

/** Where boxes go: the context, the visible part of the drawing, and whether corners are round. */
interface Sheet {
  ctx: CanvasRenderingContext2D;
  view: Rect;
  round: boolean;
}

/**
 * Add a box to the current path, cut to the visible part of the drawing (plus a margin): a frame
 * around a 20,000-box group is a million pixels tall when zoomed in, and its dashed outline would
 * cost the raster tens of thousands of dashes.
 */
function addBox(sheet: Sheet, box: SceneBox): void {
  const { view } = sheet;
  const x0 = Math.max(box.x, view.x);
  const y0 = Math.max(box.y, view.y);
  const x1 = Math.min(box.x + box.width, view.x + view.width);
  const y1 = Math.min(box.y + box.height, view.y + view.height);
  if (x1 <= x0 || y1 <= y0) return;
  const whole =
    x0 === box.x && y0 === box.y && x1 === box.x + box.width && y1 === box.y + box.height;
  if (sheet.round && whole) sheet.ctx.roundRect(x0, y0, x1 - x0, y1 - y0, 8);
  else sheet.ctx.rect(x0, y0, x1 - x0, y1 - y0);
}

/** Fill boxes, batched by colour: one path per colour keeps overview frames cheap. */
function fillBoxes(sheet: Sheet, boxes: readonly SceneBox[], palette: Palette): void {
  const { ctx } = sheet;
  const byColour = new Map<string, SceneBox[]>();
  for (const box of boxes) {
    const group = box.kind === "group" || box.kind === "fold" || box.kind === "container";
    const base = group ? palette.groupBg : palette.nodeBg;
    const colour =
      box.strength === null
        ? base
        : mix(ctx, base, palette.heat, Math.round(box.strength * 20) / 20);
    const list = byColour.get(colour) ?? [];
    list.push(box);
    byColour.set(colour, list);
  }
  for (const [colour, list] of byColour) {
    ctx.fillStyle = colour;
    ctx.beginPath();
    for (const box of list) addBox(sheet, box);
    ctx.fill();
  }
}

function strokeBoxes(
  sheet: Sheet,
  boxes: readonly SceneBox[],
  colour: string,
  lineWidth: number,
  dash: number[] = [],
): void {
  if (boxes.length === 0) return;
  const { ctx } = sheet;
  ctx.strokeStyle = colour;
  ctx.lineWidth = lineWidth;
  ctx.setLineDash(dash);
  ctx.beginPath();
  for (const box of boxes) addBox(sheet, box);
  ctx.stroke();
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

function boxText(ctx: CanvasRenderingContext2D, box: SceneBox, palette: Palette): void {
  const centre = box.x + box.width / 2;
  const room = box.width - (box.toggle === null ? 16 : 2 * 28);
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = palette.fg;
  ctx.font = `600 ${OP_FONT}px ${palette.font}`;
  ctx.fillText(ellipsize(ctx, box.op, room), centre, box.y + 18);
  ctx.fillStyle = palette.muted;
  ctx.font = `11px ${palette.font}`;
  ctx.fillText(ellipsize(ctx, box.label, room), centre, box.y + 33);
  ctx.fillText(ellipsize(ctx, box.detail, room), centre, box.y + 48);
  if (box.cost !== "") ctx.fillText(ellipsize(ctx, box.cost, box.width - 16), centre, box.y + 62);
  if (box.toggle !== null) toggleGlyph(ctx, box, palette);
}

function bigOp(ctx: CanvasRenderingContext2D, box: SceneBox, palette: Palette, k: number): void {
  const size = Math.min(LEGIBLE_PX / k, box.height * 0.6);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = palette.fg;
  ctx.font = `600 ${size}px ${palette.font}`;
  ctx.fillText(
    ellipsize(ctx, box.op, box.width - 8),
    box.x + box.width / 2,
    box.y + box.height / 2,
  );
  ctx.textBaseline = "alphabetic";
}

function frameTitle(ctx: CanvasRenderingContext2D, frame: SceneBox, palette: Palette): void {
  ctx.textAlign = "left";
  ctx.fillStyle = palette.muted;
  ctx.font = `12px ${palette.font}`;
  ctx.fillText(
    ellipsize(ctx, `${frame.op} · ${frame.label}`, frame.width - 40),
    frame.x + 28,
    frame.y + 19,
  );
  toggleGlyph(ctx, frame, palette);
}

function toggleGlyph(ctx: CanvasRenderingContext2D, box: SceneBox, palette: Palette): void {
  ctx.textAlign = "left";
  ctx.fillStyle = palette.accent;
  ctx.font = `14px ${palette.font}`;
  ctx.fillText(box.toggle === "collapse" ? "▾" : "▸", box.x + 10, box.y + 20);
}

function edgeLabel(ctx: CanvasRenderingContext2D, edge: SceneEdge, palette: Palette): void {
  const p = edge.points;
  const n = p.length / 2;
  // the middle of the route: a bend point when there are some, else halfway between the ports
  const mid = Math.floor((n - 1) / 2);
  const x =
    n % 2 === 1
      ? (p[2 * mid] as number)
      : ((p[2 * mid] as number) + (p[2 * mid + 2] as number)) / 2;
  const y =
    n % 2 === 1
      ? (p[2 * mid + 1] as number)
      : ((p[2 * mid + 1] as number) + (p[2 * mid + 3] as number)) / 2;
  ctx.font = `10px ${palette.font}`;
  const width = ctx.measureText(edge.label).width + 6;
  ctx.fillStyle = palette.bg;
  ctx.globalAlpha = 0.85;
  ctx.fillRect(x - width / 2, y - 7, width, 14);
  ctx.globalAlpha = 1;
  ctx.fillStyle = edge.highlighted ? palette.accent : palette.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(edge.label, x, y);
  ctx.textBaseline = "alphabetic";
}

const fitted = new Map<string, string>();

/** `text` cut with an ellipsis to fit `room` pixels in the current font (cached: labels repeat). */
function ellipsize(ctx: CanvasRenderingContext2D, text: string, room: number): string {
  const key = `${ctx.font}\u0000${room}\u0000${text}`;
  const known = fitted.get(key);
  if (known !== undefined) return known;
  let result = text;
  if (ctx.measureText(text).width > room) {
    let low = 0;
    let high = text.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (ctx.measureText(`${text.slice(0, mid)}…`).width <= room) low = mid;
      else high = mid - 1;
    }
    result = `${text.slice(0, low)}…`;
  }
  if (fitted.size > 20_000) fitted.clear();
  fitted.set(key, result);
  return result;
}
