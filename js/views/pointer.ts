/**
 * Pointer and key input on the diagram's canvas, turned into intents (pan, zoom, select, toggle,
 * hover, camera keys). It knows nothing of the store: the diagram says what each intent does.
 */

import { panBy, type Transform, zoomAt } from "../graph/viewport";
import type { SceneBox } from "./scene";

export interface Hit {
  box: SceneBox;
  onToggle: boolean;
}

export interface PointerIntents {
  camera(): Transform;
  /** The camera moved by the user (a pan, a zoom, a key). */
  move(t: Transform): void;
  /** What lies under a client-pixel point, if anything. */
  hitAt(clientX: number, clientY: number): Hit | null;
  /** The bookkeeping marker under a client-pixel point: what it names, and what a click selects. */
  markerAt(clientX: number, clientY: number): { label: string; select: string } | null;
  selectId(id: string): void;
  select(box: SceneBox): void;
  toggle(box: SceneBox): void;
  hover(id: string): void;
  /** Camera keys: fit (`f`) and zoom to the selection (`z`). */
  fit(): void;
  zoomToSelection(): void;
  /** The view's size in pixels. */
  size(): [number, number];
}

/** Listen on `canvas` (and for keys on `keys`, the widget root); returns the cleanup. */
export function bindPointer(
  canvas: HTMLCanvasElement,
  keys: Element | null,
  intents: PointerIntents,
): () => void {
  const local = (event: MouseEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  const onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    // pixels, lines or pages: normalised so that a mouse notch and a trackpad feel alike
    const delta = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
    intents.move(zoomAt(intents.camera(), ...local(event), Math.exp(-delta * 0.0015)));
  };
  let drag: { x: number; y: number; moved: boolean } | null = null;
  let swallowClick = false;
  const onDown = (event: PointerEvent): void => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false };
    try {
      // keeps the drag going outside the canvas; synthetic events have no pointer to capture
      canvas.setPointerCapture?.(event.pointerId);
    } catch {}
  };
  const onMove = (event: PointerEvent): void => {
    if (drag !== null) {
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag = { x: event.clientX, y: event.clientY, moved: true };
      canvas.classList.add("ts-dragging");
      intents.move(panBy(intents.camera(), dx, dy));
      return;
    }
    const marker = intents.markerAt(event.clientX, event.clientY);
    const found = marker === null ? intents.hitAt(event.clientX, event.clientY) : null;
    canvas.style.cursor = found === null && marker === null ? "" : "pointer";
    // the canvas's own tooltip names the bookkeeping ops of a marker
    canvas.title = marker === null ? "" : marker.label;
    intents.hover(found?.box.id ?? "");
  };
  const onUp = (): void => {
    canvas.classList.remove("ts-dragging");
    // a drag that moved is a pan, not a click on whatever it started on
    if (drag?.moved === true) swallowClick = true;
    drag = null;
  };
  const onClick = (event: MouseEvent): void => {
    if (swallowClick) {
      swallowClick = false;
      return;
    }
    canvas.focus({ preventScroll: true });
    const marker = intents.markerAt(event.clientX, event.clientY);
    if (marker !== null) {
      intents.selectId(marker.select);
      return;
    }
    const found = intents.hitAt(event.clientX, event.clientY);
    if (found === null) return;
    if (found.onToggle) intents.toggle(found.box);
    else intents.select(found.box);
  };
  const onDoubleClick = (event: MouseEvent): void => {
    const found = intents.hitAt(event.clientX, event.clientY);
    if (found !== null && found.box.toggle !== null && !found.onToggle) intents.toggle(found.box);
  };
  const onLeave = (): void => intents.hover("");
  const onKey = (event: KeyboardEvent): void => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement)
      return;
    const run = keyAction(event.key, intents);
    if (run === undefined || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    run();
  };
  const listeners: [EventTarget, string, EventListener, AddEventListenerOptions?][] = [
    [canvas, "wheel", onWheel as EventListener, { passive: false }],
    [canvas, "pointerdown", onDown as EventListener],
    [canvas, "pointermove", onMove as EventListener],
    [canvas, "pointerup", onUp],
    [canvas, "pointercancel", onUp],
    [canvas, "pointerleave", onLeave],
    [canvas, "click", onClick as EventListener],
    [canvas, "dblclick", onDoubleClick as EventListener],
  ];
  if (keys !== null) listeners.push([keys, "keydown", onKey as EventListener]);
  for (const [target, type, listener, options] of listeners) {
    target.addEventListener(type, listener, options);
  }
  return () => {
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
  };
}

/** The camera key bindings: f fit, z zoom to selection, +/- zoom, arrows pan. */
function keyAction(key: string, intents: PointerIntents): (() => void) | undefined {
  const [w, h] = intents.size();
  const zoom = (factor: number) => () =>
    intents.move(zoomAt(intents.camera(), w / 2, h / 2, factor));
  const pan = (dx: number, dy: number) => () => intents.move(panBy(intents.camera(), dx, dy));
  const actions: Record<string, () => void> = {
    f: () => intents.fit(),
    z: () => intents.zoomToSelection(),
    "+": zoom(1.25),
    "=": zoom(1.25),
    "-": zoom(0.8),
    ArrowLeft: pan(60, 0),
    ArrowRight: pan(-60, 0),
    ArrowUp: pan(0, 60),
    ArrowDown: pan(0, -60),
  };
  return actions[key];
}
