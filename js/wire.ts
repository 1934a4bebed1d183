/**
 * The front end's decoder of the compact wire (schema 2, src/torchscope/wire.py): the one JS
 * module that knows its layout. `decodeWire` turns a `graph` trait of schema 1 or 2 into the
 * expanded Payload the views read, checked on the wire (./wire-checks: the columns hold together;
 * ./wire-entries: what they say), so pages saved with schema 1 (checked by ./validate) still open.
 */

import {
  type Column,
  type Edge,
  type GraphNode,
  type Group,
  NODE_KINDS,
  type Payload,
  SCHEMA_VERSION,
  type StatValue,
  type TensorMeta,
  WIRE_VERSION,
  type Wire,
  type WireStats,
} from "./types";
import { validatePayload } from "./validate";
import { fault, show } from "./validate-fields";
import { checkWire, memberIds } from "./wire-checks";
import { checkEntries } from "./wire-entries";

const NODE_SPARSE = ["error", "estimated", "values"] as const;
const GROUP_SPARSE = ["estimated", "attrs", "kind"] as const;

/**
 * Check a `graph` trait and return the document it carries: a schema-1 payload is the document
 * itself; a schema-2 wire is checked column by column, then expanded (valid by construction).
 * Throws SchemaError naming the field and, for a member's entry, the member.
 */
export function decodeWire(value: unknown): Payload {
  const version = (value as { schema?: unknown } | null)?.schema;
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    version !== WIRE_VERSION
  ) {
    if (version !== SCHEMA_VERSION && typeof value === "object" && value !== null) {
      throw fault(
        "schema",
        "",
        `expected ${SCHEMA_VERSION} or ${WIRE_VERSION}, got ${show(version)}`,
      );
    }
    return validatePayload(value);
  }
  const wire = checkWire(value);
  const tree = memberIds(wire);
  checkEntries(wire, tree.ids);
  return expand(wire, tree);
}

/** The document of a wire that `checkWire` and `checkEntries` accepted (`tree`: its memberIds). */
export function expand(wire: Wire, tree = memberIds(wire)): Payload {
  const { nodes: partN, groups: partG, strings, types } = wire;
  const nGroups = partG.name.length;
  const { parent, ids } = tree;
  const meta = (t: number): TensorMeta => {
    const [shape, dtype] = types[t] as [number[], number];
    return { shape: [...shape], dtype: strings[dtype] as string };
  };
  const outputs = partN.outputs.map((slots) => slots.map(meta));
  const incoming: TensorMeta[][] = outputs.map(() => []);
  const { source, target, slot } = wire.edges;
  const edges: Edge[] = source.map((from, e) => {
    const to = target[e] as number;
    const at = slot[e] as number;
    const tensor = at >= 0 ? (outputs[from]?.[at] as TensorMeta) : meta(-1 - at);
    incoming[to]?.push({ shape: [...tensor.shape], dtype: tensor.dtype });
    return {
      source: ids[nGroups + from] as string,
      target: ids[nGroups + to] as string,
      shape: [...tensor.shape],
      dtype: tensor.dtype,
    };
  });
  const inputs = outputs.map((_, i) => partN.inputs[String(i)]?.map(meta) ?? incoming[i] ?? []);
  const nodeStats = expandStats(partN.stats, { outputs, inputs });
  const idOf = (member: number | null): string | null =>
    member === null ? null : (ids[member] as string);
  const nodes: GraphNode[] = partN.kind.map((kind, i) => {
    const key = String(i);
    const op = strings[partN.op[i] as number] as string;
    const id = ids[nGroups + i] as string;
    const node: GraphNode = {
      id,
      kind: NODE_KINDS[kind] as GraphNode["kind"],
      op,
      label: partN.label[key] ?? (NODE_KINDS[kind] === "function" ? op : id),
      parent: idOf(parent[nGroups + i] ?? null),
      module_path:
        partN.module_path[key] ?? (NODE_KINDS[kind] === "module" ? (id.split("#")[0] ?? id) : ""),
      attrs: { ...wire.attrs[partN.attrs[i] as number] },
      repr: strings[partN.repr[i] as number] as string,
      inputs: inputs[i] as TensorMeta[],
      outputs: outputs[i] as TensorMeta[],
      stats: nodeStats[i] as Record<string, StatValue>,
      uncounted: [...(partN.uncounted[key] ?? [])],
    };
    for (const field of NODE_SPARSE) {
      if (key in partN[field]) Object.assign(node, { [field]: partN[field][key] });
    }
    return node;
  });
  const groupStats = expandStats(partG.stats, {});
  const groups: Group[] = partG.children.map((kids, g) => {
    const key = String(g);
    const id = ids[g] as string;
    const group: Group = {
      id,
      op: strings[partG.op[g] as number] as string,
      label: partG.label[key] ?? id,
      parent: idOf(parent[g] ?? null),
      children: kids.map((c) => ids[c] as string),
      stats: groupStats[g] as Record<string, StatValue>,
    };
    for (const field of GROUP_SPARSE) {
      if (key in partG[field]) Object.assign(group, { [field]: partG[field][key] });
    }
    const repeat = partG.repeat_of[key];
    if (repeat !== undefined) group.repeat_of = ids[repeat] as string;
    return group;
  });
  const document: Payload = {
    schema: SCHEMA_VERSION,
    model: wire.model,
    columns: wire.columns as Column[],
    nodes,
    groups,
    edges,
    roots: wire.roots.map((r) => ids[r] as string),
    totals: wire.totals,
  };
  if (wire.step !== undefined) document.step = wire.step;
  if (wire.diff !== undefined) document.diff = wire.diff;
  return document;
}

/** Each member's stats object, from the part's columns (see `_stats` in wire.py). */
function expandStats(
  part: WireStats,
  shapes: Record<string, TensorMeta[][]>,
): Record<string, StatValue>[] {
  const { values, derived, sets } = part;
  return part.set.map((chosen, i) => {
    const stats: Record<string, StatValue> = {};
    for (const key of sets[chosen] ?? []) {
      const source = derived[key] ?? key;
      const side = shapes[source];
      stats[key] =
        side === undefined
          ? (values[source]?.[i] ?? null)
          : (side[i] ?? []).map((t) => [...t.shape]);
    }
    return stats;
  });
}
