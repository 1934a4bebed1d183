/**
 * The checks that a schema-2 wire's columns hold together, as src/torchscope/wire_checks.py makes
 * them and in the same order: every column has one entry per member, every number points into its
 * table, the tree is written once. Each error names the field, the position and the member.
 */

import { NODE_KINDS, type Wire } from "./types";
import { type Fields, fault, fields, kindOf, list, show, text } from "./validate-fields";

const SHAPE_SOURCES: ReadonlySet<string> = new Set(["outputs", "inputs"]);

/** Check that `value` (a schema-2 wire) can be expanded; return it typed. */
export function checkWire(value: object): Wire {
  const top = value as Fields;
  const strings = list(top.strings, "strings");
  strings.forEach((item, i) => {
    text(item, `strings[${i}]`);
  });
  list(top.attrs, "attrs").forEach((item, i) => {
    fields(item, `attrs[${i}]`);
  });
  list(top.types, "types").forEach((item, i) => {
    const pair = list(item, `types[${i}]`);
    if (pair.length !== 2 || !Array.isArray(pair[0]) || !isIndex(pair[1], strings.length)) {
      throw fault(`types[${i}]`, "", `expected [shape, dtype string number], got ${show(item)}`);
    }
  });
  const nodes = fields(top.nodes, "nodes");
  const groups = fields(top.groups, "groups");
  const nNodes = list(nodes.name, "nodes.name").length;
  const nGroups = list(groups.name, "groups.name").length;
  const members = nGroups + nNodes;
  const who = new Members(top, nGroups);
  for (const [part, count] of [
    ["groups", nGroups],
    ["nodes", nNodes],
  ] as const) {
    column(top, part, "name", count).forEach((name, i) => {
      if (typeof name !== "string") {
        throw fault(`${part}.name[${i}]`, "", `expected a string, got ${kindOf(name)}`);
      }
    });
  }
  column(top, "groups", "children", nGroups).forEach((kids, i) => {
    numbers(kids, members, `groups.children[${i}]`, () => who.say("group", i));
  });
  numbers(top.roots, members, "roots", () => "");
  numbers(top.absolute, members, "absolute", () => "");
  memberIds(top as unknown as Wire);
  checkNodes(top, nodes, nNodes, who, strings.length);
  checkGroups(groups, nGroups, who, strings.length);
  return top as unknown as Wire;
}

/**
 * Each member's parent number (null at the top) and whole id, from the tree. Not `strict` (for
 * naming members in errors), entries that break the tree are passed over and a member not
 * reached keeps its name.
 */
export function memberIds(wire: Wire, strict = true): { parent: (number | null)[]; ids: string[] } {
  const names = [...wire.groups.name, ...wire.nodes.name];
  const children = wire.groups.children;
  const absolute = new Set(wire.absolute);
  const parent: (number | null)[] = names.map(() => null);
  const ids: (string | null)[] = names.map(() => null);
  const free = (member: unknown): boolean =>
    isIndex(member, names.length) && ids[member as number] === null;
  const reached: number[] = [];
  for (const root of wire.roots) {
    if (!strict && !free(root)) continue;
    if (ids[root] !== null) {
      throw fault("roots", "", `member ${root} (${show(names[root])}) is listed twice`);
    }
    ids[root] = String(names[root]);
    reached.push(root);
  }
  for (let r = 0; r < reached.length; r += 1) {
    const member = reached[r] as number;
    for (const child of member < children.length ? (children[member] ?? []) : []) {
      if (!strict && !free(child)) continue;
      if (ids[child] !== null) {
        throw fault(
          `groups.children[${member}]`,
          "",
          `member ${child} (${show(names[child])}) is listed twice (group ${show(ids[member])})`,
        );
      }
      parent[child] = member;
      ids[child] = absolute.has(child) ? String(names[child]) : `${ids[member]}.${names[child]}`;
      reached.push(child);
    }
  }
  if (strict && reached.length !== names.length) {
    const missing = ids.indexOf(null);
    throw fault(
      "roots",
      "",
      `member ${missing} (${show(names[missing])}) is not reached from the roots`,
    );
  }
  return { parent, ids: ids.map((id, i) => id ?? String(names[i])) };
}

/** Names members in errors: ` (node "add#1")`, from the names as far as they are checked. */
class Members {
  private ids: string[] | null = null;

  constructor(
    private readonly wire: Fields,
    private readonly nGroups: number,
  ) {}

  say(what: "node" | "group", position: number): string {
    const member = what === "node" ? this.nGroups + position : position;
    this.ids ??= memberIds(this.wire as unknown as Wire, false).ids;
    return member < this.ids.length ? ` (${what} ${show(this.ids[member])})` : "";
  }
}

