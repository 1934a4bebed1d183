/**
 * Pure layout: graph data + orientation → positions. Foundation slice: nodes in call order along
 * one axis (top-bottom or left-right); the diagram issue replaces this with per-group layered
 * layout in a worker.
 */

import type { Orientation } from "../types";

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  boxes: Map<string, Box>;
  width: number;
  height: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 56;
const GAP = 36;
const MARGIN = 16;

/** Boxes for `ids`, in that order, along one axis. */
export function chainLayout(ids: readonly string[], orientation: Orientation): Layout {
  const boxes = new Map<string, Box>();
  const step = orientation === "TB" ? NODE_HEIGHT + GAP : NODE_WIDTH + GAP;
  ids.forEach((id, i) => {
    const along = MARGIN + i * step;
    boxes.set(id, {
      id,
      x: orientation === "TB" ? MARGIN : along,
      y: orientation === "TB" ? along : MARGIN,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    });
  });
  const length = ids.length === 0 ? 0 : 2 * MARGIN + ids.length * step - GAP;
  const breadth = 2 * MARGIN + (orientation === "TB" ? NODE_WIDTH : NODE_HEIGHT);
  return orientation === "TB"
    ? { boxes, width: breadth, height: length }
    : { boxes, width: length, height: breadth };
}
