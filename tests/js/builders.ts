/** Small payloads built by hand for the pure front-end rules: every id, op and edge is explicit. */

import type { Edge, GraphNode, Group, Payload } from "../../js/types";
import type { Palette } from "../../js/views/palette";

export function fn(
  id: string,
  op: string,
  parent: string | null = null,
  stats: Record<string, number> = {},
): GraphNode {
  return {
    id,
    kind: "function",
    op,
    label: op,
    parent,
    module_path: "",
    attrs: {},
    repr: "",
    inputs: [{ shape: [1, 8], dtype: "float32" }],
    outputs: [{ shape: [1, 8], dtype: "float32" }],
    stats: { flops: 0, macs: 0, ...stats },
    uncounted: [],
  };
}

export function mod(id: string, op: string, parent: string | null = null): GraphNode {
  return {
    ...fn(id, op, parent, { flops: 100, params: 10 }),
    kind: "module",
    label: id,
    module_path: id,
  };
}

export function io(id: string, kind: "input" | "output", parent: string | null = null): GraphNode {
  return { ...fn(id, kind === "input" ? "Input" : "Output", parent), kind, label: id, stats: {} };
}

export function group(
  id: string,
  op: string,
  children: string[],
  parent: string | null = null,
  extra: Partial<Group> = {},
): Group {
  return { id, op, label: id, parent, children, stats: {}, ...extra };
}

export function edge(source: string, target: string, shape: number[] = [1, 8]): Edge {
  return { source, target, shape, dtype: "float32" };
}

/** A payload of these parts; its top-level order is call order (groups where their first node is). */
export function payload(nodes: GraphNode[], groups: Group[], edges: Edge[]): Payload {
  const parentOf = new Map<string, string | null>([
    ...groups.map((g): [string, string | null] => [g.id, g.parent]),
    ...nodes.map((n): [string, string | null] => [n.id, n.parent]),
  ]);
  const top = (id: string): string => {
    let at = id;
    for (let up = parentOf.get(at) ?? null; up !== null; up = parentOf.get(at) ?? null) at = up;
    return at;
  };
  const roots: string[] = [];
  for (const node of nodes) if (!roots.includes(top(node.id))) roots.push(top(node.id));
  return {
    roots,
    schema: 1,
    model: {
      name: "Hand",
      input_shapes: [[1, 8]],
      device: "meta",
      dtype: "float32",
      torch_version: "",
    },
    columns: [
      { key: "params", label: "Params", unit: "", kind: "count" },
      { key: "macs", label: "MACs", unit: "", kind: "count" },
      { key: "flops", label: "FLOPs", unit: "", kind: "count" },
    ],
    nodes,
    groups,
    edges,
    totals: {},
  };
}

/**
 * A decoder by hand: input → embed → `layers.0..n-1` (each: attn → mlp, identical) → norm → output,
 * with a side input (a rotary table made from `arange`, no edge from the input) read by every attn.
 */
export function decoder(layers: number): Payload {
  const nodes: GraphNode[] = [
    io("input", "input"),
    mod("embed", "Embedding"),
    fn("arange", "arange"),
  ];
  nodes.push(mod("rotary", "Rotary"));
  const groups: Group[] = [];
  const edges: Edge[] = [edge("input", "embed"), edge("arange", "rotary")];
  let previous = "embed";
  for (let i = 0; i < layers; i += 1) {
    const id = `layers.${i}`;
    nodes.push(mod(`${id}.attn`, "Attention", id), mod(`${id}.mlp`, "MLP", id));
    groups.push(
      group(id, "Layer", [`${id}.attn`, `${id}.mlp`], null, i > 0 ? { repeat_of: "layers.0" } : {}),
    );
    edges.push(
      edge(previous, `${id}.attn`),
      edge("rotary", `${id}.attn`),
      edge(`${id}.attn`, `${id}.mlp`),
    );
    previous = `${id}.mlp`;
  }
  nodes.push(mod("norm", "Norm"), io("output", "output"));
  edges.push(edge(previous, "norm"), edge("norm", "output"));
  return payload(nodes, groups, edges);
}

/** The light theme's colours, fixed, for tests that read what a look chose. */
export const TEST_PALETTE: Palette = {
  fg: "#111111",
  muted: "#666666",
  border: "#cccccc",
  nodeBg: "#f7f7f7",
  groupBg: "#eeeeee",
  module: "#5b8fc9",
  fn: "#9e9e9e",
  accent: "#1976d2",
  io: "#388e3c",
  heat: "#f57c00",
  cool: "#1e88e5",
  added: "#2e7d32",
  removed: "#c62828",
  changed: "#8e24aa",
  error: "#d32f2f",
  bg: "#ffffff",
  font: "sans-serif",
};
