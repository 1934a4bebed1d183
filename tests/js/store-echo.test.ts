import { describe, expect, it } from "vitest";
import { Store } from "../../js/store";
import { FakeModel } from "./fake-model";

describe("the store and the kernel's echo", () => {
  it("keeps its visible graph when the kernel sends back the same expanded groups", () => {
    const model = new FakeModel({ expanded: ["blocks"] });
    const store = new Store(model);
    const shown = store.current.visible;
    // the kernel answers a write with a new array holding the same ids
    model.setFromKernel("expanded", ["blocks"]);
    expect(store.current.visible).toBe(shown);
    model.setFromKernel("expanded", ["blocks", "blocks.0"]);
    expect(store.current.visible).not.toBe(shown);
    expect(store.current.visible.representative.get("blocks.0.conv")).toBe("blocks.0.conv");
  });
});
