import { describe, expect, it } from "vitest";
import {
  type Box,
  edgeKey,
  HEADER,
  type LayoutCache,
  layeredLayout,
  layoutInput,
  NODE_HEIGHT,
  NODE_WIDTH,
  stacked,
  transitiveReduction,
} from "../../js/graph/layout";
import { Hierarchy, visible } from "../../js/graph/visible";
import { goldenPayload } from "./fake-model";

const centre = (box: Box | undefined): [number, number] => [
  (box?.x ?? Number.NaN) + (box?.width ?? 0) / 2,
  (box?.y ?? Number.NaN) + (box?.height ?? 0) / 2,
];

function apart(a: Box, b: Box): boolean {
  return (
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
  );
}

function inside(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y + HEADER &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

describe("layeredLayout", () => {
  const hierarchy = new Hierarchy(goldenPayload());

  it("lays the flow downwards top-to-bottom and rightwards left-to-right", () => {
    const shown = visible(hierarchy, []);
    const tb = layeredLayout(layoutInput(shown), "TB");
    const [, inputY] = centre(tb.boxes.get("input"));
    const [, blocksY] = centre(tb.boxes.get("blocks"));
    const [, outputY] = centre(tb.boxes.get("output"));
    expect(inputY).toBeLessThan(blocksY);
    expect(blocksY).toBeLessThan(outputY);
    const lr = layeredLayout(layoutInput(shown), "LR");
    const [inputX] = centre(lr.boxes.get("input"));
    const [outputX] = centre(lr.boxes.get("output"));
    expect(inputX).toBeLessThan(outputX);
    expect(lr.width).toBeGreaterThan(lr.height);
    expect(tb.height).toBeGreaterThan(tb.width);
  });

  it("draws expanded groups as frames around their children, nested", () => {
    const shown = visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]);
    for (const orientation of ["TB", "LR"] as const) {
      const layout = layeredLayout(layoutInput(shown), orientation);
      const frame = (id: string): Box => layout.boxes.get(id) as Box;
      expect(inside(frame("blocks.0"), frame("blocks"))).toBe(true);
      expect(inside(frame("blocks.1"), frame("blocks"))).toBe(true);
      expect(inside(frame("blocks.0.conv"), frame("blocks.0"))).toBe(true);
      expect(apart(frame("blocks.0"), frame("blocks.1"))).toBe(true);
      expect(apart(frame("blocks"), frame("input"))).toBe(true);
      expect(frame("blocks.0.conv").width).toBe(NODE_WIDTH);
      expect(frame("blocks.0.conv").height).toBe(NODE_HEIGHT);
      for (const box of layout.boxes.values()) {
        expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
        expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
      }
    }
  });

  it("keeps sibling boxes apart", () => {
    const shown = visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]);
    const layout = layeredLayout(layoutInput(shown), "TB");
    const top = ["input", "blocks", "add#1", "output"].map((id) => layout.boxes.get(id) as Box);
    for (const [i, a] of top.entries()) {
      for (const b of top.slice(i + 1)) expect(apart(a, b)).toBe(true);
    }
  });
});

