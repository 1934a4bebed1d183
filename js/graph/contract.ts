/**
 * Pure: payload edges → visible edges, with bookkeeping nodes contracted into the edges they sit
 * on. An edge through `view → unsqueeze` becomes one edge from the box before them to the box after
 * them, carrying both as markers (`via`); its shape is the one that reaches the box after. A
 * bookkeeping chain with no visible input at all (`arange`, a parameter's `expand`) cannot ride on
 * an edge: it becomes a lead, drawn as a small stub in front of the box it feeds.
 */

import type { Edge, Payload } from "../types";
import { edgeKey } from "./keys";
import type { VisibleEdge } from "./shown";

/** A bookkeeping chain with no visible input, feeding `consumer` (drawn as a stub). */
export interface Lead {
  /** The chain's nodes in flow order (its first is what the stub selects). */
  chain: string[];
  consumer: string;
  edge: VisibleEdge;
}

export interface Contracted {
  edges: VisibleEdge[];
  /** Bookkeeping node → the key of the visible edge whose marker shows it. */
  markers: Map<string, string>;
  leads: Lead[];
  /** Bookkeeping node → the box it feeds (or, at a dead end, the box that feeds it). */
  downstream: Map<string, string>;
}

/** Visible boxes feeding a hidden node, each with the hidden nodes passed on the way. */
type Sources = Map<string, string[]>;

export function contract(
  graph: Payload,
  representative: ReadonlyMap<string, string>,
  hidden: ReadonlySet<string>,
): Contracted {
  const into = new Map<string, Edge[]>();
  for (const edge of graph.edges) {
    if (!hidden.has(edge.target)) continue;
    const list = into.get(edge.target) ?? [];
    list.push(edge);
    into.set(edge.target, list);
  }
  // nodes come in call order, so every producer is seen before the nodes it feeds
  const sources = new Map<string, Sources>();
  const chains = new Map<string, string[]>();
  for (const node of graph.nodes) {
    if (!hidden.has(node.id)) continue;
    const found: Sources = new Map();
    const chain: string[] = [];
    for (const edge of into.get(node.id) ?? []) {
      if (hidden.has(edge.source)) {
        for (const [box, via] of sources.get(edge.source) ?? []) {
          found.set(box, union(found.get(box) ?? [], via));
        }
        for (const id of chains.get(edge.source) ?? []) if (!chain.includes(id)) chain.push(id);
      } else {
        const box = representative.get(edge.source);
        if (box !== undefined) found.set(box, found.get(box) ?? []);
      }
    }
    for (const [box, via] of found) found.set(box, [...via, node.id]);
    chain.push(node.id);
    sources.set(node.id, found);
    chains.set(node.id, chain);
  }

  const merged = new Map<string, VisibleEdge>();
  const markers = new Map<string, string>();
  const downstream = new Map<string, string>();
  const leads = new Map<string, Lead>();
  const add = (source: string, target: string, edge: Edge, via: readonly string[]): void => {
    if (source === target) return;
    const key = edgeKey(source, target);
    const known = merged.get(key);
    if (known === undefined) {
      merged.set(key, {
        source,
        target,
        shape: edge.shape,
        dtype: edge.dtype,
        count: 1,
        via: [...via],
      });
    } else {
      known.count += 1;
      known.via = union(known.via, via);
    }
    for (const id of via) {
      if (!markers.has(id)) markers.set(id, key);
      if (!downstream.has(id)) downstream.set(id, target);
    }
  };
  for (const edge of graph.edges) {
    if (hidden.has(edge.target)) continue;
    const target = representative.get(edge.target);
    if (target === undefined) continue;
    if (!hidden.has(edge.source)) {
      const source = representative.get(edge.source);
      if (source !== undefined) add(source, target, edge, []);
      continue;
    }
    const feeding = sources.get(edge.source) ?? new Map<string, string[]>();
    if (feeding.size > 0) {
      for (const [box, via] of feeding) add(box, target, edge, via);
      continue;
    }
    const chain = chains.get(edge.source) ?? [edge.source];
    const key = `${chain[0]}\u0000${target}`;
    const lead = leads.get(key);
    if (lead === undefined) {
      leads.set(key, {
        chain,
        consumer: target,
        edge: { source: "", target, shape: edge.shape, dtype: edge.dtype, count: 1, via: [] },
      });
    } else {
      lead.edge.count += 1;
    }
  }
  // a bookkeeping node that feeds nothing drawn: shown by the box that feeds it
  const led = new Set([...leads.values()].flatMap((l) => l.chain));
  for (const id of hidden) {
    if (markers.has(id) || led.has(id)) continue;
    const box = sources.get(id)?.keys().next().value;
    if (box !== undefined) {
      markers.set(id, box);
      downstream.set(id, box);
    }
  }
  return { edges: [...merged.values()], markers, leads: [...leads.values()], downstream };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const result = [...a];
  for (const id of b) if (!result.includes(id)) result.push(id);
  return result;
}
