/**
 * The diagram view: wires the store to a layout scheduler (layouts run in a worker), the camera
 * rules (js/graph/camera.ts), the canvas painter, pointer input and the probe. Model strings are
 * user data: they only ever reach the page as canvas text, never as markup.
 */

import { type Anchor, anchorOf, firstView, frame, zoomOn } from "../graph/camera";
import { type Layout, layoutInput } from "../graph/layout";
import { LayoutEngine, type LayoutResult } from "../graph/layout-engine";
import { LayoutScheduler } from "../graph/scheduler";
import { centerOn, type Rect, type Transform } from "../graph/viewport";
import type { VisibleGraph } from "../graph/visible";
import type { Store, ViewState } from "../store";
import type { Orientation } from "../types";
import { type ExportRequest, exportScene } from "./export";
import { createMinimap } from "./minimap";
import { renderNotices } from "./notices";
import { canvasMeasure, onScreen, paint } from "./paint";
import { type Palette, readPalette } from "./palette";
import { bindPointer } from "./pointer";
import { type DiagramProbe, makeProbe } from "./probe";
import { buildScene, hitTest, markerAt, type Scene, type SceneBox } from "./scene";
import { MARKER_SIZE } from "./style";
import { estimate, type Measure, textLines } from "./text";

export type { DiagramProbe, DrawnBox } from "./probe";

interface Laid {
  visible: VisibleGraph;
  orientation: Orientation;
  layout: Layout;
}

interface Job {
  visible: VisibleGraph;
  orientation: Orientation;
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
  const scheduler = new LayoutScheduler<Job, LayoutResult>(
    (job, done) => engine.request(layoutInput(job.visible), job.orientation, done),
    {
      show: (job) => {
        status.textContent = `Laying out ${job.visible.items.length.toLocaleString()} boxes…`;
        status.hidden = false;
      },
      hide: () => {
        status.hidden = true;
        status.textContent = "";
      },
    },
  );
  let laid: Laid | null = null;
  let scene: Scene | null = null;
  let camera: Transform = { x: 0, y: 0, k: 1 };
  let placed = false;
  let userMoved = false;
  let shownSelection = "";
  let anchor: Anchor | null = null;
  /** The layout in flight: a state that asks for it again (the kernel's echo) waits for it. */
  let asked: Job | null = null;
  let hover: string | null = null;
  let palette: Palette | null = null;
  const timings = { layout: 0, paint: 0, frames: [] as number[] };

  const size = (): [number, number] => [stage.clientWidth || 800, stage.clientHeight || 600];
  /** Text widths as the painter measures them (an estimate where the page has no 2D canvas). */
  const measure = (): Measure => {
    const ctx = canvas.getContext("2d", { alpha: false });
    return ctx === null ? estimate : canvasMeasure(ctx, palette?.font ?? readPalette(root).font);
  };