describe("layout reuse, dense blocks and routes", () => {
  /** A chain of `n` identical blocks, each holding a chain a → b → c. */
  function repeatedBlocks(n: number): Parameters<typeof layeredLayout>[0] {
    const scopes: [string, string[]][] = [];
    const edges: [string, string][] = [];
    let previous = "input";
    for (let i = 0; i < n; i += 1) {
      const ids = ["a", "b", "c"].map((s) => `block${i}.${s}`);
      scopes.push([`block${i}`, ids]);
      edges.push(
        [previous, ids[0] as string],
        [ids[0] as string, ids[1] as string],
        [ids[1] as string, ids[2] as string],
      );
      previous = ids[2] as string;
    }
    return { roots: ["input", ...scopes.map(([id]) => id)], scopes, edges, tall: [], small: [] };
  }

  it("lays out identical blocks once and places them alike", () => {
    const cache: LayoutCache = new Map();
    const layout = layeredLayout(repeatedBlocks(24), "TB", cache);
    // one arrangement for the 23 block interiors with a port out to the next block, one for the
    // last (no edge leaves it), one for the top level
    expect(cache.size).toBe(3);
    const relative = (i: number, s: string): [number, number] => {
      const frame = layout.boxes.get(`block${i}`) as Box;
      const box = layout.boxes.get(`block${i}.${s}`) as Box;
      return [box.x - frame.x, box.y - frame.y];
    };
    for (const s of ["a", "b", "c"]) expect(relative(22, s)).toEqual(relative(0, s));
    // and the blocks follow each other downwards
    expect((layout.boxes.get("block1") as Box).y).toBeGreaterThan(
      (layout.boxes.get("block0") as Box).y,
    );
  });

  it("reuses unchanged groups when the layout is asked again", () => {
    const cache: LayoutCache = new Map();
    const first = layeredLayout(repeatedBlocks(3), "TB", cache);
    const size = cache.size;
    const again = layeredLayout(repeatedBlocks(3), "TB", cache);
    expect(cache.size).toBe(size);
    expect([...again.boxes.values()]).toEqual([...first.boxes.values()]);
    layeredLayout(repeatedBlocks(3), "LR", cache);
    expect(cache.size).toBe(2 * size); // the other orientation is a different arrangement
  });

  it("routes every edge from the source's exit port to the target's entry port", () => {
    const input = repeatedBlocks(2);
    for (const orientation of ["TB", "LR"] as const) {
      const layout = layeredLayout(input, orientation);
      for (const [source, target] of input.edges) {
        const route = layout.routes.get(edgeKey(source, target)) as number[];
        const from = layout.boxes.get(source) as Box;
        const to = layout.boxes.get(target) as Box;
        const exit =
          orientation === "TB"
            ? [from.x + from.width / 2, from.y + from.height]
            : [from.x + from.width, from.y + from.height / 2];
        const entry =
          orientation === "TB" ? [to.x + to.width / 2, to.y] : [to.x, to.y + to.height / 2];
        expect(route.slice(0, 2)).toEqual(exit);
        expect(route.slice(-2)).toEqual(entry);
      }
    }
  });

  it("drops only the edges a longer path implies", () => {
    // DenseNet-like: every node feeds every later one; only the chain is needed to rank them
    const edges: [number, number][] = [];
    for (let i = 0; i < 6; i += 1) for (let j = i + 1; j < 6; j += 1) edges.push([i, j]);
    expect(transitiveReduction(6, edges)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    // a diamond has no implied edge; a cycle is left alone
    const diamond: [number, number][] = [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
    ];
    expect(transitiveReduction(4, diamond)).toEqual(diamond);
    const cycle: [number, number][] = [
      [0, 1],
      [1, 0],
      [0, 2],
    ];
    expect(transitiveReduction(3, cycle)).toEqual(cycle);
  });
});

describe("groups too big for dagre", () => {
  const box = { width: 200, height: 56 };

  it("rank by longest path: a chain is one column top to bottom, one row left to right", () => {
    const chain: [number, number][] = Array.from({ length: 999 }, (_, i) => [i, i + 1]);
    const sizes = Array.from({ length: 1000 }, () => box);
    const tb = stacked("TB", sizes, chain);
    for (let i = 1; i < 1000; i += 1) {
      expect(tb.at[2 * i]).toBe(tb.at[0]);
      expect(tb.at[2 * i + 1]).toBe((tb.at[2 * i - 1] as number) + 56 + 40);
    }
    expect([tb.width, tb.height]).toEqual([200, 1000 * 56 + 999 * 40]);
    const lr = stacked("LR", sizes, chain);
    expect(lr.at[2 * 999]).toBe(999 * (200 + 40));
    expect(lr.at[2 * 999 + 1]).toBe(0);
  });

  it("puts parallel branches side by side, in call order, centred", () => {
    // 0 → 1, 0 → 2, 1 → 3, 2 → 3, and 0 → 3 directly: 3 still comes after both branches
    const edges: [number, number][] = [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
      [0, 3],
    ];
    const at = stacked("TB", [box, box, box, box], edges).at;
    expect(at[3]).toBe(at[5]); // 1 and 2 share a rank
    expect(at[2]).toBeLessThan(at[4] as number); // in call order
    expect(at[7]).toBeGreaterThan(at[3] as number); // 3 below them
    expect((at[0] as number) + 100).toBe(((at[2] as number) + (at[4] as number) + 200) / 2); // centred
  });

  it("lays out a stack of a thousand blocks without dagre", () => {
    const input = {
      roots: Array.from({ length: 1000 }, (_, i) => `n${i}`),
      scopes: [],
      edges: Array.from({ length: 999 }, (_, i): [string, string] => [`n${i}`, `n${i + 1}`]),
      tall: [],
      small: [],
    };
    const layout = layeredLayout(input, "TB");
    const ys = input.roots.map((id) => (layout.boxes.get(id) as Box).y);
    expect(ys.every((y, i) => i === 0 || y > (ys[i - 1] as number))).toBe(true);
  });
});
