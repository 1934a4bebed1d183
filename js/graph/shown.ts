/**
 * What the diagram shows, as plain data: the boxes (items), the expanded groups around them
 * (containers), the edges between boxes, and where every payload node is drawn. Built by
 * js/graph/visible.ts; stubs are added here so the builders of stubs share one way to do it.
 */

import type { GraphNode, Group } from "../types";

export type ItemKind = "node" | "group" | "fold" | "stub";

/** One box in the diagram: a node, a collapsed group, a fold of repeated groups, or a stub. */
export interface Item {
  id: string;
  kind: ItemKind;
  /** The expanded group it sits in, or null at the top level. */
  parent: string | null;
  /** A node's record, for kind "node". */
  node?: GraphNode;
  /** The collapsed group (the first of the run for a fold). */
  group?: Group;
  /** For a fold: the groups it stands for, in order. */
  members?: string[];
  /** For a stub: the payload id a click selects (the broadcast source, or a bookkeeping op). */
  of?: string;
  /** For a stub: what it names (the source's label, or the ops of a chain with no input). */
  label?: string;
}

/** An expanded group, drawn as a container around its visible children. */
export interface Container {
  id: string;
  group: Group;
  parent: string | null;
  /** Visible children in call order: items and nested containers. */
  children: string[];
}

/** An edge between two visible boxes, standing for `count` payload edges. */
export interface VisibleEdge {
  source: string;
  target: string;
  shape: number[];
  dtype: string;
  count: number;
  /** Bookkeeping nodes drawn as a marker on this edge, in flow order. */
  via: string[];
}

export interface VisibleGraph {
  /** Top-level boxes and containers, in call order (a container's children are in its own list). */
  roots: string[];
  items: Item[];
  containers: Container[];
  edges: VisibleEdge[];
  /** For every payload node and group: the id of the box that shows it now. */
  representative: Map<string, string>;
  /** Bookkeeping nodes not drawn as boxes: where each is marked (an edge key or a stub id). */
  markers: Map<string, string>;
}

export interface Stub {
  id: string;
  /** What a click on it selects. */
  of: string;
  label: string;
  /** The box it feeds; it is drawn in the same container, just before it. */
  consumer: string;
  /** The edge from the stub to the consumer (its source is replaced by the stub). */
  edge: VisibleEdge;
  /** Bookkeeping nodes this stub marks. */
  marks: readonly string[];
}

/** Put a stub into the graph: an item next to its consumer, and its edge. */
export function addStub(graph: VisibleGraph, stub: Stub): void {
  const consumer = graph.items.find((i) => i.id === stub.consumer);
  const parent = consumer?.parent ?? null;
  graph.items.push({ id: stub.id, kind: "stub", parent, of: stub.of, label: stub.label });
  const siblings =
    parent === null ? graph.roots : (graph.containers.find((c) => c.id === parent)?.children ?? []);
  const at = siblings.indexOf(stub.consumer);
  siblings.splice(at < 0 ? siblings.length : at, 0, stub.id);
  graph.edges.push({ ...stub.edge, source: stub.id, target: stub.consumer });
  graph.representative.set(stub.id, stub.id);
  for (const id of stub.marks) {
    graph.markers.set(id, stub.id);
    graph.representative.set(id, stub.id);
  }
}
