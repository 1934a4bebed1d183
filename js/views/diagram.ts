/**
 * The diagram view: lays out the store's visible graph (in a worker), builds the scene and paints
 * it on a canvas, and turns pointer and key input into store actions and camera moves. Model
 * strings are user data: they only ever reach the page as canvas text, never as markup.
 *
 * A canvas has no elements to query, so the diagram publishes what it draws through a probe on
 * its root element (`el.torchscope`): the browser tests and the benchmark read boxes, their screen
 * positions and the timings from it.
 */

import { type Layout, layoutInput } from "../graph/layout";
import { LayoutEngine, type LayoutResult } from "../graph/layout-engine";
import {
  centerOn,
  fitTo,
  initial,
  inView,
  panBy,
  type Rect,
  type Transform,
  zoomAt,
} from "../graph/viewport";
import type { VisibleGraph } from "../graph/visible";
import type { Store, ViewState } from "../store";
import type { Orientation } from "../types";
import { type ExportRequest, exportScene } from "./export";
import { createMinimap } from "./minimap";
import { renderNotices } from "./notices";
import { detailAt, onScreen, paint } from "./paint";
import { type Palette, readPalette } from "./palette";
import { buildScene, hitTest, type Scene, type SceneBox } from "./scene";

/** A box as the probe reports it: the scene's record plus where it is on screen (client pixels). */
export interface DrawnBox extends Omit<SceneBox, "x" | "y" | "width" | "height"> {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Whether its op, name and shape are drawn as text at the current zoom. */
  text: boolean;
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
  /** Milliseconds: the last layout, the last paint, and every paint since `resetFrames()`. */
  timings(): { layout: number; paint: number; frames: number[]; threaded: boolean };
  resetFrames(): void;
}

interface Laid {
  visible: VisibleGraph;
  orientation: Orientation;
  layout: Layout;
}

