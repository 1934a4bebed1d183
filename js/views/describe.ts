/**
 * Pure: what each box says — its kind, its title and name for the overview, and its lines when
 * zoomed in. Tensor ops do not repeat their name ("view / view"); a collapsed group says what it
 * holds ("3 × Bottleneck"); a fold keeps its ×N apart so it is never cut; a returned structure says
 * how many tensors it holds.
 */

import { formatCount, formatShape } from "../format";
import type { Entry } from "../graph/visible";
import type { ViewState } from "../store";
import type { BoxKind, Line } from "./scene";

export interface Description {
  kind: BoxKind;
  op: string;
  label: string;
  detail: string;
  cost: string;
  title: string;
  suffix: string;
  name: string;
  lines: Line[];
  toggle: "expand" | "collapse" | null;
  failed: boolean;
}

/** `label` without the path of the container it is drawn in (`layer1.0.conv1` in `layer1.0`). */
export function shortName(label: string, container: string | null): string {
  if (container === null || container === "") return label;
  return label.startsWith(`${container}.`) ? label.slice(container.length + 1) : label;
}

const line = (text: string, bold = false): Line => ({ text, bold });

/** Module types that only hold other modules: a box of one is named by its path instead. */
const GENERIC: ReadonlySet<string> = new Set(["Sequential", "ModuleList", "ModuleDict"]);

export function describe(entry: Entry, state: ViewState): Description {
  const parentLabel = (parent: string | null): string | null =>
    parent === null ? null : (state.hierarchy.groups.get(parent)?.label ?? null);
  if (entry.kind === "container") {
    const { group } = entry.container;
    const structure = group.kind === "structure";
    const short = shortName(group.label, parentLabel(entry.container.parent));
    return {
      kind: "container",
      op: group.op,
      label: group.label,
      detail: "",
      cost: "",
      title: structure
        ? `${short} · ${group.op}`
        : GENERIC.has(group.op)
          ? short
          : `${group.op} · ${short}`,
      suffix: "",
      name: "",
      lines: [],
      toggle: "collapse",
      failed: false,
    };
  }
  const { item } = entry;
  const within = parentLabel(item.parent);
  if (item.kind === "stub") {
    const label = `↳ ${
      shortName(item.label ?? "", within)
        .split(".")
        .at(-1) ?? ""
    }`;
    return plain("stub", "stub", item.label ?? "", label, [line(label)]);
  }
  if (item.kind === "node" && item.node !== undefined) {
    const node = item.node;
    const shape = node.outputs[0]?.shape ?? node.inputs[0]?.shape;
    const detail = shape === undefined ? "" : formatShape(shape);
    const failed = node.error !== undefined;
    if (node.kind === "function") {
      const named = node.label !== node.op;
      const name = named ? shortName(node.label, within) : "";
      const lines = [line(node.op, true), ...(named ? [line(node.label)] : []), line(detail)];
      return { ...plain("function", node.op, node.label, node.op, lines), detail, name, failed };
    }
    const io = node.kind === "input" || node.kind === "output";
    // an output's name without the prefix every output shares (`output.logits` → `logits`)
    const short = io ? shortName(node.label, within ?? node.kind) : shortName(node.label, within);
    const lines = [line(node.op, true), line(node.label), line(detail)];
    return {
      ...plain(node.kind, node.op, node.label, io ? short : node.op, lines),
      detail,
      name: io ? detail : short,
      failed,
    };
  }
  const group = item.group;
  const members = item.members ?? [];
  const fold = item.kind === "fold";
  const ids = fold ? members : [item.id];
  const op = group?.op ?? "";
  const label = fold ? `${members[0]} … ${members[members.length - 1]}` : (group?.label ?? item.id);
  if (group?.kind === "structure") {
    const detail = `${countLeaves(state, ids)} tensors`;
    const short = shortName(group.label, within);
    return {
      ...plain("structure", op, group.label, short, [line(short, true), line(op), line(detail)]),
      detail,
      name: detail,
      toggle: "expand",
    };
  }
  const detail = holds(state, ids);
  const cost = costOf(ids, state);
  const suffix = fold ? ` ×${members.length}` : "";
  const short = fold
    ? span(
        shortName(members[0] ?? "", within),
        shortName(members[members.length - 1] ?? "", within),
      )
    : shortName(label, within);
  // a container type says nothing its contents do not: name it, and say what it holds
  const generic = !fold && GENERIC.has(op);
  return {
    kind: fold ? "fold" : "group",
    op: `${op}${suffix}`,
    label,
    detail,
    cost,
    // an index alone ("1") names nothing: keep the path it is an index in ("features.1")
    title: generic ? (/^\d+$/.test(short) ? label : short) : op,
    suffix,
    name: generic ? (detail.split(" · ")[0] ?? "") : short,
    lines: [line(op, true), line(label), line(detail), line(cost)],
    toggle: "expand",
    failed: false,
  };
}

/** A run of names as one: `h.1` to `h.11` is `h.1–11`, `layers.0` to `layers.31` `layers.0–31`. */
export function span(first: string, last: string): string {
  let common = 0;
  while (common < first.length && common < last.length && first[common] === last[common])
    common += 1;
  // cut only after a separator, so `h.1` and `h.11` share `h.`, not `h.1`
  while (common > 0 && !/[._\-\s]/.test(first[common - 1] ?? "")) common -= 1;
  return `${first}–${last.slice(common)}`;
}

function plain(
  kind: BoxKind,
  op: string,
  label: string,
  title: string,
  lines: Line[],
): Description {
  return {
    kind,
    op,
    label,
    detail: "",
    cost: "",
    title,
    suffix: "",
    name: "",
    lines,
    toggle: null,
    failed: false,
  };
}

/** What a collapsed group holds: "3 × Bottleneck · 30 layers" when its blocks are alike. */
function holds(state: ViewState, groups: readonly string[]): string {
  const layers = `${countLeaves(state, groups)} layers`;
  if (groups.length !== 1) return layers;
  const children = state.hierarchy.groups.get(groups[0] as string)?.children ?? [];
  const blocks = children
    .map((id) => state.hierarchy.groups.get(id))
    .filter((g) => g !== undefined);
  const first = blocks[0]?.op;
  if (blocks.length < 2 || blocks.some((b) => b.op !== first)) return layers;
  return `${blocks.length} × ${first} · ${layers}`;
}

/** "7.10 M params · 1.23 G FLOPs" for a collapsed group (or the blocks of a fold together). */
function costOf(groups: readonly string[], state: ViewState): string {
  const sum = (key: string): number | undefined => {
    const values = groups.map((id) => state.hierarchy.groups.get(id)?.stats[key]);
    return values.some((v) => typeof v === "number")
      ? values.reduce<number>((total, v) => total + (typeof v === "number" ? v : 0), 0)
      : undefined;
  };
  const parts: string[] = [];
  const params = sum("params");
  const flops = sum("flops");
  if (params !== undefined) parts.push(`${formatCount(params)} params`);
  if (flops !== undefined) parts.push(`${formatCount(flops)} FLOPs`);
  return parts.join(" · ");
}

function countLeaves(state: ViewState, groups: readonly string[]): number {
  let count = 0;
  const visit = (id: string): void => {
    const group = state.hierarchy.groups.get(id);
    if (group === undefined) {
      count += 1;
      return;
    }
    for (const child of group.children) visit(child);
  };
  for (const id of groups) visit(id);
  return count;
}
