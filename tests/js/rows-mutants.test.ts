/** What the first mutation run of js/graph/rows.ts showed the table-row tests did not pin down. */
import { describe, expect, it } from "vitest";
import { filterRows, flatRows, type Row, sortRows, sortValue, treeRows } from "../../js/graph/rows";
import { Hierarchy, visible } from "../../js/graph/visible";
import type { Column } from "../../js/types";
import { edge, fn, group, io, mod, payload } from "./builders";

// input → outer { mid { inner { a } } } → b, and two identical blocks r.0, r.1 that fold
const graph = payload(
  [
    io("input", "input"),
    { ...mod("a", "Linear", "inner"), module_path: "outer.mid.inner.fc" },
    fn("b", "add", null, { flops: 8 }),
    mod("r.0.fc", "Linear", "r.0"),
    mod("r.1.fc", "Linear", "r.1"),
    io("output", "output"),
  ],
  [
    group("outer", "Outer", ["mid"], null, { label: "the outer block", stats: { params: 10 } }),
    group("mid", "Mid", ["inner"], "outer"),
    group("inner", "Inner", ["a"], "mid"),
    group("r.0", "Rep", ["r.0.fc"], null, { stats: { params: 10, output_shapes: [[1, 8]] } }),
    group("r.1", "Rep", ["r.1.fc"], null, {
      stats: { params: 12, output_shapes: [[1, 8]] },
      repeat_of: "r.0",
    }),
  ],
  [edge("input", "a"), edge("a", "b"), edge("b", "r.0.fc"), edge("r.0.fc", "r.1.fc")],
);
graph.columns.push({ key: "output_shapes", label: "Output shapes", unit: "", kind: "shape" });
const hierarchy = new Hierarchy(graph);
const byId = (rows: readonly Row[], id: string): Row => {
  const found = rows.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no row ${id}`);
  return found;
};

describe("tree rows, precisely", () => {
  it("indent containers by their own depth, however deep", () => {
    const rows = treeRows(visible(hierarchy, ["outer", "mid", "inner"]), hierarchy);
    expect(rows.slice(0, 5).map((r) => [r.id, r.depth])).toEqual([
      ["input", 0],
      ["outer", 0],
      ["mid", 1],
      ["inner", 2],
      ["a", 3],
    ]);
  });

  it("give a collapsed group its own kind, type, name and totals", () => {
    const outer = byId(treeRows(visible(hierarchy, []), hierarchy), "outer");
    expect(outer).toMatchObject({
      kind: "group",
      op: "Outer",
      label: "the outer block",
      path: "outer",
      stats: { params: 10 },
      toggle: "expand",
    });
  });

  it("name a fold by its first and last block, and add up only its numbers", () => {
    const rows = treeRows(visible(hierarchy, [], { fold: true }), hierarchy);
    const fold = byId(rows, "r.0×2");
    expect(fold).toMatchObject({
      kind: "fold",
      select: "r.0",
      op: "Rep ×2",
      label: "r.0 … r.1",
      path: "r.0 r.1",
      toggle: "expand",
    });
    expect(fold.stats).toEqual({ params: 22 });
  });

  it("leave out the stubs: they repeat a row shown elsewhere", () => {
    const stubbed = payload(
      [fn("arange", "arange"), fn("unsqueeze", "unsqueeze"), fn("add", "add", null, { flops: 64 })],
      [],
      [edge("arange", "unsqueeze"), edge("unsqueeze", "add")],
    );
    const tree = new Hierarchy(stubbed);
    const shown = visible(tree, []);
    expect(shown.items.some((i) => i.kind === "stub")).toBe(true);
    expect(treeRows(shown, tree).map((r) => r.id)).toEqual(["add"]);
  });

  it("match a node by its module path, or by its id when it has none", () => {
    const flat = flatRows(hierarchy);
    expect(byId(flat, "a").path).toBe("outer.mid.inner.fc");
    expect(byId(flat, "b").path).toBe("b");
  });
});

describe("sorting values, precisely", () => {
  const columns: Column[] = [
    { key: "flops", label: "FLOPs", unit: "", kind: "count" },
    { key: "output_shapes", label: "Output shapes", unit: "", kind: "shape" },
    { key: "note", label: "Note", unit: "", kind: "text" },
  ];
  const row = (stats: Row["stats"], op = "Conv2D", label = "Layer.One"): Row => ({
    id: op,
    select: op,
    kind: "module",
    parent: null,
    depth: 0,
    op,
    label,
    path: op,
    stats,
    toggle: null,
  });

  it("reads names lower-cased, shapes by element count, text lower-cased, numbers as they are", () => {
    expect(sortValue(row({}), "op", columns)).toBe("conv2d");
    expect(sortValue(row({}), "label", columns)).toBe("layer.one");
    expect(sortValue(row({ output_shapes: [[2, 3], [4]] }), "output_shapes", columns)).toBe(10);
    expect(sortValue(row({ note: "ABC" }), "note", columns)).toBe("abc");
    // a list in a text column is text
    expect(sortValue(row({ note: [[2, 3]] }), "note", columns)).toBe("2,3");
    expect(sortValue(row({ flops: 7 }), "flops", columns)).toBe(7);
    // a statistic no column declares still sorts by its value
    expect(sortValue(row({ extra: 5 }), "extra", columns)).toBe(5);
  });

  it("has no value for a missing, null or empty statistic", () => {
    expect(sortValue(row({}), "flops", columns)).toBeNull();
    expect(sortValue(row({ flops: null }), "flops", columns)).toBeNull();
    expect(sortValue(row({ note: "" }), "note", columns)).toBeNull();
  });

  it("sorts by type, and numbers before text when a column holds both", () => {
    const rows = [row({}, "b-op"), row({}, "A-op"), row({}, "c-op")];
    const byOp = sortRows(rows, { key: "op", descending: false }, columns).map((r) => r.op);
    expect(byOp).toEqual(["A-op", "b-op", "c-op"]);
    const mixed = [row({ note: "abc" }, "x"), row({ note: 10 }, "y"), row({ note: "b" }, "z")];
    const up = sortRows(mixed, { key: "note", descending: false }, columns).map((r) => r.op);
    expect(up).toEqual(["y", "x", "z"]);
    const down = sortRows([...mixed].reverse(), { key: "note", descending: true }, columns);
    expect(down.map((r) => r.op)).toEqual(["z", "x", "y"]);
  });

  it("keeps rows without values in call order, last, in either direction", () => {
    const rows = [row({}, "p"), row({ flops: 1 }, "q"), row({}, "r"), row({}, "s")];
    for (const descending of [false, true]) {
      const sorted = sortRows(rows, { key: "flops", descending }, columns).map((r) => r.op);
      expect(sorted).toEqual(["q", "p", "r", "s"]);
    }
  });

  it("keeps an open group whose children are all filtered away", () => {
    const open = { ...row({ flops: 3 }, "g"), id: "g", kind: "container" as const };
    const sorted = sortRows([open], { key: "flops", descending: false }, columns);
    expect(sorted).toEqual([open]);
  });
});

describe("filtering, precisely", () => {
  it("keeps a match whose parent row is not listed", () => {
    const rows = treeRows(visible(hierarchy, ["outer", "mid", "inner"]), hierarchy);
    const orphaned = rows.filter((r) => r.id !== "inner");
    expect(filterRows(orphaned, "outer.mid.inner.fc").map((r) => r.id)).toEqual(["a"]);
  });
});
