/**
 * Images of the current drawing (what the expanded groups and the orientation show, all of it, not
 * only what is on screen): SVG with real text, for papers and reviews, and PNG at a chosen scale.
 * Both read the same scene as the canvas; colours are the theme's, resolved at export time.
 */

import type { Rect } from "../graph/viewport";
import type { Orientation } from "../types";
import { canvasMeasure, paint } from "./paint";
import type { Palette } from "./palette";
import { type PathSink, traceArrow, traceEdge } from "./route";
import type { Scene } from "./scene";
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
import { estimate, type Measure, type TextRun, textRuns } from "./text";

/** Browsers refuse canvases beyond roughly these sizes; a bigger PNG is scaled down to fit. */
const MAX_SIDE = 16_384;
const MAX_AREA = 120_000_000;

/** Writes SVG path data with the canvas's path calls (see PathSink). */
class SvgPath implements PathSink {
  private readonly parts: string[] = [];
  moveTo(x: number, y: number): void {
    this.parts.push(`M${n(x)} ${n(y)}`);
  }
  lineTo(x: number, y: number): void {
    this.parts.push(`L${n(x)} ${n(y)}`);
  }
  bezierCurveTo(x1: number, y1: number, x2: number, y2: number, x: number, y: number): void {
    this.parts.push(`C${n(x1)} ${n(y1)} ${n(x2)} ${n(y2)} ${n(x)} ${n(y)}`);
  }
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void {
    this.parts.push(`Q${n(cx)} ${n(cy)} ${n(x)} ${n(y)}`);
  }
  closePath(): void {
    this.parts.push("Z");
  }
  toString(): string {
    return this.parts.join("");
  }
}

const n = (v: number): string => String(Math.round(v * 10) / 10);

/** Whether XML 1.0 can hold this character at all (most control characters it cannot). */
function xmlChar(code: number): boolean {
  if (code >= 0xd800 && code <= 0xdfff) return false; // a lone surrogate half
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code !== 0xfffe && code !== 0xffff)
  );
}

/** Text as SVG character data: model strings are user data, never markup. */
export function escapeXml(text: string): string {
  let clean = "";
  for (const char of text) clean += xmlChar(char.codePointAt(0) ?? 0) ? char : "\ufffd";
  return clean
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * The whole scene as SVG, in the same looks and text as the canvas at full detail (js/views/style.ts
 * and js/views/text.ts): metric shading, the selection and its edges, folds' stacked cards,
 * bookkeeping markers and stubs included.
 */
export function sceneToSvg(
  scene: Scene,
  orientation: Orientation,
  palette: Palette,
  title: string,
  measure: Measure = estimate,
): string {
  const font = escapeXml(palette.font);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(scene.width)}" height="${n(scene.height)}"` +
      ` viewBox="0 0 ${n(scene.width)} ${n(scene.height)}" font-family="${font}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${escapeXml(palette.bg)}"/>`,
  ];
  const rect = (box: Rect, look: Omit<BoxLook, "stack">, extra = ""): string => {
    const dash = look.dash.length > 0 ? ` stroke-dasharray="${look.dash.join(" ")}"` : "";
    return (
      `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}"` +
      ` rx="${n(look.radius)}" fill="${escapeXml(look.fill)}" stroke="${escapeXml(look.stroke)}"` +
      ` stroke-width="${look.lineWidth}"${dash}${extra}/>`
    );
  };
  const text = (runs: readonly TextRun[]): string[] =>
    runs.map(
      (run) =>
        `<text x="${n(run.x)}" y="${n(run.y)}" text-anchor="${run.align === "center" ? "middle" : "start"}"` +
        ` font-size="${n(run.size)}"${run.bold ? ' font-weight="600"' : ""}` +
        ` fill="${escapeXml(run.role === "fg" ? palette.fg : palette.muted)}">${escapeXml(run.text)}</text>`,
    );
  for (const box of scene.boxes.filter((b) => b.kind === "container")) {
    out.push(
      rect(box, boxLook(box, palette), ' fill-opacity="0.35"'),
      ...text(textRuns(box, 1, measure)),
    );
  }
  for (const highlighted of [false, true]) {
    const look = edgeLook(palette, highlighted);
    const edges = new SvgPath();
    const arrows = new SvgPath();
    for (const edge of scene.edges.filter((e) => e.highlighted === highlighted)) {
      traceEdge(edges, edge, orientation, false);
      traceArrow(arrows, edge, orientation);
    }
    if (edges.toString() === "") continue;
    out.push(
      `<path d="${edges}" fill="none" stroke="${escapeXml(look.stroke)}" stroke-width="${look.lineWidth}"/>`,
      `<path d="${arrows}" fill="${escapeXml(look.stroke)}"/>`,
    );
  }
  for (const edge of scene.edges) {
    if (edge.marker === null) continue;
    const look = markerLook(palette, edge.highlighted);
    const { x, y } = edge.marker;
    const m = MARKER_SIZE;
    out.push(
      `<path d="M${n(x)} ${n(y - m)}L${n(x + m)} ${n(y)}L${n(x)} ${n(y + m)}L${n(x - m)} ${n(y)}Z"` +
        ` fill="${escapeXml(look.fill)}" stroke="${escapeXml(look.stroke)}" stroke-width="1.2">` +
        `<title>${escapeXml(edge.viaLabel)}</title></path>`,
    );
  }
  for (const box of scene.boxes.filter((b) => b.kind !== "container")) {
    const look = boxLook(box, palette);
    for (let card = look.stack; card >= 1; card -= 1) {
      const offset = card * STACK_OFFSET;
      out.push(rect({ ...box, x: box.x + offset, y: box.y + offset }, look));
    }
    out.push(rect(box, look), ...text(textRuns(box, 1, measure)));
  }
  for (const box of scene.boxes.filter((b) => b.nonFinite !== null && b.kind !== "container")) {
    const look = badgeLook(box.nonFinite ?? "later", palette);
    const { x, y, r } = badgePlace(box, 1);
    out.push(
      `<circle class="ts-badge" cx="${n(x)}" cy="${n(y)}" r="${n(r)}" fill="${escapeXml(look.fill)}"` +
        ` stroke="${escapeXml(look.stroke)}" stroke-width="1.5"/>`,
      `<text x="${n(x)}" y="${n(y + 0.45 * r)}" text-anchor="middle" font-size="${n(1.3 * r)}"` +
        ` font-weight="700" fill="${escapeXml(look.ink)}">${look.glyph}</text>`,
    );
  }
  for (const box of scene.boxes.filter((b) => b.selected)) {
    out.push(
      rect(box, {
        ...boxLook(box, palette),
        ...outlineLook(palette, true),
        fill: "none",
        dash: [],
      }),
    );
  }
  out.push("</svg>");
  return out.join("\n");
}

