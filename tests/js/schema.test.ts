import { describe, expect, it } from "vitest";
import { emptyPayload, SCHEMA_VERSION } from "../../js/types";
import { validatePayload } from "../../js/validate";
import invalid from "../golden/invalid_payloads.json";
import { applyBreak, type Break, refusal } from "./breaks";
import { goldenPayload } from "./fake-model";

/** The golden payload with the one change `c` describes (see tests/golden/invalid_payloads.json). */
const broken = (c: Break): unknown => applyBreak(goldenPayload(), c);
const rejected = (value: unknown): string => refusal(validatePayload, value);

describe("the wire contract", () => {
  it("accepts the golden payload shared with the Python tests", () => {
    const payload = goldenPayload();
    expect(validatePayload(payload)).toBe(payload);
    expect(payload.schema).toBe(SCHEMA_VERSION);
  });

  it.each(invalid.cases as Break[])("refuses $name, naming $field", (c) => {
    const message = rejected(broken(c));
    expect(message.startsWith(`${c.field}: `), message).toBe(true);
  });

  it("starts views from an empty payload of the current version", () => {
    const empty = emptyPayload();
    expect(validatePayload(empty)).toBe(empty);
    expect(empty.schema).toBe(SCHEMA_VERSION);
  });
});
