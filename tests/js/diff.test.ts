import { describe, expect, it } from "vitest";
import {
  boxStatus,
  deltaScale,
  onlyDifferences,
  rollUp,
  rollUpText,
  shadingScale,
  sideBySide,
  signedCount,
  statusCounts,
} from "../../js/graph/diff";
import { treeRows } from "../../js/graph/rows";
import { Hierarchy, visible } from "../../js/graph/visible";
import type { DiffSection, Payload } from "../../js/types";
import { SchemaError, validatePayload } from "../../js/validate";
import golden from "../golden/diff_v1.json";
import { mod, payload } from "./builders";

/** The golden diff (tests/test_diff_payload.py): three blocks against two, one retuned, a wrapper. */
function diffPayload(): Payload {
  return structuredClone(golden) as unknown as Payload;
}

function section(payload: Payload): DiffSection {
  if (payload.diff === undefined) throw new Error("the golden payload lost its diff section");
  return payload.diff;
}

describe("the diff section of the wire contract", () => {
  it("accepts the golden diff payload made by Python", () => {
    const payload = diffPayload();
    expect(validatePayload(payload)).toBe(payload);
    expect(section(payload).names).toEqual(["three blocks", "two blocks"]);
  });

  it("names a missing or unknown status", () => {
    const missing = diffPayload();
    delete section(missing).items.stem;
    expect(() => validatePayload(missing)).toThrow(
      new SchemaError('diff.items: no status for ["stem"]'),
    );
    const wrong = diffPayload();
    Object.assign(section(wrong).items.stem ?? {}, { status: "moved" });
    expect(() => validatePayload(wrong)).toThrow(
      'diff.items["stem"].status: "moved" is not one of',
    );
  });
});

describe("roll-ups", () => {
  it("count what a collapsed group holds that differs", () => {
    const payload = diffPayload();
    const hierarchy = new Hierarchy(payload);
    const roll = rollUp(hierarchy, section(payload), ["blocks"]);
    // blocks.1.act changed; blocks.2 (3 nodes) removed as one block
    expect(roll).toMatchObject({
      changed: 1,
      removedBlocks: 1,
      removed: 0,
      added: 0,
      addedBlocks: 0,
    });
    expect(roll.delta).toBe(payload.groups.find((g) => g.id === "blocks")?.stats.delta_flops);
    expect(rollUpText(roll)).toBe("1 changed · −1 block · −75.26 KFLOPs");
  });

  it("fold blocks of different statuses into one line", () => {
    const payload = diffPayload();
    // make the retuned block a repeat too, so the three fold into one ×3 box
    Object.assign(payload.groups.find((g) => g.id === "blocks.1") ?? {}, { repeat_of: "blocks.0" });
    const hierarchy = new Hierarchy(payload);
    const shown = visible(hierarchy, ["blocks"], { fold: true });
    const fold = shown.items.find((i) => i.kind === "fold");
    expect(fold?.members).toEqual(["blocks.0", "blocks.1", "blocks.2"]);
    if (fold === undefined) return;
    expect(boxStatus(section(payload), fold)).toBe("changed");
    const roll = rollUp(hierarchy, section(payload), fold.members ?? []);
    expect(rollUpText(roll)).toBe("1 changed · −1 block · −75.26 KFLOPs");
  });

  it("do not count a wrapper as a block, nor anything when nothing differs", () => {
    const payload = diffPayload();
    const hierarchy = new Hierarchy(payload);
    const roll = rollUp(hierarchy, section(payload), ["wrapped"]);
    expect(roll).toMatchObject({ changed: 0, addedBlocks: 0, added: 0 });
    expect(rollUpText(roll)).toBe("");
    expect(rollUpText(rollUp(hierarchy, section(payload), ["blocks.0"]))).toBe("");
  });

  it("count added blocks and loose layers apart", () => {
    const payload = diffPayload();
    const items = section(payload).items;
    // pretend blocks.0 were new and its conv alone had been added to blocks.1
    for (const id of [
      "blocks.0",
      "blocks.0.conv",
      "blocks.0.act",
      "blocks.0.add",
      "blocks.1.conv",
    ]) {
      Object.assign(items[id] ?? {}, { status: "added" });
    }
    const roll = rollUp(new Hierarchy(payload), section(payload), ["blocks"]);
    expect(roll).toMatchObject({ addedBlocks: 1, added: 1, changed: 1, removedBlocks: 1 });
    expect(rollUpText({ ...roll, delta: 1.2e9 })).toBe(
      "1 changed · +1 block · −1 block · +1 layer · +1.20 GFLOPs",
    );
  });
});

