import { afterEach, describe, expect, it } from "vitest";
import { search } from "../../js/graph/search";
import { Hierarchy } from "../../js/graph/visible";
import { FakeModel, goldenPayload, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

describe("search", () => {
  const hierarchy = new Hierarchy(goldenPayload());
  const ids = (query: string): string[] => search(hierarchy, query).hits.map((h) => h.id);

  it("matches ids, names, types and module paths as case-insensitive substrings", () => {
    expect(ids("conv2D")).toEqual(["blocks.0.conv", "blocks.1.conv"]);
    expect(ids("blocks.1")).toEqual(["blocks.1.conv", "blocks.1"]);
    expect(ids("block")).toEqual([
      "blocks.0.conv",
      "blocks.1.conv",
      "blocks",
      "blocks.0",
      "blocks.1",
    ]);
    expect(ids("nothing like it")).toEqual([]);
    expect(ids("  ")).toEqual([]);
  });

  it("takes /regex/ with flags, and says what is wrong with a bad one", () => {
    expect(ids("/^blocks\\.\\d\\.conv$/")).toEqual(["blocks.0.conv", "blocks.1.conv"]);
    expect(ids("/^ADD/i")).toEqual(["add#1"]);
    const bad = search(hierarchy, "/(/");
    expect(bad.hits).toEqual([]);
    expect(bad.error).toMatch(/Invalid regular expression/);
  });

  it("caps the hits but counts every match", () => {
    const result = search(hierarchy, "b", 2);
    expect(result.hits).toHaveLength(2);
    expect(result.total).toBe(5);
  });
});

describe("the search box", () => {
  function type(el: HTMLElement, text: string): HTMLInputElement {
    const input = el.querySelector<HTMLInputElement>(".ts-search-input");
    if (input === null) throw new Error("no search box");
    input.value = text;
    input.dispatchEvent(new Event("input"));
    return input;
  }

  it("lists hits and jumps to one, revealing it", () => {
    const model = new FakeModel();
    const el = renderWidget(model).el;
    el.querySelector<HTMLButtonElement>('[data-action="collapse-all"]')?.click();
    type(el, "blocks.1.conv");
    const hits = [...el.querySelectorAll<HTMLElement>(".ts-search-hit")];
    expect(hits.map((h) => h.textContent)).toEqual(["Conv2d · blocks.1.conv"]);
    hits[0]?.click();
    expect(model.get("expanded")).toEqual(["blocks", "blocks.1"]);
    expect(model.get("selected")).toBe("blocks.1.conv");
    expect(el.querySelector<HTMLElement>(".ts-search-results")?.hidden).toBe(true);
  });

  it("jumps to the first hit on Enter", () => {
    const model = new FakeModel();
    const el = renderWidget(model).el;
    type(el, "/add/").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(model.get("selected")).toBe("add#1");
  });

  it("is focused by / and Esc in the widget clears the selection", () => {
    const model = new FakeModel({ selected: "output" });
    const el = renderWidget(model).el;
    const root = el.querySelector<HTMLElement>(".torchscope");
    root?.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
    expect(document.activeElement).toBe(el.querySelector(".ts-search-input"));
    root?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(model.get("selected")).toBe("");
  });

  it("shows hostile names as text", () => {
    const payload = goldenPayload();
    const node = payload.nodes[1];
    if (node === undefined) throw new Error("golden payload changed");
    node.op = "<img src=x onerror=alert(1)>";
    const el = renderWidget(new FakeModel({ graph: payload })).el;
    type(el, "img");
    expect(el.querySelector(".ts-search-hit")?.textContent).toBe(
      "<img src=x onerror=alert(1)> · blocks.0.conv",
    );
    expect(el.querySelector(".ts-search-results img")).toBeNull();
  });
});