  let animation = 0;
  const schedule = (): void => {
    if (typeof requestAnimationFrame !== "function") {
      draw();
      return;
    }
    if (animation === 0) animation = requestAnimationFrame(draw);
  };
  let firstPaint = false;
  const draw = (): void => {
    animation = 0;
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
    const orientation = store.current.orientation;
    const painted = paint(
      ctx,
      scene,
      orientation,
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
    move(firstView({ x: 0, y: 0, width: scene.width, height: scene.height }, w, h));
  };
  const selectedRect = (): Rect | null => {
    const id = scene?.selected;
    return id === null || id === undefined ? null : (laid?.layout.boxes.get(id) ?? null);
  };
  const zoomToSelection = (): void => {
    const box = selectedRect();
    if (box === null) return;
    const [w, h] = size();
    move(zoomOn(box, w, h));
  };

  /** Place the camera for a new layout or state (see js/graph/camera.ts for the rules). */
  const placeCamera = (layout: Layout, relaid: boolean, orientationChanged: boolean): void => {
    const [w, h] = size();
    camera = frame({
      camera,
      placed,
      orientationChanged,
      relaid,
      anchor,
      drawing: { x: 0, y: 0, width: layout.width, height: layout.height },
      view: { width: w, height: h },
      boxAt: (id) => layout.boxes.get(id),
      anythingOnScreen: (t) => scene?.boxes.some((b) => onScreen(b, t, w, h)) ?? false,
      selection: selectedRect(),
      selectionChanged: store.current.selected !== shownSelection,
    });
    placed = true;
    anchor = null;
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
    placeCamera(laid.layout, relaid, orientationChanged);
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
    if (asked?.visible === state.visible && asked.orientation === state.orientation) return;
    root.dataset.layout = "pending";
    const job: Job = { visible: state.visible, orientation: state.orientation };
    asked = job;
    scheduler.request(job, (result) => {
      asked = null;
      if ("error" in result) {
        root.dataset.layout = "error";
        status.textContent = `torchscope could not lay this graph out: ${result.error}`;
        status.hidden = false;
        return;
      }
      timings.layout = result.ms;
      if (!firstPaint) performance.mark?.("torchscope-layout"); // see mount.ts
      const orientationChanged = laid !== null && laid.orientation !== job.orientation;
      laid = { visible: job.visible, orientation: job.orientation, layout: result.layout };
      rebuild(store.current, true, orientationChanged);
      renderNotices(notices, store.current, scene);
      root.dataset.layout = "ready";
    });
  };

  const hitAt = (clientX: number, clientY: number): ReturnType<typeof hitTest> => {
    if (scene === null) return null;
    const rect = canvas.getBoundingClientRect();
    const x = (clientX - rect.left - camera.x) / camera.k;
    const y = (clientY - rect.top - camera.y) / camera.k;
    return hitTest(scene, x, y);
  };
  const markerNear = (
    clientX: number,
    clientY: number,
  ): { label: string; select: string } | null => {
    if (scene === null) return null;
    const rect = canvas.getBoundingClientRect();
    const x = (clientX - rect.left - camera.x) / camera.k;
    const y = (clientY - rect.top - camera.y) / camera.k;
    // a few pixels around the diamond, whatever the zoom
    const edge = markerAt(scene, x, y, Math.max(MARKER_SIZE, 6 / camera.k));
    const first = edge?.via[0];
    return edge === null || first === undefined ? null : { label: edge.viaLabel, select: first };
  };
  const toggle = (box: SceneBox): void => {
    // keep the toggled group where it is on screen: a fold becomes its first block
    anchor = anchorOf(box.kind === "fold" ? box.select : box.id, box, camera);
    store.toggle(box.id);
  };
  const widgetRoot = el.closest(".torchscope");
  const unbind = bindPointer(canvas, widgetRoot, {
    camera: () => camera,
    move: (t) => {
      if (scene !== null) move(t);
    },
    hitAt,
    markerAt: markerNear,
    selectId: (id) => store.select(id),
    select: (box) => store.select(box.select),
    toggle,
    hover: (id) => store.hovered.set(id),
    fit: fitAll,
    zoomToSelection,
    size,
  });
  // the hover comes from here or from the table (whose rows may stand for hidden nodes)
  const unhover = store.hovered.subscribe((id) => {
    hover = id === "" ? null : (store.current.visible.representative.get(id) ?? id);
    schedule();
  });
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
            placeCamera(laid.layout, false, false);
          }
          schedule();
        })
      : null;
  resize?.observe(stage);

  const probe: DiagramProbe = makeProbe({
    status: () => root.dataset.layout ?? "",
    scene: () => scene,
    camera: () => camera,
    hovered: () => hover,
    size,
    canvas,
    timings: () => ({
      ...timings,
      frames: [...timings.frames],
      threaded: engine.threaded,
      layouts: { ...engine.counts },
    }),
    resetFrames: () => {
      timings.frames = [];
    },
    linesAt: (box, k) => textLines(box, k, measure()),
  });
  Object.assign(root, { torchscope: probe });

  onState(store.current);
  const unsubscribe = store.subscribe(onState);
  return () => {
    unsubscribe();
    unhover();
    unbind();
    scheduler.dispose();
    engine.dispose();
    resize?.disconnect();
    if (animation !== 0 && typeof cancelAnimationFrame === "function") {
      cancelAnimationFrame(animation);
    }
    minimap.dispose();
    root.remove();
  };
}
