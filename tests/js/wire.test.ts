import { describe, expect, it } from "vitest";
import { Store } from "../../js/store";
import type { Payload } from "../../js/types";
import { SCHEMA_VERSION, WIRE_VERSION } from "../../js/types";
import { decodeWire } from "../../js/wire";
import diffV1 from "../golden/diff_v1.json";
import diffV2 from "../golden/diff_v2.json";
import invalid from "../golden/invalid_payloads.json";
import v1 from "../golden/payload_v1.json";
import v2 from "../golden/payload_v2.json";
import { applyBreak, type Break, refusal } from "./breaks";
import { FakeModel } from "./fake-model";

/** The golden wire with the one change `c` describes (see tests/golden/invalid_payloads.json). */
const broken = (c: Break): unknown => applyBreak(structuredClone(v2), c);
const rejected = (value: unknown): string => refusal(decodeWire, value);

describe("the compact wire (schema 2)", () => {
  it("decodes the golden wire to the golden document, as Python does", () => {
    expect(v2.schema).toBe(WIRE_VERSION);
    // two encodings of one payload: the old one is the document, the new one expands to it
    expect(decodeWire(structuredClone(v2))).toStrictEqual(v1);
    expect(decodeWire(structuredClone(v1))).toStrictEqual(v1);
    expect(decodeWire(structuredClone(v2)).schema).toBe(SCHEMA_VERSION);
  });

  it("decodes the diff payload's wire, with its diff section", () => {
    const decoded = decodeWire(structuredClone(diffV2));
    expect(decoded).toStrictEqual(diffV1);
    expect(decoded.diff?.names).toEqual(diffV1.diff.names);
  });

  it("gives the views the same state whichever encoding a page carries", () => {
    const views = [v1, v2].map((graph) => {
      const store = new Store(
        new FakeModel({ graph: structuredClone(graph) as unknown as Payload }),
      );
      const { error, expanded, visible } = store.current;
      return { error, expanded, items: visible.items.map((i) => i.id) };
    });
    expect(views[0]?.error).toBeNull();
    expect(views[1]).toEqual(views[0]);
  });

  it("refuses a version neither side reads", () => {
    expect(rejected({ ...structuredClone(v2), schema: 3 })).toMatch(
      /^schema: expected 1 or 2, got 3/,
    );
  });

  it.each(invalid.wire_cases as Break[])("refuses $name, naming $field", (c) => {
    const message = rejected(broken(c));
    expect(message.startsWith(`${c.field}: `), message).toBe(true);
    if (c.member !== undefined) expect(message).toContain(`"${c.member}"`);
  });
});
