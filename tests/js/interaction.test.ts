/**
 * What one interaction costs: the payload is checked once per payload object, however many
 * selections and views; a hover touches only the table rows whose state changes; the metric's
 * shading is computed when the rows or the metric change, not on every hover or scroll.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as diff from "../../js/graph/diff";
import * as validate from "../../js/validate";
import { chainPayload, FakeModel, goldenPayload, renderWidget } from "./fake-model";

vi.mock("../../js/validate", async (original) => {
  const actual = await original<typeof import("../../js/validate")>();
  return { ...actual, validatePayload: vi.fn(actual.validatePayload) };
});
vi.mock("../../js/graph/diff", async (original) => {
  const actual = await original<typeof import("../../js/graph/diff")>();
  return { ...actual, shadingScale: vi.fn(actual.shadingScale) };
});

const validations = vi.mocked(validate.validatePayload);
const scales = vi.mocked(diff.shadingScale);

beforeEach(() => {
  validations.mockClear();
  scales.mockClear();
});
afterEach(() => {
  document.body.replaceChildren();
});

const line = (el: HTMLElement, id: string): HTMLElement => {
  const found = el.querySelector<HTMLElement>(`.ts-row[data-row-id="${id}"]`);
  if (found === null) throw new Error(`no row ${id}`);
  return found;
};
const hover = (el: HTMLElement, id: string): void => {
  line(el, id).dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
};

describe("one interaction", () => {
  it("checks the payload once across selections and views, and again for a new payload", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const first = renderWidget(model);
    renderWidget(model); // a second view of the same model, as a cell displayed twice
    for (const id of ["blocks.0.conv", "blocks.1.conv", "add#1", "", "input"]) {
      model.setFromKernel("selected", id);
    }
    line(first.el, "blocks.1.conv").click();
    expect(validations).toHaveBeenCalledTimes(1);
    model.setFromKernel("graph", goldenPayload());
    model.setFromKernel("selected", "blocks");
    expect(validations).toHaveBeenCalledTimes(2);
  });

  it("moves the hover between two rows by touching only those two rows", () => {
    const { el } = renderWidget(new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] }));
    const body = el.querySelector(".ts-table-body") as HTMLElement;
    hover(el, "blocks.0.conv");
    const [a, b] = [line(el, "blocks.0.conv"), line(el, "blocks.1.conv")];
    expect(a.classList.contains("ts-hovered")).toBe(true);
    const observer = new MutationObserver(() => undefined);
    observer.observe(body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
    hover(el, "blocks.1.conv");
    const records = observer.takeRecords();
    observer.disconnect();
    expect(new Set(records.map((r) => r.target))).toEqual(new Set([a, b]));
    expect(records.every((r) => r.type === "attributes" && r.attributeName === "class")).toBe(true);
    expect([a.classList.contains("ts-hovered"), b.classList.contains("ts-hovered")]).toEqual([
      false,
      true,
    ]);
  });

  it("shades the table from one scale per rows and metric, not one per hover or scroll", () => {
    const graph = chainPayload(300);
    const model = new FakeModel({ graph, metric: "params" });
    const { el } = renderWidget(model);
    const built = scales.mock.calls.length;
    expect(built).toBeGreaterThan(0);
    const ids = [...el.querySelectorAll<HTMLElement>(".ts-row")].map((r) => r.dataset.rowId ?? "");
    for (const id of ids.slice(0, 10)) hover(el, id);
    const scroller = el.querySelector(".ts-table-scroll") as HTMLElement;
    for (const top of [240, 480, 960]) {
      scroller.scrollTop = top;
      scroller.dispatchEvent(new Event("scroll"));
    }
    expect(scales.mock.calls.length).toBe(built);
    model.setFromKernel("metric", "activation_bytes");
    expect(scales.mock.calls.length).toBeGreaterThan(built);
  });
});
