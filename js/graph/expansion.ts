/**
 * Pure: the first view's expansion. It opens the module hierarchy level by level, as deep as the
 * picture stays legible when fitted: at most 40 boxes, and a longest chain short enough that, fitted
 * into the widget's height, a box still shows its type and name (a long chain, fitted, shrinks every
 * label). Both were set from screenshots of the gallery models at 1400×1000 and in a 900 px Lab
 * cell. Returned structures (a cache, a ModelOutput) stay closed: they are one box until asked.
 */

import type { Hierarchy } from "./hierarchy";
import type { VisibleGraph } from "./shown";
import { type VisibleOptions, visible } from "./visible";

export interface Budget {
  boxes: number;
  ranks: number;
}

export const FIRST_VIEW: Budget = { boxes: 40, ranks: 26 };

/** The diagram's share of the widget's height (the toolbar and the table take the rest). */
const DIAGRAM_SHARE = 0.7;
/** One rank of boxes along the flow, in drawing units: a box and the gap to the next. */
const RANK_PITCH = 88;
/** The zoom at which a fitted box still shows its type and its name (js/views/text.ts). */
const NAMED_ZOOM = 0.38;

/** The first view's budget for a widget `height` pixels tall. */
export function budgetFor(height: number): Budget {
  const ranks = Math.floor((height * DIAGRAM_SHARE) / (RANK_PITCH * NAMED_ZOOM));
  return { boxes: FIRST_VIEW.boxes, ranks: Math.max(8, Math.min(FIRST_VIEW.ranks, ranks)) };
}

/** How a container's frame (title bar and padding) compares with one rank of boxes. */
const FRAME_RANKS = 0.5;

/**
 * The deepest uniform expansion within `budget`: expand every module group at depth 0, then 1,
 * ... while the view stays within it. A huge model opens collapsed to its top-level blocks; a
 * small one opens fully.
 */
export function defaultExpanded(
  hierarchy: Hierarchy,
  budget: Budget = FIRST_VIEW,
  options: VisibleOptions = { fold: true },
): string[] {
  let expanded: string[] = [];
  for (let depth = 0; ; depth += 1) {
    const level = hierarchy.graph.groups
      .filter((g) => hierarchy.depth(g.id) === depth && !hierarchy.isStructure(g.id))
      .map((g) => g.id);
    if (level.length === 0) return expanded;
    const next = [...expanded, ...level];
    const shown = visible(hierarchy, next, options);
    if (shown.items.length > budget.boxes || ranks(shown) > budget.ranks) return expanded;
    expanded = next;
  }
}

/**
 * The length of the drawing along the flow, in ranks of boxes: the longest chain of edges between
 * boxes, plus the frames of the containers it passes through (counted for every container, which
 * overestimates side-by-side ones: a cheap bound, no layout).
 */
export function ranks(shown: VisibleGraph): number {
  const order = new Map(shown.items.map((item, i) => [item.id, i]));
  const into = new Map<string, string[]>();
  for (const edge of shown.edges) {
    const list = into.get(edge.target) ?? [];
    list.push(edge.source);
    into.set(edge.target, list);
  }
  // items are in call order, so each edge's source comes before its target (a cycle cannot
  // lengthen the chain: an edge back to a later item is ignored)
  const length = new Map<string, number>();
  let longest = 0;
  for (const item of shown.items) {
    let best = 0;
    for (const source of into.get(item.id) ?? []) {
      if ((order.get(source) ?? Number.POSITIVE_INFINITY) < (order.get(item.id) ?? 0)) {
        best = Math.max(best, length.get(source) ?? 0);
      }
    }
    const mine = best + (item.kind === "stub" ? 0.4 : 1);
    length.set(item.id, mine);
    longest = Math.max(longest, mine);
  }
  return longest + FRAME_RANKS * shown.containers.length;
}
