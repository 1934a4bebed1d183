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

/** How a query matches text: a test, or why the query cannot be used; null for an empty query. */
export type Matcher = { test: (value: string) => boolean } | { error: string } | null;

/**
 * A plain query matches as a case-insensitive substring; `/pattern/` (optionally `/pattern/i`)
 * is a regular expression. The search box and the table's filter share this one rule.
 */
export function matcher(query: string): Matcher {
  const text = query.trim();
  if (text === "") return null;
  const regex = /^\/(.+)\/([a-z]*)$/.exec(text);
  if (regex === null) {
    const needle = text.toLowerCase();
    return { test: (value) => value.toLowerCase().includes(needle) };
  }
  try {
    const pattern = new RegExp(regex[1] as string, regex[2]);
    return { test: (value) => pattern.test(value) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Nodes and groups whose id, name, type or module path match `query`, in call order. */
export function search(hierarchy: Hierarchy, query: string, limit = 200): SearchResult {
  const match = matcher(query);
  if (match === null) return { hits: [], total: 0, error: null };
  if ("error" in match) return { hits: [], total: 0, error: match.error };
  const { test } = match;
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
