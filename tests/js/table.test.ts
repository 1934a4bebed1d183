import { afterEach, describe, expect, it } from "vitest";
import { ROW_HEIGHT } from "../../js/views/table";
import { chainPayload, click, FakeModel, node, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

const texts = (el: HTMLElement, selector: string): string[] =>
  [...el.querySelectorAll(selector)].map((e) => e.textContent ?? "");
const rowIds = (el: HTMLElement): string[] =>
  [...el.querySelectorAll<HTMLElement>(".ts-row")].map((r) => r.dataset.rowId ?? "");
const row = (el: HTMLElement, id: string): HTMLElement => {
  const found = [...el.querySelectorAll<HTMLElement>(".ts-row")].find(
    (r) => r.dataset.rowId === id,
  );
  if (found === undefined) throw new Error(`no row ${id}`);
  return found;
};
const cell = (line: HTMLElement, key: string): HTMLElement =>
  [...line.querySelectorAll<HTMLElement>(".ts-cell")].find(
    (c) => c.dataset.key === key,
  ) as HTMLElement;
const header = (el: HTMLElement, key: string): HTMLElement =>
  [...el.querySelectorAll<HTMLElement>(".ts-head-cell")].find(
    (c) => c.dataset.key === key,
  ) as HTMLElement;

describe("the stats table", () => {
  it("has a row per visible box in the diagram's order, humanised numbers and a totals row", () => {
    const { el } = renderWidget(new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] }));
    expect(rowIds(el)).toEqual([
      "input",
      "blocks",
      "blocks.0",
      "blocks.0.conv",
      "blocks.1",
      "blocks.1.conv",
      "add#1",
      "output",
    ]);
    const conv = row(el, "blocks.1.conv");
    expect(cell(conv, "op").textContent).toBe("Conv2d");
    expect(cell(conv, "activation_bytes").textContent).toBe("2.00 KiB");
    expect(cell(conv, "activation_bytes").title).toBe("2,048 B"); // the exact value on hover
    const foot = el.querySelector(".ts-table-foot") as HTMLElement;
    expect(cell(foot, "params").textContent).toBe("260");
    expect(cell(foot, "label").textContent).toBe("Total");
  });

  it("sorts by a column, biggest first, and flips on a second click", () => {
    const { el } = renderWidget(new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] }));
    el.querySelector<HTMLButtonElement>('[data-action="table-mode"]')?.click(); // flat
    header(el, "params").click();
    expect(header(el, "params").getAttribute("aria-sort")).toBe("descending");
    expect(header(el, "params").textContent).toBe("Params ▼");
    // 148, 112, 0; input and output have no params: last
    expect(rowIds(el)).toEqual(["blocks.1.conv", "blocks.0.conv", "add#1", "input", "output"]);
    header(el, "params").click();
    expect(header(el, "params").getAttribute("aria-sort")).toBe("ascending");
    expect(rowIds(el)).toEqual(["add#1", "blocks.0.conv", "blocks.1.conv", "input", "output"]);
  });

  it("selects from a row click, and highlights the row of a node clicked in the diagram", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const { el } = renderWidget(model);
    row(el, "add#1").click();
    expect(model.saved.at(-1)).toEqual({ selected: "add#1" });
    expect(node(el, "add#1").selected).toBe(true);
    click(el, "blocks.0.conv");
    expect(row(el, "blocks.0.conv").classList.contains("ts-selected")).toBe(true);
    expect(row(el, "add#1").classList.contains("ts-selected")).toBe(false);
  });

  it("collapses and expands groups from the table, for the diagram and the kernel too", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const { el } = renderWidget(model);
    row(el, "blocks").querySelector<HTMLElement>('[data-action="toggle"]')?.click();
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks.0", "blocks.1"] });
    expect(rowIds(el)).toEqual(["input", "blocks", "add#1", "output"]);
    expect(node(el, "blocks").kind).toBe("group");
    row(el, "blocks").querySelector<HTMLElement>('[data-action="toggle"]')?.click();
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
  });

  it("shares its filter with the search box", () => {
    const { el } = renderWidget(new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] }));
    const filter = el.querySelector<HTMLInputElement>(".ts-table-filter") as HTMLInputElement;
    filter.value = "blocks.1";
    filter.dispatchEvent(new Event("input"));
    expect(rowIds(el)).toEqual(["blocks", "blocks.1", "blocks.1.conv"]);
    expect(el.querySelector<HTMLInputElement>(".ts-search-input")?.value).toBe("blocks.1");
    const search = el.querySelector<HTMLInputElement>(".ts-search-input") as HTMLInputElement;
    search.value = "add";
    search.dispatchEvent(new Event("input"));
    expect(rowIds(el)).toEqual(["add#1"]);
    expect(filter.value).toBe("add");
  });

  it("shades the metric's column like the diagram", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"], metric: "params" });
    const { el } = renderWidget(model);
    // 112 is the smallest shaded value, 148 the largest; a container row is not shaded
    expect(cell(row(el, "blocks.0.conv"), "params").dataset.metricStrength).toBe("10");
    expect(cell(row(el, "blocks.1.conv"), "params").dataset.metricStrength).toBe("100");
    expect(cell(row(el, "blocks"), "params").dataset.metricStrength).toBeUndefined();
    expect(node(el, "blocks.1.conv").strength).toBe(1);
  });

  it("moves the selection with the arrow keys", () => {
    const model = new FakeModel({
      expanded: ["blocks", "blocks.0", "blocks.1"],
      selected: "blocks.0.conv",
    });
    const { el } = renderWidget(model);
    const scroller = el.querySelector(".ts-table-scroll") as HTMLElement;
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(model.get("selected")).toBe("blocks.1");
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true }));
    expect(model.get("selected")).toBe("blocks.0.conv");
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(model.get("selected")).toBe("blocks.0"); // from a leaf to its group
  });

  it("draws only the rows in view of 20,000, and scrolls to a row selected elsewhere", () => {
    const model = new FakeModel({ graph: chainPayload(20_000) });
    const { el } = renderWidget(model);
    expect(texts(el, ".ts-table-count")).toEqual(["20,002 rows"]);
    const drawn = rowIds(el);
    expect(drawn.length).toBeLessThan(60);
    expect(drawn[0]).toBe("input");
    model.setFromKernel("selected", "layer15000");
    const scroller = el.querySelector(".ts-table-scroll") as HTMLElement;
    expect(scroller.scrollTop).toBeGreaterThan(14_000 * ROW_HEIGHT);
    expect(row(el, "layer15000").classList.contains("ts-selected")).toBe(true);
    expect(rowIds(el).length).toBeLessThan(60);
    // a 20,000-node layout on jsdom's main thread takes seconds on a loaded 2-core machine
  }, 30_000);

  it("hides and shows from the toolbar", () => {
    const { el } = renderWidget(new FakeModel());
    el.querySelector<HTMLButtonElement>('[data-action="table"]')?.click();
    expect(el.querySelector<HTMLElement>(".ts-table")?.hidden).toBe(true);
    el.querySelector<HTMLButtonElement>('[data-action="table"]')?.click();
    expect(el.querySelector<HTMLElement>(".ts-table")?.hidden).toBe(false);
  });
});
