/**
 * The minimap: the whole drawing in a corner, with the part on screen outlined; pressing or
 * dragging on it moves the view there. Small (at most 140 × 100 px, in the drawing's proportions)
 * and shown only where it helps: when the drawing is much bigger than the view, and not so long
 * and thin that the map would be one grey line. A button folds it away and back.
 */

import type { Transform } from "../graph/viewport";
import type { Palette } from "./palette";
import type { Scene } from "./scene";

const WIDTH = 140;
const HEIGHT = 100;
/** A map thinner than this (a long chain) shows nothing useful. */
const THINNEST = 18;

/** The map's size for a drawing: its proportions within WIDTH × HEIGHT, or null when too thin. */
export function mapSize(drawing: {
  width: number;
  height: number;
}): { width: number; height: number } | null {
  const scale = Math.min(WIDTH / drawing.width, HEIGHT / drawing.height);
  const width = Math.round(drawing.width * scale);
  const height = Math.round(drawing.height * scale);
  return Math.min(width, height) < THINNEST ? null : { width, height };
}

export interface Minimap {
  element: HTMLElement;
  /** Redraw for this scene (cached) and view. */
  update(
    scene: Scene | null,
    t: Transform,
    view: { width: number; height: number },
    palette: Palette,
  ): void;
  dispose(): void;
}

/** `moveTo(x, y)`: centre the main view on drawing point (x, y). */
export function createMinimap(moveTo: (x: number, y: number) => void): Minimap {
  const wrapper = document.createElement("div");
  wrapper.className = "ts-minimap-box";
  wrapper.hidden = true;
  const element = document.createElement("canvas");
  element.className = "ts-minimap";
  element.width = WIDTH;
  element.height = HEIGHT;
  const fold = document.createElement("button");
  fold.type = "button";
  fold.className = "ts-button ts-minimap-toggle";
  fold.dataset.action = "minimap";
  let folded = false;
  const label = (): void => {
    fold.textContent = folded ? "Map" : "×";
    fold.title = folded ? "Show the map of the whole drawing" : "Hide the map";
    element.hidden = folded;
  };
  label();
  fold.addEventListener("click", (event) => {
    event.stopPropagation();
    folded = !folded;
    label();
  });
  wrapper.append(element, fold);
  let drawnScene: Scene | null = null;
  let backdrop: HTMLCanvasElement | null = null;
  let scale = 1;
  let origin = { x: 0, y: 0 };

  const toDrawing = (event: PointerEvent): [number, number] => {
    const rect = element.getBoundingClientRect();
    return [
      (event.clientX - rect.left - origin.x) / scale,
      (event.clientY - rect.top - origin.y) / scale,
    ];
  };
  let dragging = false;
  const onDown = (event: PointerEvent): void => {
    event.stopPropagation();
    dragging = true;
    try {
      element.setPointerCapture?.(event.pointerId);
    } catch {}
    moveTo(...toDrawing(event));
  };
  const onMove = (event: PointerEvent): void => {
    if (dragging) moveTo(...toDrawing(event));
  };
  const onUp = (): void => {
    dragging = false;
  };
  element.addEventListener("pointerdown", onDown);
  element.addEventListener("pointermove", onMove);
  element.addEventListener("pointerup", onUp);
  // the minimap's own clicks must not select whatever lies beneath it in the diagram
  element.addEventListener("click", (event) => event.stopPropagation());

  let width = WIDTH;
  let height = HEIGHT;
  const renderBackdrop = (scene: Scene, palette: Palette): HTMLCanvasElement | null => {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    if (ctx === null) return null;
    ctx.fillStyle = palette.muted;
    ctx.beginPath();
    for (const box of scene.boxes) {
      // at least a pixel each: a 20,000-box drawing shrinks its boxes far below one
      if (box.kind !== "container") {
        ctx.rect(
          origin.x + box.x * scale,
          origin.y + box.y * scale,
          Math.max(1, box.width * scale),
          Math.max(1, box.height * scale),
        );
      }
    }
    ctx.fill();
    return canvas;
  };

  return {
    element: wrapper,
    update(scene, t, view, palette) {
      const size = scene === null ? null : mapSize(scene);
      const tooBig =
        scene !== null &&
        (scene.width * t.k > view.width * 1.5 || scene.height * t.k > view.height * 1.5);
      wrapper.hidden = !tooBig || size === null;
      if (scene === null || size === null || wrapper.hidden || folded) return;
      if (scene !== drawnScene) {
        width = size.width;
        height = size.height;
        element.width = width;
        element.height = height;
        scale = Math.min(width / scene.width, height / scene.height);
        origin = { x: (width - scene.width * scale) / 2, y: (height - scene.height * scale) / 2 };
        backdrop = renderBackdrop(scene, palette);
        drawnScene = scene;
      }
      const ctx = element.getContext("2d");
      if (ctx === null) return;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, width, height);
      ctx.globalAlpha = 0.9;
      ctx.fillStyle = palette.bg;
      ctx.fillRect(0, 0, width, height);
      ctx.globalAlpha = 1;
      if (backdrop !== null) ctx.drawImage(backdrop, 0, 0);
      // the part of the drawing on screen
      ctx.strokeStyle = palette.accent;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(
        origin.x + (-t.x / t.k) * scale,
        origin.y + (-t.y / t.k) * scale,
        (view.width / t.k) * scale,
        (view.height / t.k) * scale,
      );
    },
    dispose() {
      wrapper.remove();
    },
  };
}
