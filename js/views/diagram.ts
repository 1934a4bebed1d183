/**
 * The diagram view: draws the store's visible graph as SVG boxes and arrows, and turns clicks into
 * store actions. Model strings are user data, so they only ever reach the DOM as textContent.
 *
 * Expanded groups are frames around their children; the layout is composed group by group
 * (js/graph/layout.ts). SVG for now: the canvas renderer for huge graphs is still to come.
 */

import { formatStat } from "../format";
import { metricScale, type Scale } from "../graph/colour";
import { type Layout, layeredLayout } from "../graph/layout";
import { centerOn, fitTo, initial, inView, panBy, type Transform, zoomAt } from "../graph/viewport";
import type { Container, Item, VisibleEdge, VisibleGraph } from "../graph/visible";
import type { Store, ViewState } from "../store";
import type { Orientation } from "../types";

const SVG = "http://www.w3.org/2000/svg";

/** The diagram's own view state: pan and zoom stay in the front end (not a synced trait). */
interface Camera {
  transform: Transform | null;
  orientation: string;
  selected: string;
  layout: Layout | null;
  viewport: SVGGElement | null;
}

export function renderDiagram(el: HTMLElement, store: Store): () => void {
  const root = document.createElement("div");
  root.className = "ts-diagram";
  el.append(root);
  const camera: Camera = {
    transform: null,
    orientation: "",
    selected: "",
    layout: null,
    viewport: null,
  };
  const size = (): [number, number] => [root.clientWidth || 800, root.clientHeight || 600];
  const apply = (t: Transform): void => {
    camera.transform = t;
    camera.viewport?.setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`);
    root.dataset.zoom = t.k.toFixed(3);
  };
  const fitAll = (): void => {
    if (camera.layout === null) return;
    const [w, h] = size();
    apply(fitTo({ x: 0, y: 0, width: camera.layout.width, height: camera.layout.height }, w, h));
  };

  const draw = (state: ViewState): void => {
    root.replaceChildren();
    if (state.error !== null) {
      const message = document.createElement("div");
      message.className = "ts-error";
      message.textContent = `torchscope cannot draw this payload: ${state.error}`;
      root.append(message);
      return;
    }
    const failed = state.graph.nodes.find((node) => node.error !== undefined);
    if (failed?.error !== undefined) {
      // the trace stopped at this node: say so above the partial graph
      const banner = document.createElement("div");
      banner.className = "ts-trace-error";
      banner.textContent = failed.error;
      root.append(banner);
    }
    const shading = shade(state);
    if (shading !== null) root.append(legend(state, shading));
    const { svg, layout, viewport } = drawSvg(state, store, shading);
    root.append(svg);
    camera.layout = layout;
    camera.viewport = viewport;
    const [w, h] = size();
    if (camera.transform === null || camera.orientation !== state.orientation) {
      apply(initial({ x: 0, y: 0, width: layout.width, height: layout.height }, w, h));
    } else {
      apply(camera.transform);
    }
    const box = layout.boxes.get(state.visible.representative.get(state.selected) ?? "");
    const moved = camera.orientation !== state.orientation || camera.selected !== state.selected;
    if (
      box !== undefined &&
      moved &&
      camera.transform !== null &&
      !inView(camera.transform, box, w, h)
    ) {
      // keep the selection in view across a re-layout, or when it is picked elsewhere
      apply(centerOn(camera.transform, box, w, h));
    }
    camera.orientation = state.orientation;
    camera.selected = state.selected;
  };

  const onWheel = (event: WheelEvent): void => {
    if (camera.transform === null) return;
    event.preventDefault();
    const rect = root.getBoundingClientRect();
    apply(
      zoomAt(
        camera.transform,
        event.clientX - rect.left,
        event.clientY - rect.top,
        Math.exp(-event.deltaY * 0.0015),
      ),
    );
  };
  let drag: { x: number; y: number; moved: boolean } | null = null;
  const onDown = (event: PointerEvent): void => {
    drag = { x: event.clientX, y: event.clientY, moved: false };
  };
  const onMove = (event: PointerEvent): void => {
    if (drag === null || camera.transform === null) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag = { x: event.clientX, y: event.clientY, moved: true };
    apply(panBy(camera.transform, dx, dy));
  };
  const onUp = (): void => {
    // a drag that moved is a pan, not a click on whatever it started on
    if (drag?.moved === true)
      root.addEventListener("click", swallow, { capture: true, once: true });
    drag = null;
  };
  const swallow = (event: Event): void => event.stopPropagation();
  const onKey = (event: KeyboardEvent): void => {
    if (event.target instanceof HTMLInputElement) return;
    if (event.key === "f") fitAll();
    const [w, h] = size();
    if ((event.key === "+" || event.key === "=") && camera.transform)
      apply(zoomAt(camera.transform, w / 2, h / 2, 1.25));
    if (event.key === "-" && camera.transform) apply(zoomAt(camera.transform, w / 2, h / 2, 0.8));
  };
  root.addEventListener("wheel", onWheel, { passive: false });
  root.addEventListener("pointerdown", onDown);
  window.addEventListener("pointermove", onMove);
  window.addEventListener("pointerup", onUp);
  el.closest(".torchscope")?.addEventListener("keydown", onKey as EventListener);
  root.addEventListener("ts-fit", fitAll);

  draw(store.current);
  const unsubscribe = store.subscribe(draw);
  return () => {
    unsubscribe();
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", onUp);
    el.closest(".torchscope")?.removeEventListener("keydown", onKey as EventListener);
    root.remove();
  };
}

type Entry = { kind: "item"; item: Item } | { kind: "container"; container: Container };

/** Boxes in drawing order: each container's header, then its children, depth first. */
function drawingOrder(shown: VisibleGraph): Entry[] {
  const items = new Map(shown.items.map((i) => [i.id, i]));
  const containers = new Map(shown.containers.map((c) => [c.id, c]));
  const order: Entry[] = [];
  const visit = (id: string): void => {
    const container = containers.get(id);
    if (container !== undefined) {
      order.push({ kind: "container", container });
      for (const child of container.children) visit(child);
      return;
    }
    const item = items.get(id);
    if (item !== undefined) order.push({ kind: "item", item });
  };
  for (const id of shown.roots) visit(id);
  return order;
}

interface Shading {
  scale: Scale;
  value: (entry: Entry) => number | undefined;
}

/** How to shade boxes by the chosen metric, or null when no metric is chosen. */
function shade(state: ViewState): Shading | null {
  const metric = state.metric;
  if (metric === "" || !state.graph.columns.some((c) => c.key === metric)) return null;
  const number = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
  const value = (entry: Entry): number | undefined => {
    if (entry.kind === "container") return undefined;
    const { item } = entry;
    if (item.node !== undefined) return number(item.node.stats[metric]);
    if (item.kind === "fold") {
      // a fold stands for all its blocks: their sum
      return (item.members ?? []).reduce(
        (sum, id) => sum + (number(state.hierarchy.groups.get(id)?.stats[metric]) ?? 0),
        0,
      );
    }
    return number(item.group?.stats[metric]);
  };
  const values = drawingOrder(state.visible).map(value);
  return { scale: metricScale(values), value };
}

function legend(state: ViewState, shading: Shading): HTMLElement {
  const column = state.graph.columns.find((c) => c.key === state.metric);
  const element = document.createElement("div");
  element.className = "ts-legend";
  const bar = document.createElement("span");
  bar.className = "ts-legend-bar";
  const label = document.createElement("span");
  const { min, max, log } = shading.scale;
  label.textContent =
    column === undefined || max === 0
      ? `${state.metric}: nothing to shade`
      : `${column.label}: ${formatStat(column, min)} → ${formatStat(column, max)}${log ? " (log scale)" : ""}`;
  element.append(label, bar);
  return element;
}

function drawSvg(
  state: ViewState,
  store: Store,
  shading: Shading | null,
): { svg: SVGSVGElement; layout: Layout; viewport: SVGGElement } {
  const order = drawingOrder(state.visible);
  const layout = layeredLayout(state.visible, state.orientation);
  const svg = svgElement("svg", {
    class: "ts-canvas",
    width: "100%",
    height: "100%",
    role: "img",
    "aria-label": `${state.graph.model.name} layer graph`,
  });
  const viewport = svgElement("g", { class: "ts-viewport" });
  svg.append(arrowMarker());
  const edgeLayer = svgElement("g", { class: "ts-edges" });
  for (const edge of state.visible.edges) {
    const line = edgeLine(edge, layout, state.orientation);
    if (line !== null) edgeLayer.append(line);
  }
  const nodeLayer = svgElement("g", { class: "ts-nodes" });
  for (const entry of order) {
    const g = box(entry, layout, state, store);
    const strength = shading?.scale.at(shading.value(entry)) ?? null;
    if (strength !== null) {
      const percent = Math.round(strength * 100);
      g.dataset.metricStrength = String(percent);
      g.querySelector("rect")?.setAttribute(
        "style",
        `fill: color-mix(in srgb, var(--ts-heat) ${percent}%, var(--ts-node-bg))`,
      );
    }
    nodeLayer.append(g);
  }
  viewport.append(edgeLayer, nodeLayer);
  svg.append(viewport);
  return { svg, layout, viewport };
}

function box(entry: Entry, layout: Layout, state: ViewState, store: Store): SVGGElement {
  const id = entry.kind === "item" ? entry.item.id : entry.container.id;
  const place = layout.boxes.get(id);
  const width = place?.width ?? 0;
  const height = place?.height ?? 0;
  const { lines, kind, toggle, failed } = describe(entry, state);
  const selectedId =
    entry.kind === "item" && entry.item.kind === "fold" ? entry.item.members?.[0] : id;
  const classes = [
    "ts-node",
    `ts-kind-${kind}`,
    failed ? "ts-failed" : "",
    state.selected !== "" && state.selected === selectedId ? "ts-selected" : "",
  ];
  const g = svgElement("g", {
    class: classes.filter((c) => c !== "").join(" "),
    "data-node-id": id,
    transform: `translate(${place?.x ?? 0},${place?.y ?? 0})`,
    tabindex: "0",
  });
  g.append(svgElement("rect", { width: String(width), height: String(height), rx: "8", ry: "8" }));
  if (entry.kind === "container") {
    // a frame: its title on one line in the header bar, its children drawn inside
    const t = svgElement("text", { class: "ts-frame-title", x: "28", y: "19" });
    t.textContent = lines.map(([, text]) => text).join(" · ");
    g.append(t);
  } else {
    lines.forEach(([cls, text], i) => {
      const t = svgElement("text", { class: cls, x: String(width / 2), y: String(17 + i * 15) });
      t.textContent = text;
      g.append(t);
    });
  }
  if (toggle !== null) {
    const handle = svgElement("text", {
      class: "ts-toggle",
      x: "12",
      y: "20",
      "data-action": "toggle",
    });
    handle.textContent = toggle;
    handle.addEventListener("click", (event) => {
      event.stopPropagation();
      store.toggle(id);
    });
    g.append(handle);
    g.addEventListener("dblclick", () => store.toggle(id));
  }
  g.addEventListener("click", () => store.select(selectedId ?? id));
  g.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") store.select(selectedId ?? id);
  });
  return g;
}

interface Description {
  lines: [string, string][];
  kind: string;
  toggle: string | null;
  failed: boolean;
}

function describe(entry: Entry, state: ViewState): Description {
  if (entry.kind === "container") {
    const { group } = entry.container;
    return {
      lines: [
        ["ts-op", group.op],
        ["ts-label", group.label],
      ],
      kind: "container",
      toggle: "▾",
      failed: false,
    };
  }
  const { item } = entry;
  if (item.kind === "node" && item.node !== undefined) {
    const node = item.node;
    const shape = node.outputs[0]?.shape ?? node.inputs[0]?.shape;
    return {
      lines: [
        ["ts-op", node.op],
        ["ts-label", node.label],
        ["ts-shape", shape === undefined ? "" : `[${shape.join(", ")}]`],
      ],
      kind: node.kind,
      toggle: null,
      failed: node.error !== undefined,
    };
  }
  const group = item.group;
  const members = item.members ?? [];
  const inside = countLeaves(state, item.kind === "fold" ? members : [item.id]);
  const label =
    item.kind === "fold"
      ? `${members[0]} … ${members[members.length - 1]}`
      : (group?.label ?? item.id);
  return {
    lines: [
      ["ts-op", item.kind === "fold" ? `${group?.op ?? ""} ×${members.length}` : (group?.op ?? "")],
      ["ts-label", label],
      ["ts-shape", `${inside} layers`],
    ],
    kind: item.kind,
    toggle: "▸",
    failed: false,
  };
}

function countLeaves(state: ViewState, groups: readonly string[]): number {
  let count = 0;
  const visit = (id: string): void => {
    const group = state.hierarchy.groups.get(id);
    if (group === undefined) {
      count += 1;
      return;
    }
    for (const child of group.children) visit(child);
  };
  for (const id of groups) visit(id);
  return count;
}

function edgeLine(
  edge: VisibleEdge,
  layout: Layout,
  orientation: Orientation,
): SVGLineElement | null {
  const a = layout.boxes.get(edge.source);
  const b = layout.boxes.get(edge.target);
  if (a === undefined || b === undefined) return null;
  const tb = orientation === "TB";
  return svgElement("line", {
    class: "ts-edge",
    x1: String(tb ? a.x + a.width / 2 : a.x + a.width),
    y1: String(tb ? a.y + a.height : a.y + a.height / 2),
    x2: String(tb ? b.x + b.width / 2 : b.x),
    y2: String(tb ? b.y : b.y + b.height / 2),
    "marker-end": "url(#ts-arrow)",
    "data-source": edge.source,
    "data-target": edge.target,
  });
}

function arrowMarker(): SVGDefsElement {
  const defs = svgElement("defs", {});
  const marker = svgElement("marker", {
    id: "ts-arrow",
    viewBox: "0 0 10 10",
    refX: "10",
    refY: "5",
    markerWidth: "7",
    markerHeight: "7",
    orient: "auto-start-reverse",
  });
  marker.append(svgElement("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "ts-arrowhead" }));
  defs.append(marker);
  return defs;
}

function svgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  return element;
}
