/**
 * The field checks the payload's validators share (./validate, ./validate-step), as
 * src/torchscope/schema_checks.py has them: each names the field it refused.
 */

/** Why a value is not a valid payload, naming the field (e.g. `nodes[3].parent`). */
export class SchemaError extends Error {
  override name = "SchemaError";
}

export type Fields = Record<string, unknown>;

export function fields(value: unknown, at: string, field = ""): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fault(at, field, `expected an object, got ${kindOf(value)}`);
  }
  return value as Fields;
}

export function list(value: unknown, at: string, field = ""): unknown[] {
  if (!Array.isArray(value)) throw fault(at, field, `expected a list, got ${kindOf(value)}`);
  return value;
}

export function text(value: unknown, at: string, field = ""): string {
  if (typeof value !== "string") throw fault(at, field, `expected a string, got ${kindOf(value)}`);
  return value;
}

export function fault(at: string, field: string, why: string): SchemaError {
  return new SchemaError(`${at}${field}: ${why}`);
}

export function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "list" : typeof value;
}

export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
