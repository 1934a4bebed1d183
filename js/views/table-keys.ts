/**
 * The table's keyboard: arrows, Home and End move the selection along the rows; right and left
 * open and close a group (left on a closed row goes to its parent); Enter toggles.
 */

import type { Row } from "../graph/rows";
import type { Store } from "../store";

/** What each key does with the rows as listed, `index` being the selected row's (or -1). */
export function rowKeyActions(
  rows: readonly Row[],
  index: number,
  store: Store,
): Record<string, () => void> {
  const row = rows[index];
  const go = (i: number): void => {
    const next = rows[Math.min(rows.length - 1, Math.max(0, i))];
    if (next !== undefined) store.select(next.select);
  };
  return {
    ArrowDown: () => go(index + 1),
    ArrowUp: () => go(index < 0 ? 0 : index - 1),
    Home: () => go(0),
    End: () => go(rows.length - 1),
    ArrowRight: () => {
      if (row?.toggle === "expand") store.toggle(row.id);
    },
    ArrowLeft: () => {
      if (row?.toggle === "collapse") store.toggle(row.id);
      else if (row?.parent != null) store.select(row.parent);
    },
    Enter: () => {
      if (row?.toggle != null) store.toggle(row.id);
    },
  };
}
