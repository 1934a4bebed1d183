import { describe, expect, it } from "vitest";
import { defaultExpanded } from "../../js/graph/expansion";
import { Hierarchy, reveal, visible } from "../../js/graph/visible";
import type { Edge, GraphNode, Group, Payload } from "../../js/types";
import { goldenPayload } from "./fake-model";

/** input → blocks.{0,1,2} (each: fc → act, identical) → head → output */
function stack(): Payload {
  const node = (
    id: string,
    parent: string | null,
    kind: GraphNode["kind"] = "module",
  ): GraphNode => ({
    id,
    kind,
    op: kind === "module" ? "Linear" : kind,
    label: id,
    parent,
    module_path: id,
    attrs: {},
    repr: "",
    inputs: [],
    outputs: [{ shape: [1, 8], dtype: "float32" }],
    stats: {},
    uncounted: [],
  });
  const group = (
    id: string,
    parent: string | null,
    children: string[],
    repeatOf?: string,
  ): Group => ({
    id,
    op: "Block",
    label: id,
    parent,
    children,
    stats: {},
    ...(repeatOf === undefined ? {} : { repeat_of: repeatOf }),
  });
  const edge = (source: string, target: string): Edge => ({
    source,
    target,
    shape: [1, 8],
    dtype: "float32",
  });
  const blocks = [0, 1, 2].map((i) => `blocks.${i}`);
  return {
    schema: 1,
    model: {
      name: "Stack",
      input_shapes: [[1, 8]],
      device: "meta",
      dtype: "float32",
      torch_version: "",
    },
    columns: [],
    nodes: [
      node("input", null, "input"),
      ...blocks.flatMap((b) => [node(`${b}.fc`, b), node(`${b}.act`, b)]),
      node("head", null),
      node("output", null, "output"),
    ],
    groups: [
      group("blocks", null, blocks),
      group("blocks.0", "blocks", ["blocks.0.fc", "blocks.0.act"]),
      group("blocks.1", "blocks", ["blocks.1.fc", "blocks.1.act"], "blocks.0"),
      group("blocks.2", "blocks", ["blocks.2.fc", "blocks.2.act"], "blocks.0"),
    ],
    edges: [
      edge("input", "blocks.0.fc"),
      ...blocks.flatMap((b, i) => [
        edge(`${b}.fc`, `${b}.act`),
        edge(`${b}.act`, i < 2 ? `blocks.${i + 1}.fc` : "head"),
      ]),
      edge("input", "head"),
      edge("head", "output"),
    ],
    roots: ["input", "blocks", "head", "output"],
    totals: {},
  };
}

const ids = (graph: ReturnType<typeof visible>): string[] => graph.items.map((i) => i.id);
const edges = (graph: ReturnType<typeof visible>): string[] =>
  graph.edges.map((e) => `${e.source}>${e.target}${e.count > 1 ? `×${e.count}` : ""}`);

describe("visible", () => {
  const hierarchy = new Hierarchy(stack());

  it("shows a collapsed group as one box that stands for everything inside it", () => {
    const graph = visible(hierarchy, []);
    expect(ids(graph)).toEqual(["input", "blocks", "head", "output"]);
    expect(graph.containers).toEqual([]);
    expect(graph.roots).toEqual(["input", "blocks", "head", "output"]);
    expect(edges(graph)).toEqual(["input>blocks", "blocks>head", "input>head", "head>output"]);
    expect(graph.representative.get("blocks.1.act")).toBe("blocks");
    expect(graph.items[1]?.kind).toBe("group");
  });

  it("draws an expanded group as a container of its visible children", () => {
    const graph = visible(hierarchy, ["blocks"]);
    expect(ids(graph)).toEqual(["input", "blocks.0", "blocks.1", "blocks.2", "head", "output"]);
    expect(graph.roots).toEqual(["input", "blocks", "head", "output"]);
    expect(graph.containers.map((c) => [c.id, c.children])).toEqual([
      ["blocks", ["blocks.0", "blocks.1", "blocks.2"]],
    ]);
    expect(graph.items.filter((i) => i.parent === "blocks")).toHaveLength(3);
    expect(edges(graph)).toEqual([
      "input>blocks.0",
      "blocks.0>blocks.1",
      "blocks.1>blocks.2",
      "blocks.2>head",
      "input>head",
      "head>output",
    ]);
  });

  it("folds a run of identical collapsed blocks into one ×N box", () => {
    const graph = visible(hierarchy, ["blocks"], { fold: true });
    expect(ids(graph)).toEqual(["input", "blocks.0×3", "head", "output"]);
    const fold = graph.items[1];
    expect(fold?.kind).toBe("fold");
    expect(fold?.members).toEqual(["blocks.0", "blocks.1", "blocks.2"]);
    expect(edges(graph)).toEqual([
      "input>blocks.0×3",
      "blocks.0×3>head",
      "input>head",
      "head>output",
    ]);
  });

  it("an expanded block splits the run; the rest still fold from where they restart", () => {
    const graph = visible(hierarchy, ["blocks", "blocks.1"], { fold: true });
    expect(ids(graph)).toEqual([
      "input",
      "blocks.0",
      "blocks.1.fc",
      "blocks.1.act",
      "blocks.2",
      "head",
      "output",
    ]);
    expect(graph.containers.map((c) => c.id)).toEqual(["blocks", "blocks.1"]);
    expect(graph.items.find((i) => i.id === "blocks.1.fc")?.parent).toBe("blocks.1");
  });

  it("places the top level in the order the tracer recorded, not the order of the node list", () => {
    const payload = stack();
    payload.roots = ["input", "head", "blocks", "output"];
    expect(visible(new Hierarchy(payload), []).roots).toEqual([
      "input",
      "head",
      "blocks",
      "output",
    ]);
  });

  it("merges parallel edges and counts them", () => {
    const payload = stack();
    payload.edges.push({ source: "blocks.0.fc", target: "head", shape: [1, 8], dtype: "float32" });
    const graph = visible(new Hierarchy(payload), []);
    expect(edges(graph)).toContain("blocks>head×2");
  });

  it("reveals a nested node by expanding its ancestors", () => {
    expect(reveal(hierarchy, [], "blocks.1.act").sort()).toEqual(["blocks", "blocks.1"]);
    expect(reveal(hierarchy, ["blocks"], "head")).toEqual(["blocks"]);
    const graph = visible(hierarchy, reveal(hierarchy, [], "blocks.2.fc"));
    expect(ids(graph)).toContain("blocks.2.fc");
  });

  it("opens at the deepest level that fits the budget", () => {
    const boxes = (n: number) => ({ boxes: n, ranks: 100 });
    expect(defaultExpanded(hierarchy, boxes(100)).sort()).toEqual([
      "blocks",
      "blocks.0",
      "blocks.1",
      "blocks.2",
    ]);
    // top level: 4 boxes; blocks expanded and folded: still 4; every block open: 9
    expect(defaultExpanded(hierarchy, boxes(5))).toEqual(["blocks"]);
    expect(defaultExpanded(hierarchy, boxes(3))).toEqual([]);
  });

  it("maps every node of the golden payload to a visible box", () => {
    const golden = new Hierarchy(goldenPayload());
    for (const expanded of [[], ["blocks"], ["blocks", "blocks.0", "blocks.1"]]) {
      const graph = visible(golden, expanded);
      const shown = new Set(graph.items.map((i) => i.id));
      for (const node of goldenPayload().nodes) {
        expect(shown.has(graph.representative.get(node.id) ?? "")).toBe(true);
      }
    }
  });
});
