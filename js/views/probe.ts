/**
 * The diagram's probe: a canvas has no elements to query, so the diagram publishes what it draws
 * on its root element (`el.torchscope`). The browser tests and the benchmarks read boxes, their
 * screen positions, the level of detail and the timings from it.
 */

import type { Transform } from "../graph/viewport";
import { detailAt, onScreen } from "./paint";
import type { Scene, SceneBox } from "./scene";

/** A box as the probe reports it: the scene's record plus where it is on screen (client pixels). */
export interface DrawnBox extends Omit<SceneBox, "x" | "y" | "width" | "height"> {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Whether its label is drawn as text at the current zoom (full lines, or the overview line). */
  text: boolean;
  /** The text drawn in it now, line by line (empty when none is legible). */
  texts: string[];
}

export interface DiagramProbe {
  /** "pending" while a layout runs, "ready" when the picture matches the state, or "error". */
  status(): string;
  /** The boxes at least partly on screen. */
  boxes(): DrawnBox[];
  /** What is drawn now (all of it, on screen or not), as the exports see it. */
  scene(): Scene | null;
  /** Every box of the scene, on screen or not. */
  all(): DrawnBox[];
  /** A box of the scene by visible id, on screen or not; null when it is not in the scene. */
  box(id: string): DrawnBox | null;
  /** The edges at least partly on screen. */
  edges(): { source: string; target: string; label: string; highlighted: boolean }[];
  transform(): Transform;
  /** The visible box drawn hovered now (from the diagram, the table or the timeline), or null. */
  hovered(): string | null;
  /**
   * Milliseconds: the last layout, the last paint, and every paint since `resetFrames()`; whether a
   * worker is running, and how many layouts ran on the main thread and how many in the worker.
   */
  timings(): Timings;
  resetFrames(): void;
}

export interface Timings {
  layout: number;
  paint: number;
  frames: number[];
  threaded: boolean;
  layouts: { inline: number; worker: number };
}

export interface ProbeSource {
  status(): string;
  scene(): Scene | null;
  camera(): Transform;
  hovered(): string | null;
  size(): [number, number];
  canvas: HTMLCanvasElement;
  timings(): Timings;
  resetFrames(): void;
  /** The lines a box shows at a zoom (from the painter, so the probe and the pixels agree). */
  linesAt(box: SceneBox, k: number): string[];
}

export function makeProbe(source: ProbeSource): DiagramProbe {
  const toDrawn = (box: SceneBox): DrawnBox => {
    const rect = source.canvas.getBoundingClientRect();
    const camera = source.camera();
    const texts = source.linesAt(box, camera.k);
    return {
      ...box,
      x: rect.left + box.x * camera.k + camera.x,
      y: rect.top + box.y * camera.k + camera.y,
      width: box.width * camera.k,
      height: box.height * camera.k,
      text: detailAt(camera.k).text || texts.length > 0,
      texts,
    };
  };
  const visibleNow = <T extends { x: number; y: number; width: number; height: number }>(
    rect: T,
  ): boolean => {
    const [w, h] = source.size();
    return onScreen(rect, source.camera(), w, h);
  };
  return {
    status: source.status,
    boxes: () => (source.scene()?.boxes ?? []).filter(visibleNow).map(toDrawn),
    scene: source.scene,
    all: () => (source.scene()?.boxes ?? []).map(toDrawn),
    box: (id) => {
      const box = source.scene()?.boxes.find((b) => b.id === id);
      return box === undefined ? null : toDrawn(box);
    },
    edges: () =>
      (source.scene()?.edges ?? [])
        .filter((e) => visibleNow(e.bounds))
        .map(({ source: from, target, label, highlighted }) => ({
          source: from,
          target,
          label,
          highlighted,
        })),
    transform: () => ({ ...source.camera() }),
    hovered: source.hovered,
    timings: source.timings,
    resetFrames: source.resetFrames,
  };
}
