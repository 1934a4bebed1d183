/**
 * Front-end faults: a payload the page cannot use, and a layout worker that breaks, are reported
 * in the widget area; the rest of the widget keeps working.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { INLINE_BOXES } from "../../js/graph/layout-engine";
import { chainPayload, FakeModel, goldenPayload, probe, renderWidget } from "./fake-model";

afterEach(() => {
  document.body.replaceChildren();
  vi.unstubAllGlobals();
});

describe("a payload the page cannot use", () => {
  it("names an unknown schema version instead of drawing a blank", () => {
    const payload = { ...goldenPayload(), schema: 99 };
    const { el } = renderWidget(new FakeModel({ graph: payload as never }));
    expect(el.querySelector(".ts-error")?.textContent).toBe(
      "torchscope cannot draw this payload: schema: expected 1 or 2, got 99",
    );
    expect(probe(el).status()).toBe("error");
  });

  it("names a missing field", () => {
    const payload = goldenPayload() as unknown as Record<string, unknown>;
    delete payload.nodes;
    const { el } = renderWidget(new FakeModel({ graph: payload as never }));
    expect(el.querySelector(".ts-error")?.textContent).toContain("nodes");
  });

  it("recovers when a valid payload arrives", () => {
    const model = new FakeModel({ graph: { schema: 99 } as never });
    const { el } = renderWidget(model);
    expect(el.querySelector(".ts-error")).not.toBeNull();
    model.setFromKernel("graph", goldenPayload());
    expect(el.querySelector(".ts-error")).toBeNull();
    expect(probe(el).box("input")).not.toBeNull();
  });
});

/** A Worker whose script fails as soon as it gets work, like a worker that cannot load. */
class BrokenWorker extends EventTarget {
  postMessage(): void {
    queueMicrotask(() => {
      const event = new Event("error") as Event & { message: string };
      event.message = "Uncaught SyntaxError: boom";
      this.dispatchEvent(event);
    });
  }
  terminate(): void {}
}

describe("a layout worker that breaks", () => {
  it("is reported in the widget, and the toolbar, table and details keep working", async () => {
    vi.stubGlobal("Worker", BrokenWorker);
    vi.stubGlobal(
      "URL",
      Object.assign(URL, { createObjectURL: () => "blob:x", revokeObjectURL: () => {} }),
    );
    // the engine only starts a worker when the bundle carries its source
    vi.stubGlobal("__LAYOUT_WORKER__", "self.onmessage = () => {}");
    // a graph too large to lay out inline: its layout goes to the worker
    const model = new FakeModel({ graph: chainPayload(INLINE_BOXES + 20) });
    const { el } = renderWidget(model);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(probe(el).status()).toBe("error");
    expect(el.querySelector(".ts-status")?.textContent).toBe(
      "torchscope could not lay this graph out: layout worker failed: Uncaught SyntaxError: boom",
    );
    // the rest still answers: a table click selects, the details panel shows it
    [...el.querySelectorAll<HTMLElement>(".ts-row")]
      .find((r) => r.dataset.rowId === "layer7")
      ?.click();
    expect(model.get("selected")).toBe("layer7");
    expect(el.querySelector(".ts-details-title")?.textContent).toBe("relu");
  });
});
