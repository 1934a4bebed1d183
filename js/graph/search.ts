/** Pure: find nodes and groups whose id, name, type or module path match a query. */

import type { Hierarchy } from "./visible";

export interface Hit {
  id: string;
  op: string;
  label: string;
  group: boolean;
}

export interface SearchResult {
  hits: Hit[];
  /** How many matched in all (hits are capped). */
  total: number;
  /** Why the query could not be used, e.g. an invalid regular expression. */
  error: string | null;
}

/**
 * A plain query matches as a case-insensitive substring; `/pattern/` (optionally `/pattern/i`)
 * is a regular expression. Nodes and groups are searched in call order.
 */
export function search(hierarchy: Hierarchy, query: string, limit = 200): SearchResult {
  const text = query.trim();
  if (text === "") return { hits: [], total: 0, error: null };
  let test: (value: string) => boolean;
  const regex = /^\/(.+)\/([a-z]*)$/.exec(text);
  if (regex !== null) {
    try {
      const pattern = new RegExp(regex[1] as string, regex[2]);
      test = (value) => pattern.test(value);
    } catch (e) {
      return { hits: [], total: 0, error: e instanceof Error ? e.message : String(e) };
    }
  } else {
    const needle = text.toLowerCase();
    test = (value) => value.toLowerCase().includes(needle);
  }
  const hits: Hit[] = [];
  let total = 0;
  const consider = (hit: Hit, fields: readonly string[]): void => {
    if (!fields.some(test)) return;
    total += 1;
    if (hits.length < limit) hits.push(hit);
  };
  for (const node of hierarchy.graph.nodes) {
    consider({ id: node.id, op: node.op, label: node.label, group: false }, [
      node.id,
      node.label,
      node.op,
      node.module_path,
    ]);
  }
  for (const group of hierarchy.graph.groups) {
    consider({ id: group.id, op: group.op, label: group.label, group: true }, [
      group.id,
      group.label,
      group.op,
    ]);
  }
  return { hits, total, error: null };
}