describe("box statuses and the key", () => {
  it("take a box's own status, a fold's when its blocks agree", () => {
    const payload = diffPayload();
    const shown = visible(new Hierarchy(payload), ["blocks", "blocks.1"], { fold: true });
    const status = (id: string): string | undefined => {
      const item = shown.items.find((i) => i.id === id);
      return item === undefined ? undefined : boxStatus(section(payload), item);
    };
    expect(status("blocks.1.act")).toBe("changed");
    expect(status("blocks.2")).toBe("removed");
    expect(status("wrapped")).toBe("added");
    expect(status("stem")).toBe("same");
    expect(statusCounts(section(payload))).toEqual({ same: 14, changed: 4, added: 1, removed: 4 });
  });
});

describe("the delta scale", () => {
  it("is signed, and log-spaced when deltas span decades", () => {
    const scale = deltaScale([-1000, 10, 0, undefined, 100000]);
    expect(scale.log).toBe(true);
    expect(scale.at(100000)).toBe(1);
    expect(scale.at(-1000)).toBeLessThan(0);
    expect(scale.at(10)).toBeCloseTo(0.15);
    expect(scale.at(0)).toBeNull();
    expect(deltaScale([0, undefined]).at(5)).toBeNull();
    const linear = deltaScale([-50, 100]);
    expect(linear.log).toBe(false);
    expect(linear.at(-50)).toBeCloseTo(-(0.15 + 0.85 * 0.5));
  });

  it("shades a signed statistic of a plain payload both ways (a mean, a minimum)", () => {
    const plain = payload([mod("a", "Linear")], [], []);
    const means = shadingScale(plain, "value_mean", [-0.4, 0.2, 0, undefined]);
    expect(means.at(-0.4)).toBe(-1); // the largest magnitude, on the cool side
    expect(means.at(0.2)).toBeCloseTo(0.15 + 0.85 * 0.5);
    expect(means.at(0)).toBeNull();
    expect(means.min).toBe(-0.4);
    const sizes = shadingScale(plain, "macs", [10, 20]); // nothing below zero: the plain scale
    expect(sizes.min).toBe(10);
    expect(sizes.at(10)).toBeCloseTo(0.1);
  });
});

describe("only differences", () => {
  it("keeps the rows that differ and the groups around them", () => {
    const payload = diffPayload();
    const hierarchy = new Hierarchy(payload);
    const shown = visible(hierarchy, ["blocks", "blocks.1", "wrapped"], { fold: true });
    const rows = treeRows(shown, hierarchy);
    const folds = new Map(shown.items.map((i) => [i.id, i.members]));
    const kept = onlyDifferences(rows, section(payload), (id) => folds.get(id)).map((r) => r.id);
    expect(kept).toEqual([
      "blocks",
      "blocks.1",
      "blocks.1.act",
      "blocks.2",
      "wrapped",
      "classifier",
    ]);
  });
});

describe("both sides of a pair", () => {
  it("lists a's and b's numbers with the delta, then what else changed", () => {
    const payload = diffPayload();
    const act = sideBySide(payload, "blocks.1.act");
    expect(act.find((l) => l.label === "negative_slope")).toEqual({
      label: "negative_slope",
      a: "0.01",
      b: "0.2",
      delta: "",
    });
    const removed = sideBySide(payload, "blocks.2.conv");
    expect(removed.find((l) => l.label === "Params")).toEqual({
      label: "Params",
      a: "584",
      b: "—",
      delta: "−584",
    });
    const renamed = sideBySide(payload, "classifier");
    expect(renamed.find((l) => l.label === "name")).toMatchObject({ a: "fc", b: "classifier" });
    expect(renamed.find((l) => l.label === "Params")).toMatchObject({
      a: "36",
      b: "36",
      delta: "",
    });
  });

  it("formats signed counts with their unit", () => {
    expect(signedCount(1.2e9, "FLOPs")).toBe("+1.20 GFLOPs");
    expect(signedCount(-512, "FLOPs")).toBe("−512 FLOPs");
  });
});
