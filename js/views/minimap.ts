/**
 * The minimap: the whole drawing in a corner, with the part on screen outlined; pressing or
 * dragging on it moves the view there. Shown only when the drawing is too big to read whole.
 */

import type { Transform } from "../graph/viewport";
import type { Palette } from "./palette";
import type { Scene } from "./scene";

const WIDTH = 180;
const HEIGHT = 130;

export interface Minimap {
  element: HTMLCanvasElement;
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
  const element = document.createElement("canvas");
  element.className = "ts-minimap";
  element.width = WIDTH;
  element.height = HEIGHT;
  element.hidden = true;
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

  const renderBackdrop = (scene: Scene, palette: Palette): HTMLCanvasElement | null => {
    const canvas = document.createElement("canvas");
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
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
    element,
    update(scene, t, view, palette) {
      const tooBig =
        scene !== null &&
        (scene.width * t.k > view.width * 1.5 || scene.height * t.k > view.height * 1.5);
      element.hidden = !tooBig;
      if (scene === null || !tooBig) return;
      if (scene !== drawnScene) {
        scale = Math.min(WIDTH / scene.width, HEIGHT / scene.height);
        origin = { x: (WIDTH - scene.width * scale) / 2, y: (HEIGHT - scene.height * scale) / 2 };
        backdrop = renderBackdrop(scene, palette);
        drawnScene = scene;
      }
      const ctx = element.getContext("2d");
      if (ctx === null) return;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, WIDTH, HEIGHT);
      ctx.globalAlpha = 0.9;
      ctx.fillStyle = palette.bg;
      ctx.fillRect(0, 0, WIDTH, HEIGHT);
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
      element.remove();
    },
  };
}
