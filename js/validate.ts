/**
 * The front end's half of the wire contract: `validatePayload` checks a payload field by field,
 * as `validate` in src/torchscope/schema.py does (the types themselves live in ./types).
 */

import {
  COLUMN_KINDS,
  type ColumnKind,
  DIFF_STATUSES,
  NODE_KINDS,
  type Payload,
  SCHEMA_VERSION,
} from "./types";
import {
  type Fields,
  fault,
  fields,
  kindOf,
  list,
  SchemaError,
  show,
  text,
} from "./validate-fields";
import { checkStep } from "./validate-step";

export { SchemaError };

/**
 * Check a payload against the contract field by field, as `validate` in
 * src/torchscope/schema.py does and in the same order: the version, the model, the columns,
 * every group, node and edge (ids unique, every parent, child, repeat and edge end known),
 * tensor metadata, and each statistic against its column's kind. Throws SchemaError naming the
 * first bad field; the broken payloads of tests/golden/invalid_payloads.json are refused by both
 * sides with the same field named.
 */
export function validatePayload(value: unknown): Payload {
  const top = fields(value, "payload");
  if (top.schema !== SCHEMA_VERSION) {
    throw fault("schema", "", `expected ${SCHEMA_VERSION}, got ${show(top.schema)}`);
  }
  checkModel(top.model);
  const columns = checkColumns(top.columns);
  const groups = records(top.groups, "groups");
  const groupIds = uniqueIds(groups, "groups");
  const nodes = records(top.nodes, "nodes");
  const nodeIds = uniqueIds(nodes, "nodes");
  nodes.forEach((node, i) => {
    if (groupIds.has(node.id as string)) {
      throw fault(`nodes[${i}]`, ".id", `${show(node.id)} is also the id of a group`);
    }
  });
  nodes.forEach((node, i) => {
    checkNode(node, `nodes[${i}]`, groupIds, columns);
  });
  checkOrigin(fields(top.model, "model"), nodeIds);
  groups.forEach((group, i) => {
    checkGroup(group, `groups[${i}]`, groupIds, nodeIds, columns);
  });
  list(top.edges, "edges").forEach((edge, i) => {
    checkEdge(edge, `edges[${i}]`, nodeIds);
  });
  checkRoots(top.roots, [...groups, ...nodes]);
  checkStats(top.totals, columns, "totals");
  if ("step" in top) checkStep(top.step, nodes.length);
  if ("diff" in top) checkDiff(top.diff, new Set([...nodeIds, ...groupIds]), columns);
  return value as Payload;
}

const NODE_KIND_SET: ReadonlySet<unknown> = new Set(NODE_KINDS);
const COLUMN_KIND_SET: ReadonlySet<unknown> = new Set(COLUMN_KINDS);

// Each check below names the field as `at` (the record: `nodes[3]`) plus `field` (`.parent`),
// joined only when it fails: a 100,000-node payload is checked without building a name per field.

export function checkModel(value: unknown): void {
  const model = fields(value, "model");
  for (const key of ["name", "device", "dtype", "torch_version"])
    text(model[key], "model", `.${key}`);
  for (const [i, shape] of list(model.input_shapes, "model", ".input_shapes").entries()) {
    checkShape(shape, "model", `.input_shapes[${i}]`);
  }
  if ("notes" in model) {
    for (const [i, note] of list(model.notes, "model", ".notes").entries()) {
      text(note, "model", `.notes[${i}]`);
    }
  }
  if ("values" in model) {
    const info = fields(model.values, "model", ".values");
    if (typeof info.linear !== "number" || !(info.linear > 0)) {
      throw fault(
        "model",
        ".values.linear",
        `expected a positive number, got ${show(info.linear)}`,
      );
    }
    const seed = info.seed;
    if (seed !== null && seed !== undefined && !Number.isInteger(seed)) {
      throw fault("model", ".values.seed", `expected an int or null, got ${show(seed)}`);
    }
    if (info.origin !== null && info.origin !== undefined)
      text(info.origin, "model", ".values.origin");
  }
}

/** The origin of the first NaN or Inf, when there is one, is a node. */
export function checkOrigin(model: Fields, nodeIds: ReadonlySet<string>): void {
  const origin = "values" in model ? fields(model.values, "model", ".values").origin : null;
  if (origin !== null && origin !== undefined && !nodeIds.has(origin as string)) {
    throw fault("model", ".values.origin", `${show(origin)} is not a node`);
  }
}

export function checkNodeValues(value: unknown, at: string): void {
  const values = fields(value, at, ".values");
  list(values.outputs, at, ".values.outputs").forEach((histogram, j) => {
    if (histogram !== null) checkHistogram(histogram, at, `.values.outputs[${j}]`);
  });
  list(values.params, at, ".values.params").forEach((item, j) => {
    const where = `.values.params[${j}]`;
    const param = checkHistogram(item, at, where);
    text(param.name, at, `${where}.name`);
    for (const key of ["mean", "std", "min", "max", "zeros"]) {
      const v = param[key];
      if (v !== null && v !== undefined && typeof v !== "number") {
        throw fault(at, `${where}.${key}`, `expected a number or null, got ${show(v)}`);
      }
    }
    for (const key of ["nan", "inf", "norm"]) {
      const v = param[key];
      if (typeof v !== "number" || v < 0) {
        throw fault(at, `${where}.${key}`, `expected a non-negative number, got ${show(v)}`);
      }
    }
  });
}

