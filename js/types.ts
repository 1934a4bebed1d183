/**
 * The wire contract: the JSON layout of the `graph` trait, mirroring src/torchscope/schema.py.
 * Change both files (and tests/golden/payload_v1.json) together.
 */

export const SCHEMA_VERSION = 1;

export type NodeKind = "input" | "module" | "function" | "output";
export type ColumnKind = "count" | "bytes" | "shape" | "text";
export type StatValue = number | string | number[][] | null;
export type AttrValue = string | number | boolean | null | number[];

export interface TensorMeta {
  shape: number[];
  dtype: string;
}

export interface ModelInfo {
  name: string;
  input_shapes: number[][];
  device: string;
  dtype: string;
  torch_version: string;
  /** How the model was drawn where that is not obvious (unwrapped from torch.compile, say). */
  notes?: string[];
}

export interface Column {
  key: string;
  label: string;
  unit: string;
  kind: ColumnKind;
}

export interface GraphNode {
  id: string;
  kind: NodeKind;
  op: string;
  label: string;
  parent: string | null;
  module_path: string;
  attrs: Record<string, AttrValue>;
  repr: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  stats: Record<string, StatValue>;
  uncounted: string[];
  error?: string;
  /** The assumptions, in words, its counts rest on: only in a model estimated on meta. */
  estimated?: string[];
}

export interface Group {
  id: string;
  op: string;
  label: string;
  parent: string | null;
  children: string[];
  stats: Record<string, StatValue>;
  repeat_of?: string;
  /** The assumptions its nodes' counts rest on. */
  estimated?: string[];
  /** "structure": a returned (or passed-in) structure such as a cache, not a module call. */
  kind?: "structure";
  /** What the module is beyond its type: an experts module's experts, top_k, params_per_expert. */
  attrs?: Record<string, AttrValue>;
}

export interface Edge {
  source: string;
  target: string;
  shape: number[];
  dtype: string;
}

export type DiffStatus = "same" | "changed" | "added" | "removed";
export const DIFF_STATUSES: readonly DiffStatus[] = ["same", "changed", "added", "removed"];

/** One fact of a pair that differs (`op`, `attrs.kernel_size`, `outputs`, `macs`...). */
export interface DiffChange {
  field: string;
  a: unknown;
  b: unknown;
}

/** How one node or group of a merged (diff) payload compares: its status and ids on each side. */
export interface DiffItem {
  status: DiffStatus;
  a: string | null;
  b: string | null;
  changes?: DiffChange[];
  wrapper?: boolean;
}

/** What a payload drawn from two models adds (src/torchscope/diff/payload.py). */
export interface DiffSection {
  a: ModelInfo;
  b: ModelInfo;
  names: [string, string];
  totals: { a: Record<string, StatValue>; b: Record<string, StatValue> };
  /** Delta column key → the column it is the delta of. */
  deltas: Record<string, string>;
  items: Record<string, DiffItem>;
}

export interface Payload {
  schema: number;
  model: ModelInfo;
  columns: Column[];
  nodes: GraphNode[];
  groups: Group[];
  edges: Edge[];
  /** Members without a parent (inputs, top-level groups and nodes, outputs), in call order. */
  roots: string[];
  totals: Record<string, StatValue>;
  /** Only when the payload compares two models. */
  diff?: DiffSection;
}

export type Orientation = "TB" | "LR";

/** The synced traits of ModelView (src/torchscope/widget.py). */
export interface Traits {
  graph: Payload;
  orientation: Orientation;
  selected: string;
  expanded: string[];
  metric: string;
  height: number;
  /** Draw bookkeeping ops as boxes instead of markers on their edges. */
  bookkeeping: boolean;
}

/** Why a value is not a valid payload, naming the field (e.g. `nodes[3].parent`). */
export class SchemaError extends Error {
  override name = "SchemaError";
}

/**
 * Check the parts of a payload the front end relies on: the version, unique ids, and that every
 * edge end, parent and group child exists. Throws SchemaError naming the first bad field.
 */
export function validatePayload(value: unknown): Payload {
  if (typeof value !== "object" || value === null) {
    throw new SchemaError("payload: expected an object");
  }
  const p = value as Partial<Payload>;
  if (p.schema !== SCHEMA_VERSION) {
    throw new SchemaError(`schema: expected ${SCHEMA_VERSION}, got ${String(p.schema)}`);
  }
  for (const key of ["columns", "nodes", "groups", "edges", "roots"] as const) {
    if (!Array.isArray(p[key])) throw new SchemaError(`${key}: expected a list`);
  }
  const payload = value as Payload;
  const groupIds = uniqueIds(payload.groups, "groups");
  const nodeIds = uniqueIds(payload.nodes, "nodes");
  payload.nodes.forEach((node, i) => {
    if (!["input", "module", "function", "output"].includes(node.kind)) {
      throw new SchemaError(`nodes[${i}].kind: ${JSON.stringify(node.kind)} is not a node kind`);
    }
    if (node.parent !== null && !groupIds.has(node.parent)) {
      throw new SchemaError(`nodes[${i}].parent: ${JSON.stringify(node.parent)} is not a group`);
    }
  });
  payload.groups.forEach((group, i) => {
    if (group.parent !== null && !groupIds.has(group.parent)) {
      throw new SchemaError(`groups[${i}].parent: ${JSON.stringify(group.parent)} is not a group`);
    }
    group.children.forEach((child, j) => {
      if (!nodeIds.has(child) && !groupIds.has(child)) {
        throw new SchemaError(`groups[${i}].children[${j}]: ${JSON.stringify(child)} is unknown`);
      }
    });
  });
  payload.edges.forEach((edge, i) => {
    for (const end of ["source", "target"] as const) {
      if (!nodeIds.has(edge[end])) {
        throw new SchemaError(`edges[${i}].${end}: ${JSON.stringify(edge[end])} is not a node`);
      }
    }
  });
  if (payload.diff !== undefined) validateDiff(payload.diff, new Set([...nodeIds, ...groupIds]));
  return payload;
}

function validateDiff(diff: DiffSection, members: Set<string>): void {
  if (typeof diff !== "object" || diff === null || typeof diff.items !== "object") {
    throw new SchemaError("diff.items: expected an object");
  }
  for (const member of members) {
    const item = diff.items[member];
    if (item === undefined)
      throw new SchemaError(`diff.items: no status for ${JSON.stringify(member)}`);
    if (!DIFF_STATUSES.includes(item.status)) {
      throw new SchemaError(
        `diff.items[${JSON.stringify(member)}].status: ${JSON.stringify(item.status)} is not a status`,
      );
    }
  }
}

function uniqueIds(items: { id: string }[], where: string): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, i) => {
    if (typeof item.id !== "string") throw new SchemaError(`${where}[${i}].id: expected a string`);
    if (ids.has(item.id)) {
      throw new SchemaError(`${where}[${i}].id: ${JSON.stringify(item.id)} is used twice`);
    }
    ids.add(item.id);
  });
  return ids;
}
