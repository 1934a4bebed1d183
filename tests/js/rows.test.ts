import { describe, expect, it } from "vitest";
import { filterRows, flatRows, type Row, sortRows, treeRows } from "../../js/graph/rows";
import { Hierarchy, visible } from "../../js/graph/visible";
import type { Column } from "../../js/types";
import { goldenPayload } from "./fake-model";

const hierarchy = new Hierarchy(goldenPayload());
const ids = (rows: readonly Row[]): string[] => rows.map((r) => r.id);

describe("table rows from the hierarchy", () => {
  it("follows the diagram: expanded groups, their children indented, in call order", () => {
    const rows = treeRows(visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]), hierarchy);
    expect(ids(rows)).toEqual([
      "input",
      "blocks",
      "blocks.0",
      "blocks.0.conv",
      "blocks.1",
      "blocks.1.conv",
      "add#1",
      "output",
    ]);
    expect(rows.map((r) => r.depth)).toEqual([0, 0, 1, 2, 1, 2, 0, 0]);
    const blocks = rows[1] as Row;
    expect([blocks.kind, blocks.toggle, blocks.stats.params]).toEqual([
      "container",
      "collapse",
      260,
    ]);
  });

  it("shows a collapsed group as one row with its totals, and a fold as the sum of its blocks", () => {
    const collapsed = treeRows(visible(hierarchy, []), hierarchy);
    expect(ids(collapsed)).toEqual(["input", "blocks", "add#1", "output"]);
    expect(collapsed[1]?.toggle).toBe("expand");
    const folded = treeRows(visible(hierarchy, ["blocks"], { fold: true }), hierarchy);
    const fold = folded.find((r) => r.kind === "fold") as Row;
    // blocks.0 (112 params) and blocks.1 (148): the fold stands for both
    expect([fold.id, fold.select, fold.stats.params, fold.op]).toEqual([
      "blocks.0×2",
      "blocks.0",
      260,
      "Block ×2",
    ]);
  });

  it("lists every leaf in flat mode", () => {
    expect(ids(flatRows(hierarchy))).toEqual([
      "input",
      "blocks.0.conv",
      "blocks.1.conv",
      "add#1",
      "output",
    ]);
  });
});

describe("sorting", () => {
  const columns: Column[] = [
    { key: "macs", label: "MACs", unit: "", kind: "count" },
    { key: "bytes", label: "Bytes", unit: "B", kind: "bytes" },
    { key: "shape", label: "Shape", unit: "", kind: "shape" },
    { key: "note", label: "Note", unit: "", kind: "text" },
  ];
  const row = (
    id: string,
    stats: Row["stats"],
    parent: string | null = null,
    kind: Row["kind"] = "module",
  ): Row => ({
    id,
    select: id,
    kind,
    parent,
    depth: parent === null ? 0 : 1,
    op: id.toUpperCase(),
    label: id,
    path: id,
    stats,
    toggle: null,
  });
  const rows = [
    row("a", { macs: 5, bytes: 100, shape: [[2, 3]], note: "beta" }),
    row("b", { macs: 9, bytes: 100, shape: [[10]], note: "Alpha" }),
    row("c", { macs: 5, shape: [[1, 1, 1]], note: "gamma" }),
    row("d", { macs: 1, bytes: 7, shape: [[2], [2, 2]] }),
  ];

  it("sorts counts both ways, stable on ties, rows without a value last", () => {
    expect(ids(sortRows(rows, { key: "macs", descending: true }, columns))).toEqual([
      "b",
      "a",
      "c",
      "d",
    ]);
    expect(ids(sortRows(rows, { key: "macs", descending: false }, columns))).toEqual([
      "d",
      "a",
      "c",
      "b",
    ]);
    // bytes: a and b tie at 100 and keep call order; c has no value and goes last both ways
    expect(ids(sortRows(rows, { key: "bytes", descending: true }, columns))).toEqual([
      "a",
      "b",
      "d",
      "c",
    ]);
    expect(ids(sortRows(rows, { key: "bytes", descending: false }, columns))).toEqual([
      "d",
      "a",
      "b",
      "c",
    ]);
  });

  it("sorts shapes by element count and text case-insensitively", () => {
    // elements: a 6, b 10, c 1, d 2 + 4 = 6 (ties with a, after it)
    expect(ids(sortRows(rows, { key: "shape", descending: false }, columns))).toEqual([
      "c",
      "a",
      "d",
      "b",
    ]);
    expect(ids(sortRows(rows, { key: "note", descending: false }, columns))).toEqual([
      "b",
      "a",
      "c",
      "d",
    ]);
    expect(ids(sortRows(rows, { key: "label", descending: true }, columns))).toEqual([
      "d",
      "c",
      "b",
      "a",
    ]);
  });

  it("keeps a tree a tree: children sorted among themselves, under their group", () => {
    const tree = [
      row("g1", { macs: 3 }, null, "container"),
      row("x", { macs: 1 }, "g1"),
      row("y", { macs: 2 }, "g1"),
      row("z", { macs: 10 }),
    ];
    expect(ids(sortRows(tree, { key: "macs", descending: true }, columns))).toEqual([
      "z",
      "g1",
      "y",
      "x",
    ]);
  });
});

describe("filtering", () => {
  it("keeps matches and the groups around them, with the search's substring and regex rules", () => {
    const rows = treeRows(visible(hierarchy, ["blocks", "blocks.0", "blocks.1"]), hierarchy);
    expect(ids(filterRows(rows, "blocks.1.c"))).toEqual(["blocks", "blocks.1", "blocks.1.conv"]);
    expect(ids(filterRows(rows, "conv2d"))).toEqual([
      "blocks",
      "blocks.0",
      "blocks.0.conv",
      "blocks.1",
      "blocks.1.conv",
    ]);
    expect(ids(filterRows(rows, "/^add#\\d$/"))).toEqual(["add#1"]);
    // an invalid regex or an empty query filters nothing
    expect(filterRows(rows, "/(/")).toHaveLength(rows.length);
    expect(filterRows(rows, "  ")).toHaveLength(rows.length);
  });
});
