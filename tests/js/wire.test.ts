import { describe, expect, it } from "vitest";
import { Store } from "../../js/store";
import type { Payload } from "../../js/types";
import { SCHEMA_VERSION, WIRE_VERSION } from "../../js/types";
import { SchemaError } from "../../js/validate";
import { decodeWire } from "../../js/wire";
import diffV1 from "../golden/diff_v1.json";
import diffV2 from "../golden/diff_v2.json";
import invalid from "../golden/invalid_payloads.json";
import v1 from "../golden/payload_v1.json";
import v2 from "../golden/payload_v2.json";
import { FakeModel } from "./fake-model";

interface Case {
  name: string;
  path: (string | number)[];
  value?: unknown;
  delete?: boolean;
  field: string;
  member?: string;
}

/** The golden wire with the one change `c` describes (see tests/golden/invalid_payloads.json). */
function broken(c: Case): unknown {
  const payload = structuredClone(v2) as unknown as Record<string | number, unknown>;
  let parent = payload;
  for (const step of c.path.slice(0, -1)) parent = parent[step] as typeof parent;
  const last = c.path.at(-1) as string | number;
  if (c.delete === true) delete parent[last];
  else parent[last] = c.value;
  return payload;
}

function refusal(value: unknown): string {
  try {
    decodeWire(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return (error as Error).message;
  }
  return "(accepted)";
}

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
    expect(refusal({ ...structuredClone(v2), schema: 3 })).toMatch(
      /^schema: expected 1 or 2, got 3/,
    );
  });

  it.each(invalid.wire_cases as Case[])("refuses $name, naming $field", (c) => {
    const message = refusal(broken(c));
    expect(message.startsWith(`${c.field}: `), message).toBe(true);
    if (c.member !== undefined) expect(message).toContain(`"${c.member}"`);
  });
});
