/**
 * What a schema-2 wire's entries say, checked on the wire itself (column by column, each table
 * entry once) as src/torchscope/wire_entries.py does: the expanded document is then valid by
 * construction, so `decodeWire` does not check it again. The parts the wire carries as they are
 * in the document (model, columns, totals, step, diff) go through ./validate's own checks.
 */

import type { ColumnKind, Wire, WireStats } from "./types";
import {
  checkColumns,
  checkDiff,
  checkModel,
  checkNodeValues,
  checkOrigin,
  checkShape,
  checkStats,
} from "./validate";
import { type Fields, fault, fields, kindOf, list, show } from "./validate-fields";
import { checkStep } from "./validate-step";

const NUMERIC: ReadonlySet<ColumnKind> = new Set(["count", "bytes", "value"]);

/** Check the entries of a wire whose columns `checkWire` accepted; `ids` are its members' ids. */
export function checkEntries(wire: Wire, ids: readonly string[]): void {
  checkModel(wire.model);
  const columns = checkColumns(wire.columns);
  const nGroups = wire.groups.name.length;
  const who = (member: number): string =>
    ` (${member < nGroups ? "group" : "node"} ${show(ids[member])})`;
  const seen = new Map<string, number>();
  ids.forEach((id, member) => {
    const first = seen.get(id);
    if (first !== undefined) {
      const [part, at] = member < nGroups ? ["groups", member] : ["nodes", member - nGroups];
      throw fault(`${part}.name[${at}]`, "", `the id ${show(id)} is also member ${first}'s`);
    }
    seen.set(id, member);
  });
  checkOrigin(wire.model as unknown as Fields, new Set(ids.slice(nGroups)));
  wire.types.forEach(([shape], t) => {
    checkShape(shape, `types[${t}]`, "[0]");
  });
  const node = (i: number): string => who(nGroups + i);
  const group = (g: number): string => who(g);
  const n = wire.nodes;
  sparseTexts(n.label, "nodes.label", node);
  sparseTexts(n.module_path, "nodes.module_path", node);
  sparseTexts(n.error, "nodes.error", node);
  sparseLists(n.uncounted, "nodes.uncounted", node);
  sparseLists(n.estimated, "nodes.estimated", node);
  for (const [i, values] of Object.entries(n.values)) {
    checkNodeValues(values, `nodes[${i}]`);
  }
  checkStatColumns(n.stats, columns, "nodes", node, true);
  const g = wire.groups;
  sparseTexts(g.label, "groups.label", group);
  sparseLists(g.estimated, "groups.estimated", group);
  for (const [i, attrs] of Object.entries(g.attrs)) fields(attrs, `groups.attrs.${i}`);
  for (const [i, kind] of Object.entries(g.kind)) {
    if (kind !== "structure") {
      throw fault(`groups.kind.${i}`, "", `${show(kind)} is not "structure"${group(Number(i))}`);
    }
  }
  checkStatColumns(g.stats, columns, "groups", group, false);
  checkStats(wire.totals, columns, "totals");
  if (wire.step !== undefined) checkStep(wire.step, n.name.length);
  if (wire.diff !== undefined) checkDiff(wire.diff, new Set(ids), columns);
}

function sparseTexts(
  part: Record<string, unknown>,
  where: string,
  who: (i: number) => string,
): void {
  for (const [i, value] of Object.entries(part)) {
    if (typeof value !== "string") {
      throw fault(`${where}.${i}`, "", `expected a string, got ${kindOf(value)}${who(Number(i))}`);
    }
  }
}

function sparseLists(
  part: Record<string, unknown>,
  where: string,
  who: (i: number) => string,
): void {
  for (const [i, value] of Object.entries(part)) {
    list(value, `${where}.${i}`).forEach((item, j) => {
      if (typeof item !== "string") {
        throw fault(
          `${where}.${i}[${j}]`,
          "",
          `expected a string, got ${kindOf(item)}${who(Number(i))}`,
        );
      }
    });
  }
}

/** Every key of every set a declared column; every written value null or of its column's kind. */
function checkStatColumns(
  stats: WireStats,
  columns: ReadonlyMap<string, ColumnKind>,
  where: string,
  who: (i: number) => string,
  shapes: boolean,
): void {
  stats.sets.forEach((keys, s) => {
    for (const key of keys) {
      if (!columns.has(key)) {
        throw fault(`${where}.stats.sets[${s}]`, "", `${show(key)} is not a declared column`);
      }
    }
  });
  for (const [key, source] of Object.entries(stats.derived)) {
    const kind = columns.get(key);
    const from =
      shapes && (source === "outputs" || source === "inputs") ? "shape" : columns.get(source);
    if (
      kind === undefined ||
      !(kind === from || (NUMERIC.has(kind) && NUMERIC.has(from as ColumnKind)))
    ) {
      throw fault(
        `${where}.stats.derived.${key}`,
        "",
        `a ${String(kind)} column cannot be read from ${show(source)} (${String(from)})`,
      );
    }
  }
  for (const [key, values] of Object.entries(stats.values)) {
    const kind = columns.get(key);
    if (kind === undefined) {
      throw fault(`${where}.stats.values.${key}`, "", `${show(key)} is not a declared column`);
    }
    const at = `${where}.stats.values.${key}`;
    values.forEach((value, i) => {
      if (value === null) return;
      if (kind === "shape") {
        list(value, `${at}[${i}]`).forEach((shape, j) => {
          checkShape(shape, `${at}[${i}]`, `[${j}]`);
        });
      } else if (typeof value !== (kind === "text" ? "string" : "number")) {
        const wanted = kind === "text" ? "a string" : "a number";
        throw fault(
          `${at}[${i}]`,
          "",
          `expected ${wanted} or null (a ${kind} column), got ${kindOf(value)}${who(i)}`,
        );
      }
    });
  }
}
