/**
 * What text a box shows at a zoom, and where: one plan read by the canvas painter, the SVG export
 * and the probe, so all three agree on what is legible.
 *
 * Zoomed in (FULL_ZOOM and closer) a box shows all its lines: type, name, shape, and for a
 * collapsed group what it holds. Further out, where those lines would be too small to read, it
 * shows its title alone, enlarged to stay legible (and its short name below when there is room);
 * a fold's `×N` is never cut, the title gives way first. Below LEGIBLE_PX on screen, nothing.
 */

import type { SceneBox } from "./scene";

/** Zoom from which every line is drawn at its own size (11 px lines reach 8 px on screen). */
export const FULL_ZOOM = 8 / 11;
/** The smallest text drawn, in screen pixels. */
export const LEGIBLE_PX = 7;
/** The size titles are drawn at when zoomed out, in screen pixels. */
const OVERVIEW_PX = 12;

export type Role = "fg" | "muted";

export interface TextRun {
  text: string;
  /** Font size in drawing units. */
  size: number;
  bold: boolean;
  role: Role;
  x: number;
  /** Baseline, in drawing units. */
  y: number;
  align: "center" | "left";
}

/** Width of `text` in drawing units at font `size` (canvas metrics, or an estimate). */
export type Measure = (text: string, size: number, bold: boolean) => number;

/** Average glyph widths of a UI sans-serif, for where no canvas can measure (tests, workers). */
export const estimate: Measure = (text, size, bold) => text.length * size * (bold ? 0.62 : 0.56);

/** The text of a box at zoom `k`. */
export function textRuns(box: SceneBox, k: number, measure: Measure = estimate): TextRun[] {
  if (box.kind === "container") return frameTitle(box, k, measure);
  return k >= FULL_ZOOM ? fullLines(box, measure) : overview(box, k, measure);
}

/** The strings of `textRuns`, for the probe. */
export function textLines(box: SceneBox, k: number, measure: Measure = estimate): string[] {
  return textRuns(box, k, measure).map((run) => run.text);
}

const HEADER_BASELINE = 19;
const TOGGLE_ROOM = 28;

/** The largest frame title, in drawing units: it may fill most of the 28-unit title bar. */
const FRAME_TITLE_MAX = 24;

function frameTitle(box: SceneBox, k: number, measure: Measure): TextRun[] {
  const size = k >= FULL_ZOOM ? 12 : Math.min(OVERVIEW_PX / k, FRAME_TITLE_MAX);
  if (size * k < LEGIBLE_PX) return [];
  const left = k >= FULL_ZOOM ? TOGGLE_ROOM : Math.min(TOGGLE_ROOM, 10 / k);
  const room = box.width - left - 8;
  const text = fitText(box.title, box.suffix, room, size, false, measure);
  const y = k >= FULL_ZOOM ? box.y + HEADER_BASELINE : box.y + Math.min(HEADER_BASELINE, 4 + size);
  return text === ""
    ? []
    : [{ text, size, bold: false, role: "muted", x: box.x + left, y, align: "left" }];
}

function fullLines(box: SceneBox, measure: Measure): TextRun[] {
  const room = box.width - (box.toggle === null ? 16 : 2 * TOGGLE_ROOM);
  const runs: TextRun[] = [];
  const lines = box.lines.filter((line) => line.text !== "");
  const gap = 15;
  const first =
    lines.length === 1 ? box.height / 2 + 4 : box.height / 2 - ((lines.length - 1) * gap) / 2 + 4;
  lines.forEach((line, i) => {
    const suffix = i === 0 ? box.suffix : "";
    const lineRoom = i === lines.length - 1 && box.cost !== "" ? box.width - 16 : room;
    // a long type name shrinks a little before it is cut
    const wanted = line.bold ? 13 : 11;
    const wide = measure(`${line.text}${suffix}`, wanted, line.bold);
    const size = wide > lineRoom ? Math.max(wanted * 0.82, (wanted * lineRoom) / wide) : wanted;
    const text = fitText(line.text, suffix, lineRoom, size, line.bold, measure);
    if (text === "") return;
    runs.push({
      text,
      size,
      bold: line.bold,
      role: line.bold ? "fg" : "muted",
      x: box.x + box.width / 2,
      y: box.y + first + i * gap,
      align: "center",
    });
  });
  return runs;
}

function overview(box: SceneBox, k: number, measure: Measure): TextRun[] {
  const room = box.width * 0.92;
  const withName = box.name !== "" && box.height * k >= 22;
  let size = Math.min(OVERVIEW_PX / k, box.height * (withName ? 0.42 : 0.6));
  const whole = `${box.title}${box.suffix}`;
  const wide = measure(whole, size, true);
  // shrink to fit the width before cutting anything, down to the legible limit
  if (wide > room) size = Math.max(LEGIBLE_PX / k, (size * room) / wide);
  if (size * k < LEGIBLE_PX) return [];
  const title = fitText(box.title, box.suffix, room, size, true, measure);
  if (title === "") return [];
  const x = box.x + box.width / 2;
  const runs: TextRun[] = [];
  const nameSize = Math.max(LEGIBLE_PX / k, size * 0.75);
  const name = withName ? fitText(box.name, "", room, nameSize, false, measure) : "";
  const block = name === "" ? size : size + nameSize * 1.15;
  const top = box.y + (box.height - block) / 2;
  runs.push({
    text: title,
    size,
    bold: true,
    role: "fg",
    x,
    y: top + size * 0.82,
    align: "center",
  });
  if (name !== "") {
    runs.push({
      text: name,
      size: nameSize,
      bold: false,
      role: "muted",
      x,
      y: top + size * 1.15 + nameSize * 0.82,
      align: "center",
    });
  }
  return runs;
}

const fitted = new Map<string, string>();

/**
 * `text + suffix` cut to `room` drawing units: the text gives way (with an ellipsis), the suffix
 * (a fold's `×N`) never does; "" when not even the suffix fits.
 */
export function fitText(
  text: string,
  suffix: string,
  room: number,
  size: number,
  bold: boolean,
  measure: Measure,
): string {
  const key = `${text}\u0000${suffix}\u0000${Math.round(room)}\u0000${Math.round(size * 10)}\u0000${bold}`;
  const known = fitted.get(key);
  if (known !== undefined) return known;
  let result = `${text}${suffix}`;
  if (measure(result, size, bold) > room) {
    let low = 0;
    let high = text.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (measure(`${text.slice(0, mid)}…${suffix}`, size, bold) <= room) low = mid;
      else high = mid - 1;
    }
    result =
      low === 0
        ? measure(suffix.trim(), size, bold) <= room
          ? suffix.trim()
          : ""
        : `${text.slice(0, low)}…${suffix}`;
  }
  if (fitted.size > 20_000) fitted.clear();
  fitted.set(key, result);
  return result;
}