export function renderDiagram(el: HTMLElement, store: Store): () => void {
  const root = document.createElement("div");
  root.className = "ts-diagram";
  root.dataset.layout = "pending";
  const notices = document.createElement("div");
  notices.className = "ts-notices";
  const stage = document.createElement("div");
  stage.className = "ts-stage";
  const canvas = document.createElement("canvas");
  canvas.className = "ts-canvas";
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  const status = document.createElement("div");
  status.className = "ts-status";
  status.hidden = true;
  const minimap = createMinimap((x, y) => {
    const [w, h] = size();
    setCamera(centerOn(camera, { x, y, width: 0, height: 0 }, w, h));
  });
  stage.append(canvas, minimap.element, status);
  root.append(notices, stage);
  el.append(root);

  const engine = new LayoutEngine();
  let laid: Laid | null = null;
  let scene: Scene | null = null;
  let camera: Transform = { x: 0, y: 0, k: 1 };
  let placed = false;
  let userMoved = false;
  let shownSelection = "";
  /** The box whose screen position a re-layout keeps (the group just toggled here). */
  let anchor: { id: string; x: number; y: number } | null = null;
  let latest = 0;
  /** What the layout in flight is for: a state that repeats it (a kernel echo) waits for it. */
  let asked: { visible: VisibleGraph; orientation: Orientation } | null = null;
  let hover: string | null = null;
  let palette: Palette | null = null;
  const timings = { layout: 0, paint: 0, frames: [] as number[] };

  const size = (): [number, number] => [stage.clientWidth || 800, stage.clientHeight || 600];

  let frame = 0;
  let firstPaint = false;
  const schedule = (): void => {
    if (typeof requestAnimationFrame !== "function") {
      draw();
      return;
    }
    if (frame === 0) frame = requestAnimationFrame(draw);
  };
  const draw = (): void => {
    frame = 0;
    const [w, h] = size();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    // opaque: the compositor need not blend the canvas with what lies beneath it
    const ctx = canvas.getContext("2d", { alpha: false });
    palette = readPalette(root);
    if (ctx === null || scene === null) return;
    const painted = paint(
      ctx,
      scene,
      store.current.orientation,
      camera,
      { width: w, height: h, dpr },
      palette,
      hover,
    );
    timings.paint = painted.ms;
    if (!firstPaint) performance.mark?.("torchscope-first-paint");
    firstPaint = true;
    timings.frames.push(painted.ms);
    if (timings.frames.length > 10_000) timings.frames.splice(0, 5_000);
    minimap.update(scene, camera, { width: w, height: h }, palette);
  };

  const setCamera = (t: Transform): void => {
    camera = t;
    root.dataset.zoom = t.k.toFixed(3);
    schedule();
  };
  const move = (t: Transform): void => {
    userMoved = true;
    setCamera(t);
  };
  const fitAll = (): void => {
    if (scene === null) return;
    const [w, h] = size();
    move(fitTo({ x: 0, y: 0, width: scene.width, height: scene.height }, w, h));
  };
  const selectedRect = (): Rect | null => {
    const id = scene?.selected;
    return id === null || id === undefined ? null : (laid?.layout.boxes.get(id) ?? null);
  };
  const zoomToSelection = (): void => {
    const box = selectedRect();
    if (box === null) return;
    const [w, h] = size();
    move(fitTo(box, w, h, 80, 1.5));
  };

  /** Place the camera for a new layout: first view, kept anchor, or the selection kept in view. */
  const frameLayout = (layout: Layout, relaid: boolean, orientationChanged: boolean): void => {
    const [w, h] = size();
    const all = { x: 0, y: 0, width: layout.width, height: layout.height };
    if (!placed || orientationChanged) {
      camera = initial(all, w, h);
      placed = true;
      shownSelection = "";
    } else if (relaid && anchor !== null) {
      const box = layout.boxes.get(anchor.id);
      if (box !== undefined) {
        camera = { k: camera.k, x: anchor.x - box.x * camera.k, y: anchor.y - box.y * camera.k };
      }
    }
    anchor = null;
    if (!scene?.boxes.some((b) => onScreen(b, camera, w, h))) {
      // the picture moved out of view (everything collapsed, say): start from the first view again
      camera = initial(all, w, h);
    }
    const selection = selectedRect();
    const selectionMoved = store.current.selected !== shownSelection || orientationChanged;
    if (selection !== null && selectionMoved && !inView(camera, selection, w, h)) {
      camera = centerOn(camera, selection, w, h);
    }
    shownSelection = store.current.selected;
    setCamera(camera);
  };

  const rebuild = (state: ViewState, relaid: boolean, orientationChanged: boolean): void => {
    if (laid === null) return;
    scene = buildScene(state, laid.layout);
    canvas.setAttribute(
      "aria-label",
      `${state.graph.model.name} layer graph, ${scene.boxes.length} boxes`,
    );
    frameLayout(laid.layout, relaid, orientationChanged);
  };

  const onState = (state: ViewState): void => {
    if (state.error !== null) {
      scene = null;
      laid = null;
      asked = null;
      root.dataset.layout = "error";
      stage.hidden = true;
      renderNotices(notices, state, scene);
      return;
    }
    stage.hidden = false;
    if (laid !== null && laid.visible === state.visible && laid.orientation === state.orientation) {
      rebuild(state, false, false);
      renderNotices(notices, state, scene);
      return;
    }
    renderNotices(notices, state, scene);
    if (
      asked !== null &&
      asked.visible === state.visible &&
      asked.orientation === state.orientation
    ) {
      return;
    }
    latest += 1;
    const ticket = latest;
    const visibleGraph = state.visible;
    const orientation = state.orientation;
    root.dataset.layout = "pending";
    asked = { visible: visibleGraph, orientation };
    // say so only when it takes long enough to notice
    const slow = setTimeout(() => {
      status.textContent = `Laying out ${visibleGraph.items.length.toLocaleString()} boxes…`;
      status.hidden = false;
    }, 200);
    engine.request(layoutInput(visibleGraph), orientation, (result: LayoutResult) => {
      if (ticket !== latest) return; // superseded by a newer state
      asked = null;
      clearTimeout(slow);
      status.hidden = true;
      if ("error" in result) {
        root.dataset.layout = "error";
        status.textContent = `torchscope could not lay this graph out: ${result.error}`;
        status.hidden = false;
        return;
      }
      timings.layout = result.ms;
      const orientationChanged = laid !== null && laid.orientation !== orientation;
      laid = { visible: visibleGraph, orientation, layout: result.layout };
      rebuild(store.current, true, orientationChanged);
      renderNotices(notices, store.current, scene);
      root.dataset.layout = "ready";
    });
  };

  const point = (event: MouseEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    const sx = event.clientX - rect.left;
    const sy = event.clientY - rect.top;
    return [(sx - camera.x) / camera.k, (sy - camera.y) / camera.k];
  };
  const hit = (event: MouseEvent): ReturnType<typeof hitTest> =>
    scene === null ? null : hitTest(scene, ...point(event));

  const onWheel = (event: WheelEvent): void => {
    if (scene === null) return;
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    // pixels, lines or pages: normalised so that a mouse notch and a trackpad feel alike
    const delta = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
    move(
      zoomAt(
        camera,
        event.clientX - rect.left,
        event.clientY - rect.top,
        Math.exp(-delta * 0.0015),
      ),
    );
  };
  let drag: { x: number; y: number; moved: boolean } | null = null;
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
      move(panBy(camera, dx, dy));
      return;
    }
    const found = hit(event);
    canvas.style.cursor = found === null ? "" : "pointer";
    store.hovered.set(found?.box.id ?? "");
  };
  const onUp = (): void => {
    canvas.classList.remove("ts-dragging");
    // a drag that moved is a pan, not a click on whatever it started on
    if (drag?.moved === true) swallowClick = true;
    drag = null;
  };
  let swallowClick = false;
  const onClick = (event: MouseEvent): void => {
    if (swallowClick) {
      swallowClick = false;
      return;
    }
    canvas.focus({ preventScroll: true });
    const found = hit(event);
    if (found === null) return;
    if (found.onToggle) toggle(found.box);
    else store.select(found.box.select);
  };
  const onDoubleClick = (event: MouseEvent): void => {
    const found = hit(event);
    if (found !== null && found.box.toggle !== null && !found.onToggle) toggle(found.box);
  };
  const toggle = (box: SceneBox): void => {
    // keep the toggled group where it is on screen: a fold becomes its first block
    const id = box.kind === "fold" ? box.select : box.id;
    anchor = { id, x: box.x * camera.k + camera.x, y: box.y * camera.k + camera.y };
    store.toggle(box.id);
  };
  const onLeave = (): void => store.hovered.set("");
  // the hover comes from here or from the table (whose rows may stand for hidden nodes)
  const unhover = store.hovered.subscribe((id) => {
    hover = id === "" ? null : (store.current.visible.representative.get(id) ?? id);
    schedule();
  });
  const onKey = (event: KeyboardEvent): void => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement)
      return;
    const [w, h] = size();
    const keys: Record<string, () => void> = {
      f: fitAll,
      z: zoomToSelection,
      "+": () => move(zoomAt(camera, w / 2, h / 2, 1.25)),
      "=": () => move(zoomAt(camera, w / 2, h / 2, 1.25)),
      "-": () => move(zoomAt(camera, w / 2, h / 2, 0.8)),
      ArrowLeft: () => move(panBy(camera, 60, 0)),
      ArrowRight: () => move(panBy(camera, -60, 0)),
      ArrowUp: () => move(panBy(camera, 0, 60)),
      ArrowDown: () => move(panBy(camera, 0, -60)),
    };
    const run = keys[event.key];
    if (run === undefined || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    run();
  };
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  canvas.addEventListener("pointerleave", onLeave);
  canvas.addEventListener("click", onClick);
  canvas.addEventListener("dblclick", onDoubleClick);
  const widgetRoot = el.closest(".torchscope");
  widgetRoot?.addEventListener("keydown", onKey as EventListener);
  root.addEventListener("ts-fit", fitAll);
  root.addEventListener("ts-zoom-selection", zoomToSelection);
  const onExport = (event: Event): void => {
    if (scene === null) return;
    const state = store.current;
    exportScene((event as CustomEvent<ExportRequest>).detail, scene, state.orientation, {
      palette: readPalette(root),
      title: state.graph.model.name,
      status,
    });
  };
  root.addEventListener("ts-export", onExport);
  const resize =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          // a view shown before it had a size (a cell still rendering) gets its first view again
          if (!userMoved && laid !== null) {
            placed = false;
            frameLayout(laid.layout, false, false);
          }
          schedule();
        })
      : null;
  resize?.observe(stage);

  const toDrawn = (box: SceneBox): DrawnBox => {
    const rect = canvas.getBoundingClientRect();
    return {
      ...box,
      x: rect.left + box.x * camera.k + camera.x,
      y: rect.top + box.y * camera.k + camera.y,
      width: box.width * camera.k,
      height: box.height * camera.k,
      text: detailAt(camera.k).text,
    };
  };
  const probe: DiagramProbe = {
    status: () => root.dataset.layout ?? "",
    boxes: () => {
      const [w, h] = size();
      return (scene?.boxes ?? []).filter((b) => onScreen(b, camera, w, h)).map(toDrawn);
    },
    scene: () => scene,
    all: () => (scene?.boxes ?? []).map(toDrawn),
    box: (id) => {
      const box = scene?.boxes.find((b) => b.id === id);
      return box === undefined ? null : toDrawn(box);
    },
    edges: () => {
      const [w, h] = size();
      return (scene?.edges ?? [])
        .filter((e) => onScreen(e.bounds, camera, w, h))
        .map(({ source, target, label, highlighted }) => ({ source, target, label, highlighted }));
    },
    transform: () => ({ ...camera }),
    timings: () => ({ ...timings, frames: [...timings.frames], threaded: engine.threaded }),
    resetFrames: () => {
      timings.frames = [];
    },
  };
  Object.assign(root, { torchscope: probe });

  onState(store.current);
  const unsubscribe = store.subscribe(onState);
  return () => {
    unsubscribe();
    unhover();
    engine.dispose();
    resize?.disconnect();
    if (frame !== 0 && typeof cancelAnimationFrame === "function") cancelAnimationFrame(frame);
    widgetRoot?.removeEventListener("keydown", onKey as EventListener);
    minimap.dispose();
    root.remove();
  };
}
