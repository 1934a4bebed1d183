import { describe, expect, it } from "vitest";
import type { Row } from "../../js/graph/rows";
import type { Store } from "../../js/store";
import { rowKeyActions } from "../../js/views/table-keys";

const row = (id: string, toggle: Row["toggle"], parent: string | null = null): Row => ({
  id,
  select: `${id}!`,
  kind: toggle === null ? "module" : "group",
  parent,
  depth: parent === null ? 0 : 1,
  op: "Conv2d",
  label: id,
  path: id,
  stats: {},
  toggle,
});

/** A store that records what the keys asked of it. */
function recorder(): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const store = {
    select: (id: string) => calls.push(`select ${id}`),
    toggle: (id: string) => calls.push(`toggle ${id}`),
  } as unknown as Store;
  return { store, calls };
}

const ROWS = [
  row("stem", null),
  row("blocks", "collapse"),
  row("blocks.0", "expand", "blocks"),
  row("head", null),
];

function press(index: number, ...keys: string[]): string[] {
  const { store, calls } = recorder();
  for (const key of keys) rowKeyActions(ROWS, index, store)[key]?.();
  return calls;
}

describe("the table's keyboard", () => {
  it("moves the selection along the rows and stops at either end", () => {
    expect(press(1, "ArrowDown", "ArrowUp")).toEqual(["select blocks.0!", "select stem!"]);
    expect(press(3, "ArrowDown")).toEqual(["select head!"]);
    expect(press(0, "ArrowUp")).toEqual(["select stem!"]);
    expect(press(2, "Home", "End")).toEqual(["select stem!", "select head!"]);
  });

  it("starts from the first row when nothing is selected", () => {
    expect(press(-1, "ArrowDown")).toEqual(["select stem!"]);
    expect(press(-1, "ArrowUp")).toEqual(["select stem!"]);
  });

  it("opens with right, closes with left, and goes to the parent from a closed row", () => {
    expect(press(2, "ArrowRight")).toEqual(["toggle blocks.0"]);
    expect(press(1, "ArrowRight")).toEqual([]);
    expect(press(1, "ArrowLeft")).toEqual(["toggle blocks"]);
    expect(press(2, "ArrowLeft")).toEqual(["select blocks"]);
    expect(press(0, "ArrowLeft")).toEqual([]);
  });

  it("toggles a group on Enter and leaves a plain row alone", () => {
    expect(press(1, "Enter")).toEqual(["toggle blocks"]);
    expect(press(0, "Enter")).toEqual([]);
    expect(rowKeyActions(ROWS, 0, recorder().store).Tab).toBeUndefined();
  });
});