/** The scale actually used for a PNG: `wanted`, or less where the browser could not hold it. */
export function pngScale(scene: Scene, wanted: number): number {
  const side = MAX_SIDE / Math.max(scene.width, scene.height);
  const area = Math.sqrt(MAX_AREA / (scene.width * scene.height));
  return Math.min(wanted, side, area);
}

/** The whole drawing painted at `scale` (see pngScale), as a PNG blob. */
export function scenePng(
  scene: Scene,
  orientation: Orientation,
  palette: Palette,
  scale: number,
): Promise<Blob> {
  const k = pngScale(scene, scale);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(scene.width * k));
  canvas.height = Math.max(1, Math.round(scene.height * k));
  const ctx = canvas.getContext("2d", { alpha: false });
  if (ctx === null) return Promise.reject(new Error("this browser cannot draw on a canvas"));
  paint(
    ctx,
    scene,
    orientation,
    { x: 0, y: 0, k },
    { width: canvas.width, height: canvas.height, dpr: 1 },
    palette,
    null,
  );
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob === null ? reject(new Error("PNG encoding failed")) : resolve(blob)),
      "image/png",
    );
  });
}

/** Offer `blob` as a download named `name` (works in JupyterLab and from file://). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** What the toolbar's export menu asks the diagram for. */
export interface ExportRequest {
  format: "svg" | "png";
  /** PNG pixels per drawing unit. */
  scale: number;
}

/** A file name from a model name: letters, digits, dot, dash and underscore. */
function fileName(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").slice(0, 80) || "model";
}

/**
 * Download `scene` as the request asks. A PNG can take seconds on a big drawing: `status` says so
 * (and says when the scale had to shrink) until the file is ready, or why it failed.
 */
export function exportScene(
  request: ExportRequest,
  scene: Scene,
  orientation: Orientation,
  { palette, title, status }: { palette: Palette; title: string; status: HTMLElement },
): void {
  const name = fileName(title || "model");
  if (request.format === "svg") {
    const ctx = document.createElement("canvas").getContext("2d");
    const measure = ctx === null ? estimate : canvasMeasure(ctx, palette.font);
    const svg = sceneToSvg(scene, orientation, palette, `${title} layer graph`, measure);
    download(new Blob([svg], { type: "image/svg+xml" }), `${name}.svg`);
    return;
  }
  const used = pngScale(scene, request.scale);
  status.textContent =
    used < request.scale
      ? `Exporting PNG at ${used.toFixed(2)}× (the largest the browser allows)…`
      : "Exporting PNG…";
  status.hidden = false;
  // let the message paint before the long draw
  const later =
    typeof requestAnimationFrame === "function" ? requestAnimationFrame : (f: () => void) => f();
  later(() => {
    scenePng(scene, orientation, palette, request.scale)
      .then((blob) => {
        status.hidden = true;
        download(blob, `${name}.png`);
      })
      .catch((error: unknown) => {
        status.textContent = `PNG export failed: ${error instanceof Error ? error.message : String(error)}`;
      });
  });
}
