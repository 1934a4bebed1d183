/**
 * The diagram view: draws the store's graph as SVG boxes and arrows, and turns clicks into
 * store actions. Model strings are user data, so they only ever reach the DOM as textContent.
 */

import { chainLayout, type Layout } from "../graph/layout";
import type { Store, ViewState } from "../store";
import type { Edge, GraphNode, Orientation } from "../types";

const SVG = "http://www.w3.org/2000/svg";

export function renderDiagram(el: HTMLElement, store: Store): () => void {
  const root = document.createElement("div");
  root.className = "ts-diagram";
  el.append(root);

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
    root.append(drawSvg(state, store));
  };
  draw(store.current);
  const unsubscribe = store.subscribe(draw);
  return () => {
    unsubscribe();
    root.remove();
  };
}

function drawSvg(state: ViewState, store: Store): SVGSVGElement {
  const { nodes, edges } = state.graph;
  const layout = chainLayout(nodes, edges, state.orientation);
  const svg = svgElement("svg", {
    class: "ts-canvas",
    width: String(layout.width),
    height: String(layout.height),
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: "img",
    "aria-label": `${state.graph.model.name} layer graph`,
  });
  svg.append(arrowMarker());
  const edgeLayer = svgElement("g", { class: "ts-edges" });
  for (const edge of edges) {
    const line = edgeLine(edge, layout, state.orientation);
    if (line !== null) edgeLayer.append(line);
  }
  const nodeLayer = svgElement("g", { class: "ts-nodes" });
  for (const node of nodes) {
    nodeLayer.append(nodeBox(node, layout, node.id === state.selected, store));
  }
  svg.append(edgeLayer, nodeLayer);
  return svg;
}

function nodeBox(node: GraphNode, layout: Layout, selected: boolean, store: Store): SVGGElement {
  const box = layout.boxes.get(node.id);
  const g = svgElement("g", {
    class: `ts-node ts-kind-${node.kind}${node.error === undefined ? "" : " ts-failed"}${selected ? " ts-selected" : ""}`,
    "data-node-id": node.id,
    transform: `translate(${box?.x ?? 0},${box?.y ?? 0})`,
    tabindex: "0",
  });
  const width = box?.width ?? 0;
  const height = box?.height ?? 0;
  g.append(svgElement("rect", { width: String(width), height: String(height), rx: "8", ry: "8" }));
  const shape = node.outputs[0]?.shape ?? node.inputs[0]?.shape;
  const lines: [string, string][] = [
    ["ts-op", node.op],
    ["ts-label", node.label],
    ["ts-shape", shape === undefined ? "" : `[${shape.join(", ")}]`],
  ];
  lines.forEach(([cls, text], i) => {
    const t = svgElement("text", { class: cls, x: String(width / 2), y: String(17 + i * 15) });
    t.textContent = text;
    g.append(t);
  });
  g.addEventListener("click", () => store.select(node.id));
  g.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") store.select(node.id);
  });
  return g;
}

function edgeLine(edge: Edge, layout: Layout, orientation: Orientation): SVGLineElement | null {
  const a = layout.boxes.get(edge.source);
  const b = layout.boxes.get(edge.target);
  if (a === undefined || b === undefined) return null;
  const tb = orientation === "TB";
  const line = svgElement("line", {
    class: "ts-edge",
    x1: String(tb ? a.x + a.width / 2 : a.x + a.width),
    y1: String(tb ? a.y + a.height : a.y + a.height / 2),
    x2: String(tb ? b.x + b.width / 2 : b.x),
    y2: String(tb ? b.y : b.y + b.height / 2),
    "marker-end": "url(#ts-arrow)",
    "data-source": edge.source,
    "data-target": edge.target,
  });
  return line as SVGLineElement;
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
  return defs as SVGDefsElement;
}

function svgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  return element;
}
