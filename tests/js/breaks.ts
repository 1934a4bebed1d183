import { expect } from "vitest";
import { SchemaError } from "../../js/validate";

/** A case of tests/golden/invalid_payloads.json: one change that a check must refuse. */
export interface Break {
  name: string;
  path: (string | number)[];
  value?: unknown;
  delete?: boolean;
  field: string;
  member?: string;
}

/** `payload` (changed in place) with the one change `c` describes, by the Python tests' rule:
 * an empty path replaces the whole, `delete` removes (an array's entry too), an index one past
 * the end of an array appends. */
export function applyBreak(payload: unknown, c: Break): unknown {
  if (c.path.length === 0) return c.value;
  let parent = payload as Record<string | number, unknown>;
  for (const step of c.path.slice(0, -1)) parent = parent[step] as typeof parent;
  const last = c.path.at(-1) as string | number;
  if (c.delete === true && Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (c.delete === true) delete parent[last];
  else parent[last] = c.value;
  return payload;
}

/** The message `check` refuses `value` with, or "(accepted)". */
export function refusal(check: (value: unknown) => unknown, value: unknown): string {
  try {
    check(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return (error as Error).message;
  }
  return "(accepted)";
}