function checkHistogram(value: unknown, at: string, field: string): Fields {
  const histogram = fields(value, at, field);
  if (typeof histogram.absmax !== "number" || histogram.absmax < 0) {
    throw fault(
      at,
      `${field}.absmax`,
      `expected a non-negative number, got ${show(histogram.absmax)}`,
    );
  }
  const counts = list(histogram.counts, at, `${field}.counts`);
  if (!counts.every((c) => Number.isInteger(c) && (c as number) >= 0)) {
    throw fault(at, `${field}.counts`, `expected a list of non-negative ints, got ${show(counts)}`);
  }
  return histogram;
}

/** The declared columns: key → kind. */
export function checkColumns(value: unknown): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  for (const [i, item] of list(value, "columns").entries()) {
    const at = `columns[${i}]`;
    const column = fields(item, at);
    const key = text(column.key, at, ".key");
    if (kinds.has(key)) throw fault(at, ".key", `${show(key)} is used twice`);
    text(column.label, at, ".label");
    text(column.unit, at, ".unit");
    if (!COLUMN_KIND_SET.has(column.kind)) {
      throw fault(at, ".kind", `${show(column.kind)} is not one of ${show(COLUMN_KINDS)}`);
    }
    kinds.set(key, column.kind as ColumnKind);
  }
  return kinds;
}

function checkNode(
  node: Fields,
  at: string,
  groupIds: ReadonlySet<string>,
  columns: ReadonlyMap<string, ColumnKind>,
): void {
  if (!NODE_KIND_SET.has(node.kind)) {
    throw fault(at, ".kind", `${show(node.kind)} is not one of ${show(NODE_KINDS)}`);
  }
  text(node.op, at, ".op");
  text(node.label, at, ".label");
  text(node.module_path, at, ".module_path");
  text(node.repr, at, ".repr");
  checkParent(node.parent, groupIds, at);
  fields(node.attrs, at, ".attrs");
  for (const side of [".inputs", ".outputs"]) {
    const metas = list(node[side.slice(1)], at, side);
    for (let j = 0; j < metas.length; j += 1) checkTensor(metas[j], at, side, j);
  }
  checkStats(node.stats, columns, at, ".stats");
  const uncounted = list(node.uncounted, at, ".uncounted");
  for (let j = 0; j < uncounted.length; j += 1) {
    if (typeof uncounted[j] !== "string") text(uncounted[j], at, `.uncounted[${j}]`);
  }
  if ("error" in node) text(node.error, at, ".error");
  checkEstimated(node, at);
  if ("values" in node) checkNodeValues(node.values, at);
}

function checkGroup(
  group: Fields,
  at: string,
  groupIds: ReadonlySet<string>,
  nodeIds: ReadonlySet<string>,
  columns: ReadonlyMap<string, ColumnKind>,
): void {
  text(group.op, at, ".op");
  text(group.label, at, ".label");
  checkParent(group.parent, groupIds, at);
  list(group.children, at, ".children").forEach((child, j) => {
    if (typeof child !== "string" || !(nodeIds.has(child) || groupIds.has(child))) {
      throw fault(at, `.children[${j}]`, `${show(child)} is neither a node nor a group`);
    }
  });
  checkStats(group.stats, columns, at, ".stats");
  if ("repeat_of" in group && !groupIds.has(group.repeat_of as string)) {
    throw fault(at, ".repeat_of", `${show(group.repeat_of)} is not a group`);
  }
  if ("kind" in group && group.kind !== "structure") {
    throw fault(at, ".kind", `${show(group.kind)} is not "structure"`);
  }
  checkEstimated(group, at);
}

function checkEstimated(item: Fields, at: string): void {
  if (!("estimated" in item)) return;
  list(item.estimated, at, ".estimated").forEach((assumption, j) => {
    text(assumption, at, `.estimated[${j}]`);
  });
}

const DIFF_STATUS_SET: ReadonlySet<unknown> = new Set(DIFF_STATUSES);

/** The section a merged (diff) payload adds: both sides' totals, the delta columns, a status for
 * every node and group. */
