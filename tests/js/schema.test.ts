import { describe, expect, it } from "vitest";
import { emptyPayload, SCHEMA_VERSION } from "../../js/types";
import { SchemaError, validatePayload } from "../../js/validate";
import invalid from "../golden/invalid_payloads.json";
import { goldenPayload } from "./fake-model";

interface Case {
  name: string;
  path: (string | number)[];
  value?: unknown;
  delete?: boolean;
  field: string;
}

/** The golden payload with the one change `c` describes (see tests/golden/invalid_payloads.json). */
function broken(c: Case): unknown {
  if (c.path.length === 0) return c.value;
  const payload = goldenPayload() as unknown as Record<string | number, unknown>;
  let parent = payload;
  for (const step of c.path.slice(0, -1)) parent = parent[step] as typeof parent;
  const last = c.path.at(-1) as string | number;
  if (c.delete === true && Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (c.delete === true) delete parent[last];
  else parent[last] = c.value;
  return payload;
}

function refusal(value: unknown): string {
  try {
    validatePayload(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return (error as Error).message;
  }
  return "(accepted)";
}

describe("the wire contract", () => {
  it("accepts the golden payload shared with the Python tests", () => {
    const payload = goldenPayload();
    expect(validatePayload(payload)).toBe(payload);
    expect(payload.schema).toBe(SCHEMA_VERSION);
  });

  it.each(invalid.cases as Case[])("refuses $name, naming $field", (c) => {
    const message = refusal(broken(c));
    expect(message.startsWith(`${c.field}: `), message).toBe(true);
  });

  it("starts views from an empty payload of the current version", () => {
    const empty = emptyPayload();
    expect(validatePayload(empty)).toBe(empty);
    expect(empty.schema).toBe(SCHEMA_VERSION);
  });
});
