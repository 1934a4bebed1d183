import { afterEach, describe, expect, it } from "vitest";
import type { Payload } from "../../js/types";
import { boxLook } from "../../js/views/style";
import golden from "../golden/diff_v1.json";
import { TEST_PALETTE } from "./builders";
import { click, FakeModel, node, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

const palette = TEST_PALETTE;

function diffModel(overrides: ConstructorParameters<typeof FakeModel>[0] = {}): FakeModel {
  return new FakeModel({ graph: structuredClone(golden) as unknown as Payload, ...overrides });
}

const rowIds = (el: HTMLElement): string[] =>
  [...el.querySelectorAll<HTMLElement>(".ts-row")].map((r) => r.dataset.rowId ?? "");

describe("the diff in the diagram", () => {
  it("gives each box its status and its colour, and the key says what they mean", () => {
    const { el } = renderWidget(
      diffModel({ expanded: ["blocks", "blocks.1", "blocks.2", "wrapped"] }),
    );
    expect(node(el, "blocks.1.act").status).toBe("changed");
    expect(node(el, "blocks.2.conv").status).toBe("removed");
    expect(node(el, "wrapped").status).toBe("added");
    expect(node(el, "stem").status).toBe("same");
    const look = (id: string) => boxLook(node(el, id), palette);
    expect(look("blocks.1.act").stroke).toBe(palette.changed);
    expect(look("blocks.2.conv")).toMatchObject({ stroke: palette.removed, dash: [5, 3] });
    expect(look("wrapped").stroke).toBe(palette.added);
    expect(look("stem").stroke).toBe(palette.module);
    const key = el.querySelector(".ts-diff-key");
    expect(key?.textContent).toContain("three blocks → two blocks");
    const entries = [...(key?.querySelectorAll<HTMLElement>(".ts-diff-entry") ?? [])];
    // nodes only: 3 in the removed block; the retuned activation; 12 the same
    expect(entries.map((e) => e.textContent)).toEqual([
      "0 added",
      "3 removed",
      "2 changed",
      "12 same",
    ]);
  });

  it("rolls up what a collapsed group holds on its last line", () => {
    // an expanded set that leaves both groups collapsed (an empty one opens the default view)
    const { el } = renderWidget(diffModel({ expanded: ["blocks.0"] }));
    const blocks = node(el, "blocks");
    expect(blocks.status).toBe("changed");
    expect(blocks.cost).toBe("1 changed · −1 block · −75.26 KFLOPs");
    expect(blocks.lines.at(-1)?.text).toBe("1 changed · −1 block · −75.26 KFLOPs");
    // a group holding nothing that differs keeps its cost line
    expect(node(el, "wrapped").cost).toContain("params");
  });

  it("shades a delta both ways: growth towards heat, savings towards cool", () => {
    const { el } = renderWidget(
      diffModel({ expanded: ["blocks", "blocks.2"], metric: "delta_flops" }),
    );
    const removed = node(el, "blocks.2.conv");
    expect(removed.strength).toBeLessThan(0);
    expect(node(el, "stem").strength).toBeNull();
    const legend = el.querySelector(".ts-legend-bar");
    expect(legend?.classList.contains("ts-legend-diverging")).toBe(true);
    expect(boxLook(removed, palette).fill).not.toBe(boxLook(node(el, "stem"), palette).fill);
  });
});

describe("the diff in the details panel", () => {
  it("shows both sides and the delta of the selected pair", () => {
    const model = diffModel({ expanded: ["blocks", "blocks.2"] });
    const { el } = renderWidget(model);
    click(el, "blocks.2.conv");
    expect(model.get("selected")).toBe("blocks.2.conv");
    const compared = el.querySelector<HTMLElement>(".ts-details-compare");
    expect(compared?.dataset.status).toBe("removed");
    const params = compared?.querySelector<HTMLElement>('tr[data-field="Params"]');
    expect([...(params?.children ?? [])].map((c) => c.textContent)).toEqual([
      "Params",
      "584",
      "—",
      "−584",
    ]);
    expect(compared?.textContent).toContain("in three blocks");
  });
});

describe("the diff in the table", () => {
  it("shows the delta columns signed, marks rows by status and filters to the differences", () => {
    const { el } = renderWidget(
      diffModel({ expanded: ["blocks", "blocks.1", "blocks.2", "wrapped"] }),
    );
    const line = [...el.querySelectorAll<HTMLElement>(".ts-row")].find(
      (r) => r.dataset.rowId === "blocks.2.conv",
    );
    expect(line?.dataset.status).toBe("removed");
    const delta = line?.querySelector<HTMLElement>('[data-key="delta_params"]');
    expect(delta?.textContent).toBe("−584");
    const all = rowIds(el);
    const toggle = el.querySelector<HTMLInputElement>('[data-action="only-differences"]');
    expect(toggle?.closest("label")?.hidden).toBe(false);
    toggle?.click();
    expect(rowIds(el)).toEqual([
      "blocks",
      "blocks.1",
      "blocks.1.act",
      "blocks.2",
      "blocks.2.conv",
      "blocks.2.act",
      "blocks.2.add",
      "wrapped",
      "classifier",
    ]);
    toggle?.click();
    expect(rowIds(el)).toEqual(all);
  });

  it("sorts by a delta column", () => {
    const { el } = renderWidget(diffModel({ expanded: ["blocks", "blocks.2"] }));
    el.querySelector<HTMLButtonElement>('[data-action="table-mode"]')?.click(); // flat
    const head = [...el.querySelectorAll<HTMLElement>(".ts-head-cell")].find(
      (c) => c.dataset.key === "delta_flops",
    );
    head?.click(); // biggest first (all three are savings); rows with no delta go last
    expect(rowIds(el).slice(0, 3)).toEqual(["blocks.2.act", "blocks.2.add", "blocks.2.conv"]);
    head?.click(); // ascending: the biggest saving (−74.24 K) first, then the two −512 in call order
    expect(rowIds(el).slice(0, 3)).toEqual(["blocks.2.conv", "blocks.2.act", "blocks.2.add"]);
  });

  it("hides the switch outside a diff", () => {
    const { el } = renderWidget(new FakeModel());
    const toggle = el.querySelector<HTMLInputElement>('[data-action="only-differences"]');
    expect(toggle?.closest("label")?.hidden).toBe(true);
    expect(el.querySelector(".ts-diff-key")).toBeNull();
    expect(
      probe(el)
        .all()
        .every((b) => b.status === null),
    ).toBe(true);
  });
});
