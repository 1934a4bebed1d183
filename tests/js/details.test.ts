import { afterEach, describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatShare, formatStat } from "../../js/format";
import { click, FakeModel, goldenPayload, renderWidget } from "./fake-model";

function rows(el: HTMLElement, selector: string): string[][] {
  return [...el.querySelectorAll(`${selector} tr`)].map((tr) =>
    [...tr.children].map((cell) => cell.textContent ?? ""),
  );
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("formatting", () => {
  it("humanises counts and bytes", () => {
    expect(formatCount(61_100_840)).toBe("61.10 M");
    expect(formatCount(714_188_480)).toBe("714.19 M");
    expect(formatCount(999)).toBe("999");
    expect(formatBytes(2048)).toBe("2.00 KiB");
    expect(formatBytes(3 * 2 ** 30)).toBe("3.00 GiB");
    expect(formatBytes(12)).toBe("12 B");
  });

  it("formats a stat by its column and gives shares of the total", () => {
    expect(formatStat({ key: "t", label: "T", unit: "ms", kind: "count" }, 1.5)).toBe("1.500 ms");
    expect(formatStat({ key: "s", label: "S", unit: "", kind: "shape" }, [[1, 2]])).toBe("[1, 2]");
    expect(formatShare(112, 260)).toBe("43.1%");
    expect(formatShare(1, 100_000)).toBe("<0.1%");
    expect(formatShare(5, 0)).toBe("");
  });
});

describe("the details panel", () => {
  it("is hidden until something is selected", () => {
    const el = renderWidget(new FakeModel()).el;
    expect(el.querySelector<HTMLElement>(".ts-details")?.hidden).toBe(true);
  });

  it("shows a node's type, path, repr, attributes, tensors and stats with shares", () => {
    const el = renderWidget(new FakeModel({ selected: "blocks.0.conv" })).el;
    const panel = el.querySelector<HTMLElement>(".ts-details");
    expect(panel?.hidden).toBe(false);
    expect(panel?.querySelector(".ts-details-title")?.textContent).toBe("Conv2d");
    expect(rows(el, ".ts-details-facts")).toContainEqual(["module", "blocks.0.conv"]);
    expect(panel?.querySelector(".ts-details-repr")?.textContent).toBe(
      "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
    );
    expect(rows(el, ".ts-details-attrs")).toContainEqual(["kernel_size", "[3, 3]"]);
    expect(rows(el, ".ts-details-tensors")).toEqual([
      ["input 0", "[2, 3, 8, 8] float32"],
      ["output 0", "[2, 4, 8, 8] float32"],
    ]);
    // 112 of 260 parameters; 2048 of 6144 activation bytes
    expect(rows(el, ".ts-details-stats")).toEqual([
      ["Params", "112", "43.1%"],
      ["Activations", "2.00 KiB", "33.3%"],
      ["Abs max", "2.5", ""],
      ["NaNs", "0", ""],
    ]);
  });

  it("shows the trace error and the uncounted ops of the node that has them", () => {
    const el = renderWidget(new FakeModel({ selected: "add#1" })).el;
    expect(el.querySelector(".ts-details-error")?.textContent).toContain("example failure");
    const other = renderWidget(new FakeModel({ selected: "blocks.1.conv" })).el;
    expect(other.querySelector(".ts-details-uncounted")?.textContent).toBe("aten.foo");
  });

  it("shows a group's totals and what it repeats", () => {
    const el = renderWidget(new FakeModel({ selected: "blocks.1" })).el;
    expect(rows(el, ".ts-details-facts")).toContainEqual(["repeats", "blocks.0"]);
    expect(rows(el, ".ts-details-stats")).toEqual([["Params", "148", "56.9%"]]);
  });

  it("shows an experts group's experts, top-k and params per expert, and says its MACs are routed", () => {
    const el = renderWidget(new FakeModel({ selected: "blocks.0" })).el;
    expect(rows(el, ".ts-details-attrs")).toEqual([
      ["experts", "2"],
      ["top_k", "1"],
      ["params_per_expert", "56"],
    ]);
    expect([...el.querySelectorAll(".ts-details-section")].map((h) => h.textContent)).toContain(
      "Statistics (whole group; MACs as routed)",
    );
  });

  it("says what an estimate assumes, for a node and for its group, and nothing for exact ones", () => {
    const assumed = (selected: string): string[] =>
      [
        ...renderWidget(new FakeModel({ selected })).el.querySelectorAll(
          ".ts-details-estimated li",
        ),
      ].map((li) => li.textContent ?? "");
    expect(assumed("blocks.1.conv")).toEqual(["uniform routing: an example assumption"]);
    expect(assumed("blocks.1")).toEqual(["uniform routing: an example assumption"]);
    expect(assumed("blocks.0.conv")).toEqual([]);
  });

  it("follows a click in the diagram and clears with the close button", () => {
    const model = new FakeModel();
    const el = renderWidget(model).el;
    click(el, "output");
    expect(el.querySelector(".ts-details-title")?.textContent).toBe("Output");
    el.querySelector<HTMLButtonElement>('[data-action="close-details"]')?.click();
    expect(model.saved.at(-1)).toEqual({ selected: "" });
    expect(el.querySelector<HTMLElement>(".ts-details")?.hidden).toBe(true);
  });

  it("keeps hostile strings as text", () => {
    const payload = goldenPayload();
    const target = payload.nodes[1];
    if (target === undefined) throw new Error("golden payload changed");
    target.repr = "<img src=x onerror=alert(1)>";
    target.attrs = { "<b>": "<script>alert(1)</script>" };
    const el = renderWidget(new FakeModel({ graph: payload, selected: target.id })).el;
    expect(el.querySelector(".ts-details-repr")?.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(el.querySelector(".ts-details img, .ts-details script, .ts-details b")).toBeNull();
  });
});