function checkNodes(
  top: Fields,
  part: Fields,
  count: number,
  who: Members,
  nStrings: number,
): void {
  const nTypes = (top.types as unknown[]).length;
  const nAttrs = (top.attrs as unknown[]).length;
  const bounded = [
    ["kind", NODE_KINDS.length],
    ["op", nStrings],
    ["attrs", nAttrs],
    ["repr", nStrings],
  ] as const;
  for (const [field, bound] of bounded) {
    column(top, "nodes", field, count).forEach((n, i) => {
      if (!isIndex(n, bound)) {
        throw fault(
          `nodes.${field}[${i}]`,
          "",
          `${show(n)} is not a number below ${bound}${who.say("node", i)}`,
        );
      }
    });
  }
  const outputs = column(top, "nodes", "outputs", count);
  outputs.forEach((slots, i) => {
    numbers(slots, nTypes, `nodes.outputs[${i}]`, () => who.say("node", i));
  });
  for (const [i, slots] of sparse(part, "inputs", count, "nodes")) {
    numbers(slots, nTypes, `nodes.inputs.${i}`, () => who.say("node", i));
  }
  for (const field of ["label", "module_path", "uncounted", "error", "estimated", "values"]) {
    sparse(part, field, count, "nodes");
  }
  checkStats(part.stats, count, "nodes", SHAPE_SOURCES);
  const edges = fields(top.edges, "edges");
  const ends = (["source", "target", "slot"] as const).map((end) =>
    list(edges[end], `edges.${end}`),
  );
  const [sources, targets, slots] = ends as [unknown[], unknown[], unknown[]];
  if (new Set(ends.map((c) => c.length)).size !== 1) {
    const lengths = ends.map((c) => c.length).join(", ");
    throw fault("edges", "", `source, target and slot differ in length (${lengths})`);
  }
  sources.forEach((source, i) => {
    for (const [end, node] of [
      ["source", source],
      ["target", targets[i]],
    ] as const) {
      if (!isIndex(node, count)) {
        throw fault(`edges.${end}[${i}]`, "", `${show(node)} is not a node number below ${count}`);
      }
    }
    const slot = slots[i];
    const outs = (outputs[source as number] as unknown[]).length;
    if (!Number.isInteger(slot) || (slot as number) < -nTypes || (slot as number) >= outs) {
      throw fault(
        `edges.slot[${i}]`,
        "",
        `${show(slot)} is neither one of the source's ${outs} outputs nor -1 - a type number${who.say("node", source as number)}`,
      );
    }
  });
}

function checkGroups(part: Fields, count: number, who: Members, nStrings: number): void {
  columnOf(part, "groups", "op", count).forEach((n, i) => {
    if (!isIndex(n, nStrings)) {
      throw fault(
        `groups.op[${i}]`,
        "",
        `${show(n)} is not a number below ${nStrings}${who.say("group", i)}`,
      );
    }
  });
  for (const [i, repeat] of sparse(part, "repeat_of", count, "groups")) {
    if (!isIndex(repeat, count)) {
      throw fault(
        `groups.repeat_of.${i}`,
        "",
        `${show(repeat)} is not a group number below ${count}${who.say("group", i)}`,
      );
    }
  }
  for (const field of ["label", "estimated", "attrs", "kind"]) sparse(part, field, count, "groups");
  checkStats(part.stats, count, "groups", new Set());
}

/** Key sets, a set per member, one list per written column, derived columns that resolve. */
function checkStats(
  value: unknown,
  count: number,
  where: string,
  shapes: ReadonlySet<string>,
): void {
  const stats = fields(value, `${where}.stats`);
  const sets = list(stats.sets, `${where}.stats.sets`).map((keys, i) =>
    list(keys, `${where}.stats.sets[${i}]`),
  );
  const chosen = list(stats.set, `${where}.stats.set`);
  if (chosen.length !== count) {
    throw fault(`${where}.stats.set`, "", `${chosen.length} entries for ${count} ${where}`);
  }
  numbers(chosen, sets.length, `${where}.stats.set`, () => "");
  const values = fields(stats.values, `${where}.stats.values`);
  for (const [key, col] of Object.entries(values)) {
    const entries = list(col, `${where}.stats.values.${key}`);
    if (entries.length !== count) {
      throw fault(
        `${where}.stats.values.${key}`,
        "",
        `${entries.length} values for ${count} ${where}`,
      );
    }
  }
  const derived = fields(stats.derived, `${where}.stats.derived`);
  for (const [key, source] of Object.entries(derived)) {
    if (
      key in values ||
      !(typeof source === "string" && (shapes.has(source) || source in values))
    ) {
      throw fault(
        `${where}.stats.derived.${key}`,
        "",
        `${show(source)} is not a written column or a side's shapes`,
      );
    }
  }
  sets.forEach((keys, i) => {
    for (const key of keys) {
      const name = String(key);
      if (!(name in values) && !(name in derived)) {
        throw fault(`${where}.stats.sets[${i}]`, "", `${show(key)} is neither written nor derived`);
      }
      const source = derived[name];
      if (typeof source === "string" && source in values && !keys.includes(source)) {
        throw fault(
          `${where}.stats.sets[${i}]`,
          "",
          `${show(key)} is derived from ${show(source)}, which it lacks`,
        );
      }
    }
  });
}

function column(top: Fields, part: "nodes" | "groups", field: string, count: number): unknown[] {
  return columnOf(top[part] as Fields, part, field, count);
}

function columnOf(part: Fields, where: string, field: string, count: number): unknown[] {
  const found = list(part[field], `${where}.${field}`);
  if (found.length !== count) {
    throw fault(`${where}.${field}`, "", `${found.length} entries for ${count} ${where}`);
  }
  return found;
}

/** An optional field's {position: value} object, with positions checked. */
function sparse(part: Fields, field: string, count: number, where: string): [number, unknown][] {
  return Object.entries(fields(part[field], `${where}.${field}`)).map(([key, item]) => {
    if (!/^\d+$/.test(key) || Number(key) >= count) {
      throw fault(`${where}.${field}.${key}`, "", `${show(key)} is not a position below ${count}`);
    }
    return [Number(key), item];
  });
}

function numbers(value: unknown, bound: number, where: string, who: () => string): void {
  list(value, where).forEach((n, j) => {
    if (!isIndex(n, bound)) {
      throw fault(`${where}[${j}]`, "", `${show(n)} is not a number below ${bound}${who()}`);
    }
  });
}

function isIndex(value: unknown, bound: number): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < bound;
}
