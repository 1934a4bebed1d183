import { describe, expect, it } from "vitest";
import { isBookkeeping } from "../../js/graph/bookkeeping";
import { budgetFor, defaultExpanded, ranks } from "../../js/graph/expansion";
import { edgeKey } from "../../js/graph/keys";
import { Hierarchy, visible } from "../../js/graph/visible";
import { decoder, edge, fn, group, io, mod, payload } from "./builders";

const edgesOf = (shown: ReturnType<typeof visible>): string[] =>
  shown.edges.map((e) => `${e.source}>${e.target}`).sort();

describe("bookkeeping ops", () => {
  it("are function nodes of the listed ops that count nothing", () => {
    expect(isBookkeeping(fn("v", "view"))).toBe(true);
    expect(isBookkeeping(fn("g", "getitem"))).toBe(true);
    expect(isBookkeeping(fn("a", "arange"))).toBe(true);
    // anything with a cost stays a box, whatever its op
    expect(isBookkeeping(fn("v", "view", null, { flops: 8 }))).toBe(false);
    expect(isBookkeeping(fn("a", "add"))).toBe(false);
    // concatenation is architecture (DenseNet, U-Net skips): kept on purpose
    expect(isBookkeeping(fn("c", "cat"))).toBe(false);
    expect(isBookkeeping({ ...fn("v", "view"), kind: "module" })).toBe(false);
    expect(isBookkeeping({ ...fn("v", "view"), error: "failed here" })).toBe(false);
  });

  it("ride on the edge they sit on, with the shape that reaches the next box", () => {
    const graph = payload(
      [
        io("input", "input"),
        mod("a", "Linear"),
        fn("view", "view"),
        fn("unsqueeze", "unsqueeze"),
        mod("b", "Linear"),
      ],
      [],
      [
        edge("input", "a"),
        edge("a", "view"),
        edge("view", "unsqueeze", [8]),
        edge("unsqueeze", "b", [1, 8, 1]),
      ],
    );
    const shown = visible(new Hierarchy(graph), []);
    expect(shown.items.map((i) => i.id)).toEqual(["input", "a", "b"]);
    expect(edgesOf(shown)).toEqual(["a>b", "input>a"]);
    const ab = shown.edges.find((e) => e.source === "a");
    expect(ab?.via).toEqual(["view", "unsqueeze"]);
    expect(ab?.shape).toEqual([1, 8, 1]);
    expect(shown.markers.get("view")).toBe(edgeKey("a", "b"));
    expect(shown.representative.get("unsqueeze")).toBe("b");
    // the switch draws them again
    const all = visible(new Hierarchy(graph), [], { bookkeeping: true });
    expect(all.items.map((i) => i.id)).toContain("view");
    expect(edgesOf(all)).toEqual(["a>view", "input>a", "unsqueeze>b", "view>unsqueeze"]);
    expect(all.markers.size).toBe(0);
  });

  it("with no input at all become a stub in front of the box they feed", () => {
    const graph = payload(
      [fn("arange", "arange"), fn("unsqueeze", "unsqueeze"), fn("add", "add", null, { flops: 64 })],
      [],
      [edge("arange", "unsqueeze"), edge("unsqueeze", "add")],
    );
    const shown = visible(new Hierarchy(graph), []);
    const stub = shown.items.find((i) => i.kind === "stub");
    expect(stub?.label).toBe("arange → unsqueeze");
    expect(stub?.of).toBe("arange");
    expect(shown.roots).toEqual([stub?.id, "add"]);
    expect(edgesOf(shown)).toEqual([`${stub?.id}>add`]);
    expect(shown.markers.get("arange")).toBe(stub?.id);
    expect(shown.representative.get("unsqueeze")).toBe(stub?.id);
  });

  it("that feed nothing drawn are shown by the box that feeds them", () => {
    const graph = payload([mod("a", "Linear"), fn("view", "view")], [], [edge("a", "view")]);
    const shown = visible(new Hierarchy(graph), []);
    expect(shown.items.map((i) => i.id)).toEqual(["a"]);
    expect(shown.markers.get("view")).toBe("a");
  });
});

