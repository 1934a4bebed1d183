import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION, SchemaError, validatePayload } from "../../js/types";
import { goldenPayload } from "./fake-model";

describe("the wire contract", () => {
  it("accepts the golden payload shared with the Python tests", () => {
    const payload = goldenPayload();
    expect(validatePayload(payload)).toBe(payload);
    expect(payload.schema).toBe(SCHEMA_VERSION);
  });

  it.each([
    [
      "version",
      (p: ReturnType<typeof goldenPayload>) => Object.assign(p, { schema: 2 }),
      "schema: expected 1, got 2",
    ],
    [
      "dangling edge",
      (p: ReturnType<typeof goldenPayload>) => Object.assign(p.edges[0] ?? {}, { target: "nope" }),
      'edges[0].target: "nope" is not a node',
    ],
    [
      "duplicate id",
      (p: ReturnType<typeof goldenPayload>) =>
        Object.assign(p.nodes[2] ?? {}, { id: "blocks.0.conv" }),
      'nodes[2].id: "blocks.0.conv" is used twice',
    ],
    [
      "unknown parent",
      (p: ReturnType<typeof goldenPayload>) => Object.assign(p.nodes[1] ?? {}, { parent: "ghost" }),
      'nodes[1].parent: "ghost" is not a group',
    ],
    [
      "group child",
      (p: ReturnType<typeof goldenPayload>) => p.groups[0]?.children.push("x"),
      'groups[0].children[2]: "x" is unknown',
    ],
  ])("names the field of a %s", (_name, breaker, message) => {
    const payload = goldenPayload();
    breaker(payload);
    expect(() => validatePayload(payload)).toThrow(SchemaError);
    expect(() => validatePayload(payload)).toThrow(message);
  });

  it("refuses what is not an object", () => {
    expect(() => validatePayload(undefined)).toThrow("payload: expected an object");
  });
});