export function checkDiff(
  value: unknown,
  members: ReadonlySet<string>,
  columns: ReadonlyMap<string, ColumnKind>,
): void {
  const diff = fields(value, "diff");
  const totals = fields(diff.totals, "diff", ".totals");
  for (const side of ["a", "b"]) {
    fields(diff[side], "diff", `.${side}`);
    checkStats(totals[side], columns, "diff", `.totals.${side}`);
  }
  const names = list(diff.names, "diff", ".names");
  if (names.length !== 2 || !names.every((n) => typeof n === "string")) {
    throw fault("diff", ".names", `expected two strings, got ${show(names)}`);
  }
  for (const [delta, base] of Object.entries(fields(diff.deltas, "diff", ".deltas"))) {
    if (!columns.has(delta) || typeof base !== "string" || !columns.has(base)) {
      throw fault(
        "diff",
        `.deltas.${delta}`,
        `${show(delta)} and ${show(base)} must both be declared columns`,
      );
    }
  }
  const items = fields(diff.items, "diff", ".items");
  const missing = [...members].filter((m) => !(m in items));
  if (missing.length > 0)
    throw fault("diff", ".items", `no status for ${show(missing.sort().slice(0, 5))}`);
  for (const [member, raw] of Object.entries(items)) {
    const at = `diff.items[${show(member)}]`;
    if (!members.has(member)) throw fault(at, "", `${show(member)} is neither a node nor a group`);
    const item = fields(raw, at);
    if (!DIFF_STATUS_SET.has(item.status)) {
      throw fault(at, ".status", `${show(item.status)} is not one of ${show(DIFF_STATUSES)}`);
    }
    for (const side of ["a", "b"]) {
      if (item[side] !== null && item[side] !== undefined) text(item[side], at, `.${side}`);
    }
    list(item.changes ?? [], at, ".changes").forEach((change, j) => {
      text(fields(change, at, `.changes[${j}]`).field, at, `.changes[${j}].field`);
    });
  }
}

/** Every member without a parent is listed in `roots`, once, and nothing else is. */
function checkRoots(value: unknown, members: readonly Fields[]): void {
  const roots = list(value, "roots");
  const parentless = new Set(members.filter((m) => m.parent === null).map((m) => m.id));
  const seen = new Set<unknown>();
  roots.forEach((root, i) => {
    if (!parentless.has(root)) {
      throw fault(`roots[${i}]`, "", `${show(root)} is not a node or group without a parent`);
    }
    if (seen.has(root)) throw fault(`roots[${i}]`, "", `${show(root)} is listed twice`);
    seen.add(root);
  });
  const missing = [...parentless].filter((id) => !seen.has(id));
  if (missing.length > 0) {
    throw fault("roots", "", `the top-level members ${show(missing.slice(0, 5))} are missing`);
  }
}

function checkEdge(value: unknown, at: string, nodeIds: ReadonlySet<string>): void {
  const edge = fields(value, at);
  for (const end of ["source", "target"]) {
    if (!nodeIds.has(edge[end] as string)) {
      throw fault(at, `.${end}`, `${show(edge[end])} is not a node`);
    }
  }
  checkShape(edge.shape, at, ".shape");
  text(edge.dtype, at, ".dtype");
}

function checkParent(value: unknown, groupIds: ReadonlySet<string>, at: string): void {
  if (value !== null && !groupIds.has(value as string)) {
    throw fault(at, ".parent", `${show(value)} is not a group`);
  }
}

/** Every key a declared column, every value null or of its column's kind. */
export function checkStats(
  value: unknown,
  columns: ReadonlyMap<string, ColumnKind>,
  at: string,
  field = "",
): void {
  const stats = fields(value, at, field);
  for (const key in stats) {
    const kind = columns.get(key);
    if (kind === undefined) {
      throw fault(at, `${field}.${key}`, `${show(key)} is not a declared column`);
    }
    const stat = stats[key];
    if (stat === null) continue;
    if (kind === "shape") {
      const shapes = list(stat, at, `${field}.${key}`);
      for (let j = 0; j < shapes.length; j += 1) checkShape(shapes[j], at, `${field}.${key}`, j);
    } else if (typeof stat !== (kind === "text" ? "string" : "number")) {
      const wanted = kind === "text" ? "a string" : "a number";
      throw fault(
        at,
        `${field}.${key}`,
        `expected ${wanted} or null (a ${kind} column), got ${kindOf(stat)}`,
      );
    }
  }
}

/** A tensor's shape and dtype at `at` + `field` + `[index]` (no index: the field itself). */
function checkTensor(value: unknown, at: string, field: string, index: number): void {
  const meta = fields(value, at, `${field}[${index}]`);
  checkShape(meta.shape, at, `${field}[${index}].shape`);
  text(meta.dtype, at, `${field}[${index}].dtype`);
}

export function checkShape(value: unknown, at: string, field: string, index?: number): void {
  if (Array.isArray(value) && value.every((d) => Number.isInteger(d) && d >= 0)) return;
  const where = index === undefined ? field : `${field}[${index}]`;
  list(value, at, where);
  throw fault(at, where, `expected a list of non-negative ints, got ${show(value)}`);
}

function records(value: unknown, at: string): Fields[] {
  return list(value, at).map((item, i) => fields(item, `${at}[${i}]`));
}

function uniqueIds(items: readonly Fields[], at: string): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, i) => {
    const id = item.id;
    if (typeof id !== "string") text(id, `${at}[${i}]`, ".id");
    if (ids.has(id as string)) throw fault(`${at}[${i}]`, ".id", `${show(id)} is used twice`);
    ids.add(id as string);
  });
  return ids;
}
