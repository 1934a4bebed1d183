/**
 * The one style description of the drawing: how each kind of box is filled, outlined and
 * stacked, and how selection, hover, edges and markers look. The canvas painter and the SVG
 * export both read it, so an exported picture cannot drift from the screen.
 *
 * Kinds look different on purpose: modules are rounded boxes with a coloured border; tensor ops are
 * pills with a thin grey border; a collapsed group is a filled box with a card behind it, a fold a
 * box with two (a stack of ×N); inputs and outputs are tinted green; stubs are small dashed pills.
 */

import type { NonFinite } from "../graph/values";
import type { Rect } from "../graph/viewport";
import { mix, type Palette } from "./palette";
import type { SceneBox } from "./scene";

export interface BoxLook {
  fill: string;
  stroke: string;
  /** Border width in drawing units at zoom 1 (the painter keeps it at least a hairline). */
  lineWidth: number;
  /** Dash and gap lengths in drawing units, kept at least that many pixels when zoomed out. */
  dash: readonly number[];
  /** The fewest screen pixels the border is drawn with (1 unless the border carries meaning). */
  minPixels?: number;
  /** Corner radius in drawing units. */
  radius: number;
  /** Cards drawn behind the box, offset down and right: 1 for a group, 2 for a fold. */
  stack: number;
}

/** How far each card of a stack sits behind the one in front. */
export const STACK_OFFSET = 4;

const SHADE_STEPS = 20;

/** The base fill of a kind, before any metric shading. */
function baseFill(box: SceneBox, palette: Palette): string {
  switch (box.kind) {
    case "group":
    case "fold":
    case "container":
      return palette.groupBg;
    case "input":
    case "output":
    case "structure":
      return mix(palette.bg, palette.io, 0.12);
    case "function":
    case "stub":
      return palette.bg;
    default:
      return palette.nodeBg;
  }
}

/**
 * The fill of a box: its kind's, blended towards the heat colour by its metric strength (towards
 * the cool one for a delta that went down).
 */
export function fillOf(box: SceneBox, palette: Palette): string {
  const base = baseFill(box, palette);
  if (box.strength === null) return base;
  const towards = box.strength < 0 ? palette.cool : palette.heat;
  return mix(base, towards, Math.round(Math.abs(box.strength) * SHADE_STEPS) / SHADE_STEPS);
}

export function boxLook(box: SceneBox, palette: Palette): BoxLook {
  const look = kindLook(box, palette);
  return box.status === null ? look : statusLook(look, box, palette);
}

/**
 * A diff's status over the kind's look: added boxes in green, removed ones (drawn from a) dashed
 * red, changed ones purple, each with a thick border that stays two pixels wide when the whole
 * model is fitted (a hairline's colour washes out into the fill). An expanded group shows only
 * added or removed: a changed one says so through what it holds.
 */
function statusLook(look: BoxLook, box: SceneBox, palette: Palette): BoxLook {
  switch (box.status) {
    case "added":
      return { ...look, stroke: palette.added, lineWidth: 2.5, minPixels: 2 };
    case "removed":
      return { ...look, stroke: palette.removed, lineWidth: 2.5, minPixels: 2, dash: [5, 3] };
    case "changed":
      return box.kind === "container"
        ? look
        : { ...look, stroke: palette.changed, lineWidth: 2.5, minPixels: 2 };
    default:
      return look;
  }
}

function kindLook(box: SceneBox, palette: Palette): BoxLook {
  const fill = fillOf(box, palette);
  if (box.failed) {
    return { fill, stroke: palette.error, lineWidth: 2, dash: [], radius: 6, stack: 0 };
  }
  switch (box.kind) {
    case "container":
      return { fill, stroke: palette.border, lineWidth: 1, dash: [6, 4], radius: 8, stack: 0 };
    case "group":
      return { fill, stroke: palette.module, lineWidth: 1.5, dash: [], radius: 6, stack: 1 };
    case "fold":
      return { fill, stroke: palette.module, lineWidth: 1.5, dash: [], radius: 6, stack: 2 };
    case "structure":
      return { fill, stroke: palette.io, lineWidth: 1.5, dash: [], radius: 6, stack: 1 };
    case "input":
    case "output":
      return { fill, stroke: palette.io, lineWidth: 1.5, dash: [], radius: 10, stack: 0 };
    case "function":
      return { fill, stroke: palette.fn, lineWidth: 1, dash: [], radius: box.height / 2, stack: 0 };
    case "stub":
      return {
        fill,
        stroke: palette.fn,
        lineWidth: 1,
        dash: [3, 2],
        radius: box.height / 2,
        stack: 0,
      };
    default:
      return { fill, stroke: palette.module, lineWidth: 1.2, dash: [], radius: 6, stack: 0 };
  }
}

/** The outline drawn around the selected box and the hovered one. */
export function outlineLook(
  palette: Palette,
  selected: boolean,
): { stroke: string; lineWidth: number } {
  return { stroke: palette.accent, lineWidth: selected ? 3 : 2 };
}

/** Edges: muted, or the accent colour and twice as thick when they touch the selection. */
export function edgeLook(
  palette: Palette,
  highlighted: boolean,
): { stroke: string; lineWidth: number } {
  return highlighted
    ? { stroke: palette.accent, lineWidth: 2.4 }
    : { stroke: palette.muted, lineWidth: 1.2 };
}

/** The marker of bookkeeping ops on an edge: a small diamond of this half-size. */
export const MARKER_SIZE = 5;

export function markerLook(
  palette: Palette,
  highlighted: boolean,
): { fill: string; stroke: string } {
  return { fill: palette.bg, stroke: highlighted ? palette.accent : palette.fn };
}

/** The NaN/Inf badge on a box that held one: the first such node filled, every later one outlined. */
export interface BadgeLook {
  fill: string;
  stroke: string;
  /** The glyph's colour, and the glyph: "1" marks the origin, "!" every later box. */
  ink: string;
  glyph: string;
}

export function badgeLook(mark: NonFinite, palette: Palette): BadgeLook {
  return mark === "origin"
    ? { fill: palette.error, stroke: palette.bg, ink: palette.bg, glyph: "1" }
    : { fill: palette.bg, stroke: palette.error, ink: palette.error, glyph: "!" };
}

/** Badge radius in drawing units at zoom 1; zoomed out it keeps this many screen pixels. */
export const BADGE_RADIUS = 8;

/** Where a badge sits: centred on the box's top-right corner, at least BADGE_RADIUS pixels wide. */
export function badgePlace(box: Rect, hair: number): { x: number; y: number; r: number } {
  return { x: box.x + box.width, y: box.y, r: Math.max(BADGE_RADIUS, BADGE_RADIUS * hair) };
}
