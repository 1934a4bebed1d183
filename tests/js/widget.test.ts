import { afterEach, describe, expect, it } from "vitest";
import { mountStandalone } from "../../js/standalone";
import { click, FakeModel, goldenPayload, node, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
});

describe("the widget rendered with a fake model", () => {
  it("draws every payload node with its type, name and output shape", () => {
    const { el } = renderWidget(new FakeModel());
    const payload = goldenPayload();
    // the small golden graph opens fully expanded: every node drawn, plus a header per group
    for (const n of payload.nodes) expect(node(el, n.id).kind).toBe(n.kind);
    const frames = probe(el)
      .boxes()
      .filter((b) => b.kind === "container");
    expect(frames.map((b) => b.id).sort()).toEqual(payload.groups.map((g) => g.id).sort());
    const conv = node(el, "blocks.0.conv");
    expect([conv.op, conv.label, conv.detail]).toEqual(["Conv2d", "blocks.0.conv", "[2, 4, 8, 8]"]);
    expect(probe(el).edges()).toHaveLength(payload.edges.length);
    expect(
      probe(el)
        .edges()
        .find((e) => e.source === "input")?.label,
    ).toBe("[2, 3, 8, 8]");
    expect(el.querySelector(".ts-title")?.textContent).toBe("TinyNet");
  });

  it("writes a click back to the model as `selected` and highlights the node", () => {
    const model = new FakeModel();
    const { el } = renderWidget(model);
    click(el, "add#1");
    expect(model.saved.at(-1)).toEqual({ selected: "add#1" });
    expect(node(el, "add#1").selected).toBe(true);
    // its incoming and outgoing edges are highlighted, the others not
    const lit = probe(el)
      .edges()
      .filter((e) => e.highlighted)
      .map((e) => `${e.source}>${e.target}`);
    expect(lit.sort()).toEqual(["add#1>output", "blocks.0.conv>add#1", "blocks.1.conv>add#1"]);
  });

  it("follows the kernel: orientation set in Python re-lays the diagram out", () => {
    const model = new FakeModel();
    const { el } = renderWidget(model);
    const centre = (id: string): [number, number] => {
      const box = node(el, id);
      return [box.x + box.width / 2, box.y + box.height / 2];
    };
    const [x0, y0] = centre("input");
    const [x1, y1] = centre("output");
    expect(y1 - y0).toBeGreaterThan(Math.abs(x1 - x0)); // top to bottom
    model.setFromKernel("orientation", "LR");
    const [u0, v0] = centre("input");
    const [u1, v1] = centre("output");
    expect(u1 - u0).toBeGreaterThan(Math.abs(v1 - v0)); // left to right
    // the toggle now offers the way back
    expect(el.querySelector<HTMLButtonElement>('[data-action="orientation"]')?.textContent).toBe(
      "Top → bottom",
    );
  });

  it("explains its shapes in a key", () => {
    const { el } = renderWidget(new FakeModel());
    const items = [...el.querySelectorAll(".ts-key-item")].map((i) => i.textContent ?? "");
    expect(items).toHaveLength(12);
    expect(items.some((t) => t.includes("×N identical blocks"))).toBe(true);
    expect(items.some((t) => t.includes("bookkeeping ops"))).toBe(true);
    expect(el.querySelectorAll(".ts-key .ts-swatch")).toHaveLength(12);
  });

  it("writes the toolbar toggle back as `orientation`", () => {
    const model = new FakeModel();
    const { el } = renderWidget(model);
    el.querySelector<HTMLButtonElement>('[data-action="orientation"]')?.click();
    expect(model.saved.at(-1)).toEqual({ orientation: "LR" });
  });

  it("opens a fresh view expanded as deep as stays readable, and tells the kernel", () => {
    const model = new FakeModel();
    renderWidget(model);
    expect(model.saved[0]).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
  });

  it("keeps the expansion Python chose", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const { el } = renderWidget(model);
    expect(model.saved).toEqual([]);
    // blocks.1 repeats blocks.0: both collapsed, they fold into one box
    expect(node(el, "blocks.0×2").op).toBe("Block ×2");
    expect(node(el, "blocks.0×2").detail).toBe("2 layers");
    // what the fold holds: blocks.0 (112 params) and blocks.1 (148) together
    expect(node(el, "blocks.0×2").cost).toBe("260 params");
    expect(node(el, "blocks.0×2").height).toBeGreaterThan(node(el, "input").height);
  });

  it("says of a collapsed experts module how many experts, the top-k and the params of each", () => {
    const graph = goldenPayload();
    const blocks = graph.groups.find((g) => g.id === "blocks.1");
    if (blocks !== undefined) delete blocks.repeat_of; // shown on its own, not folded
    const { el } = renderWidget(new FakeModel({ graph, expanded: ["blocks"] }));
    // golden: blocks.0 is marked as an experts module of 2 experts, top-1, 56 params each
    expect(node(el, "blocks.0").detail).toBe("2 experts · top-1 · 56 params each");
    expect(node(el, "blocks.1").detail).toBe("1 layers");
  });

  it("collapses and expands a group from its toggle, writing `expanded`", () => {
    const model = new FakeModel({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    const { el } = renderWidget(model);
    click(el, "blocks", "toggle");
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks.0", "blocks.1"] });
    expect(() => node(el, "blocks.0.conv")).toThrow("not drawn");
    expect(node(el, "blocks").kind).toBe("group");
    click(el, "blocks", "centre", "dblclick");
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    expect(node(el, "blocks.0.conv")).toBeDefined();
  });

  it("opens every block of a fold from its toggle", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const { el } = renderWidget(model);
    click(el, "blocks.0×2", "toggle");
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
  });

  it("expands to a chosen depth", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const { el } = renderWidget(model);
    const depth = el.querySelector<HTMLSelectElement>(".ts-depth");
    // golden: blocks (depth 0) holds blocks.0 and blocks.1 (depth 1): depths 0, 1, 2 to choose from
    expect([...(depth?.options ?? [])].map((o) => o.value)).toEqual(["", "0", "1", "2"]);
    if (depth === null) throw new Error("no depth control");
    depth.value = "2";
    depth.dispatchEvent(new Event("change"));
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
    depth.value = "1";
    depth.dispatchEvent(new Event("change"));
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks"] });
    depth.value = "0";
    depth.dispatchEvent(new Event("change"));
    expect(model.saved.at(-1)).toEqual({ expanded: [] });
  });

  it("expand all and collapse all", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const { el } = renderWidget(model);
    el.querySelector<HTMLButtonElement>('[data-action="collapse-all"]')?.click();
    expect(model.saved.at(-1)).toEqual({ expanded: [] });
    expect(
      probe(el)
        .boxes()
        .filter((b) => b.kind === "group"),
    ).toHaveLength(1);
    el.querySelector<HTMLButtonElement>('[data-action="expand-all"]')?.click();
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.0", "blocks.1"] });
  });

  it("reveals a node that Python selects while it is hidden", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const { el } = renderWidget(model);
    model.setFromKernel("selected", "blocks.1.conv");
    expect(model.saved.at(-1)).toEqual({ expanded: ["blocks", "blocks.1"] });
    expect(node(el, "blocks.1.conv").selected).toBe(true);
  });

  it("shows model strings as text, never as markup", () => {
    const payload = goldenPayload();
    const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';
    const target = payload.nodes[1];
    if (target === undefined) throw new Error("golden payload changed");
    target.op = hostile;
    const { el } = renderWidget(new FakeModel({ graph: payload }));
    expect(node(el, "blocks.0.conv").op).toBe(hostile);
    expect(el.querySelector("img, script")).toBeNull();
  });

  it("marks the node where the trace failed and shows why", () => {
    const { el } = renderWidget(new FakeModel());
    expect(node(el, "add#1").failed).toBe(true);
    expect(node(el, "blocks.0.conv").failed).toBe(false);
    expect(el.querySelector(".ts-trace-error")?.textContent).toBe(
      "RuntimeError: example failure kept to exercise the optional field",
    );
  });

  it("explains an invalid payload instead of drawing a broken one", () => {
    const payload = goldenPayload();
    payload.edges.push({ source: "ghost", target: "output", shape: [1], dtype: "float32" });
    const { el } = renderWidget(new FakeModel({ graph: payload }));
    expect(el.querySelector(".ts-error")?.textContent).toContain(
      'edges[5].source: "ghost" is not a node',
    );
    expect(probe(el).boxes()).toEqual([]);
    expect(probe(el).status()).toBe("error");
  });

  it("cleans up: no DOM and no model listeners are left behind", () => {
    const model = new FakeModel();
    const { el, cleanup } = renderWidget(model);
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    expect(el.childElementCount).toBe(0);
    expect(model.listenerCount()).toBe(0);
  });

  it("runs the same views in the standalone page with an in-page model", () => {
    const el = document.createElement("div");
    const dispose = mountStandalone(el, {
      graph: goldenPayload(),
      orientation: "TB",
      selected: "",
      expanded: [],
      metric: "",
      height: 300,
    });
    click(el, "blocks.1.conv");
    expect(node(el, "blocks.1.conv").selected).toBe(true);
    dispose();
    expect(el.childElementCount).toBe(0);
  });
});