describe("broadcast sources", () => {
  const open = (n: number): string[] => Array.from({ length: n }, (_, i) => `layers.${i}`);

  it("a side input read by every block keeps one edge and gets a stub at each other block", () => {
    const hierarchy = new Hierarchy(decoder(6));
    const shown = visible(hierarchy, open(6));
    const fromRotary = shown.edges.filter((e) => e.source === "rotary");
    expect(fromRotary.map((e) => e.target)).toEqual(["layers.0.attn"]);
    const stubs = shown.items.filter((i) => i.kind === "stub" && i.of === "rotary");
    expect(stubs.map((s) => s.parent)).toEqual(open(6).slice(1));
    expect(stubs.every((s) => s.of === "rotary" && s.label === "rotary")).toBe(true);
    for (const stub of stubs) {
      expect(shown.edges.filter((e) => e.source === stub.id).map((e) => e.target)).toEqual([
        `${stub.parent}.attn`,
      ]);
    }
    // without the rule: six long edges from one box
    const plain = visible(hierarchy, open(6), { stubs: false });
    expect(plain.edges.filter((e) => e.source === "rotary")).toHaveLength(6);
  });

  it("the main path keeps dense edges into blocks that are not repeats (DenseNet)", () => {
    const nodes = [io("input", "input"), mod("stem", "Conv")];
    const groups = [];
    const edges = [edge("input", "stem")];
    for (let i = 0; i < 5; i += 1) {
      nodes.push(fn(`l${i}.cat`, "cat", `l${i}`), mod(`l${i}.conv`, "Conv", `l${i}`));
      groups.push(group(`l${i}`, "DenseLayer", [`l${i}.cat`, `l${i}.conv`]));
      edges.push(edge("stem", `l${i}.cat`), edge(`l${i}.cat`, `l${i}.conv`));
      for (let j = 0; j < i; j += 1) edges.push(edge(`l${j}.conv`, `l${i}.cat`));
    }
    const layers = ["l0", "l1", "l2", "l3", "l4"];
    const dense = visible(new Hierarchy(payload(nodes, groups, edges)), layers);
    expect(dense.items.some((i) => i.kind === "stub")).toBe(false);
    expect(dense.edges.filter((e) => e.source === "stem")).toHaveLength(5);
    // the same wiring into repeated blocks is a broadcast, even on the main path
    const repeated = groups.map((g, i) => (i > 0 ? { ...g, repeat_of: "l0" } : g));
    const shown = visible(new Hierarchy(payload(nodes, repeated, edges)), layers);
    expect(shown.edges.filter((e) => e.source === "stem")).toHaveLength(1);
  });
});

describe("the first view", () => {
  it("opens as deep as the box and rank budgets allow, folding repeats", () => {
    const hierarchy = new Hierarchy(decoder(12));
    // twelve open layers are a chain of 28 boxes in 12 frames: closed, they fold into one box
    expect(defaultExpanded(hierarchy)).toEqual([]);
    const first = visible(hierarchy, [], { fold: true });
    expect(first.items.filter((i) => i.kind === "fold").map((i) => i.id)).toEqual(["layers.0×12"]);
    // a budget that allows them opens them all
    expect(defaultExpanded(hierarchy, { boxes: 100, ranks: 40 })).toHaveLength(12);
  });

  it("lets a taller widget open a longer chain, within bounds", () => {
    // 760 px × 0.7 for the diagram, 88 units a rank, names legible down to zoom 0.38
    expect(budgetFor(760).ranks).toBe(Math.floor((760 * 0.7) / (88 * 0.38)));
    expect(budgetFor(1000).ranks).toBeGreaterThan(budgetFor(760).ranks);
    expect(budgetFor(100).ranks).toBe(8);
    expect(budgetFor(10_000).ranks).toBe(26);
  });

  it("leaves returned structures closed", () => {
    const graph = payload(
      [
        io("input", "input"),
        mod("a", "Linear"),
        io("output.logits", "output"),
        io("output.cache.k", "output", "output.cache"),
        io("output.cache.v", "output", "output.cache"),
      ],
      [
        group("output.cache", "DynamicCache", ["output.cache.k", "output.cache.v"], null, {
          kind: "structure",
        }),
      ],
      [
        edge("input", "a"),
        edge("a", "output.logits"),
        edge("a", "output.cache.k"),
        edge("a", "output.cache.v"),
      ],
    );
    const hierarchy = new Hierarchy(graph);
    expect(defaultExpanded(hierarchy)).toEqual([]);
    const shown = visible(hierarchy, []);
    expect(shown.items.filter((i) => i.node?.kind === "output").map((i) => i.id)).toEqual([
      "output.logits",
    ]);
    expect(shown.items.find((i) => i.id === "output.cache")?.kind).toBe("group");
  });

  it("counts ranks along the longest chain, plus the frames it is drawn in", () => {
    const graph = payload(
      [
        io("input", "input"),
        mod("b.x", "L", "b"),
        mod("b.y", "L", "b"),
        mod("side", "L"),
        io("output", "output"),
      ],
      [group("b", "Block", ["b.x", "b.y"])],
      [
        edge("input", "b.x"),
        edge("b.x", "b.y"),
        edge("b.y", "output"),
        edge("input", "side"),
        edge("side", "output"),
      ],
    );
    // input → b.x → b.y → output is 4 boxes long; one frame around b
    expect(ranks(visible(new Hierarchy(graph), ["b"]))).toBeCloseTo(4.5, 6);
    expect(ranks(visible(new Hierarchy(graph), []))).toBe(3);
  });
});
