/**
 * Pure: broadcast sources drawn once per consumer. A tensor that feeds many blocks (rotary cos/sin,
 * an attention mask, position ids, a timestep embedding, an encoder's output read by every decoder
 * layer) would otherwise send k long edges across the drawing, which costs both legibility and
 * layout time. Such a source keeps its edge to its first consumer; every other consumer gets a
 * short labelled stub in front of it, and a click on a stub selects the source.
 *
 * The rule: a box feeding at least BROADCAST_MIN distinct boxes is a broadcast source when it is a
 * side input — nothing it stands for is reachable from the main input (the first one: the first
 * positional argument, such as `input_ids` or a diffusion model's `sample`) — or when its consumers lie in at least three instances of one repeated block. Dense
 * connectivity on the main path (DenseNet's concatenations, whose layers are not repeats of each
 * other; ResNet's identities, with two consumers) keeps its edges.
 */

import type { Hierarchy } from "./hierarchy";
import { addStub, type Item, type VisibleEdge, type VisibleGraph } from "./shown";

export const BROADCAST_MIN = 4;
/** Instances of one repeated block that make a source a broadcast even on the main path. */
const REPEATED_BLOCKS = 3;

interface Facts {
  /** Payload nodes reachable from the main input. */
  spine: Set<string>;
  /** Groups some later sibling repeats. */
  repeated: Set<string>;
}

const facts = new WeakMap<Hierarchy, Facts>();

function factsOf(hierarchy: Hierarchy): Facts {
  const known = facts.get(hierarchy);
  if (known !== undefined) return known;
  const out = new Map<string, string[]>();
  for (const edge of hierarchy.graph.edges) {
    const list = out.get(edge.source) ?? [];
    list.push(edge.target);
    out.set(edge.source, list);
  }
  // the main input is the first one: the first positional argument (`input_ids`, `sample`)
  const main = hierarchy.graph.nodes.find((node) => node.kind === "input");
  const spine = new Set<string>();
  if (main !== undefined) {
    const queue = [main.id];
    spine.add(main.id);
    for (let head = 0; head < queue.length; head += 1) {
      for (const next of out.get(queue[head] as string) ?? []) {
        if (!spine.has(next)) {
          spine.add(next);
          queue.push(next);
        }
      }
    }
  }
  const repeated = new Set<string>();
  for (const group of hierarchy.graph.groups) {
    if (group.repeat_of !== undefined) repeated.add(group.repeat_of);
  }
  const made = { spine, repeated };
  facts.set(hierarchy, made);
  return made;
}

/** Replace the long edges of every broadcast source in `graph` by stubs (see the header). */
export function stubBroadcasts(graph: VisibleGraph, hierarchy: Hierarchy): void {
  const { spine, repeated } = factsOf(hierarchy);
  const items = new Map(graph.items.map((item, i) => [item.id, { item, order: i }]));
  const onSpine = new Set<string>();
  for (const node of spine) {
    const box = graph.representative.get(node);
    if (box !== undefined) onSpine.add(box);
  }
  const bySource = new Map<string, VisibleEdge[]>();
  for (const edge of graph.edges) {
    const list = bySource.get(edge.source) ?? [];
    list.push(edge);
    bySource.set(edge.source, list);
  }
  const family = (group: string): string | undefined => {
    const record = hierarchy.groups.get(group);
    if (record?.repeat_of !== undefined) return record.repeat_of;
    return repeated.has(group) ? group : undefined;
  };
  const blockOf = (item: Item): [string, string] | undefined => {
    const start = item.group?.id ?? item.node?.id ?? item.id;
    const chain =
      item.group === undefined
        ? hierarchy.ancestors(start)
        : [start, ...hierarchy.ancestors(start)];
    for (const group of chain) {
      const kind = family(group);
      if (kind !== undefined) return [kind, group];
    }
    return undefined;
  };
  const inRepeatedBlocks = (targets: readonly Item[]): boolean => {
    const blocks = new Map<string, Set<string>>();
    for (const target of targets) {
      const found = blockOf(target);
      if (found === undefined) continue;
      const [kind, block] = found;
      const set = blocks.get(kind) ?? new Set();
      set.add(block);
      blocks.set(kind, set);
      if (set.size >= REPEATED_BLOCKS) return true;
    }
    return false;
  };

  const dropped = new Set<VisibleEdge>();
  for (const [source, edges] of bySource) {
    const from = items.get(source)?.item;
    if (from === undefined || from.kind === "stub" || edges.length < BROADCAST_MIN) continue;
    const targets = edges
      .map((edge) => ({ edge, found: items.get(edge.target) }))
      .filter(
        (t): t is { edge: VisibleEdge; found: { item: Item; order: number } } =>
          t.found !== undefined,
      )
      .sort((a, b) => a.found.order - b.found.order);
    const side = !onSpine.has(source);
    if (!side && !inRepeatedBlocks(targets.map((t) => t.found.item))) continue;
    for (const { edge } of targets.slice(1)) {
      dropped.add(edge);
      addStub(graph, {
        id: `stub:${source}>${edge.target}`,
        of: from.kind === "fold" ? (from.members?.[0] ?? source) : source,
        label: labelOf(from),
        consumer: edge.target,
        edge,
        marks: [],
      });
    }
  }
  // addStub appended the stubs' own edges; drop the long ones they replace
  graph.edges = graph.edges.filter((edge) => !dropped.has(edge));
}

function labelOf(item: Item): string {
  if (item.kind === "fold") return `${item.group?.op ?? ""} ×${item.members?.length ?? 0}`;
  return item.node?.label ?? item.group?.label ?? item.id;
}
