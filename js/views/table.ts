/**
 * The stats table: one row per visible box (tree mode, following the diagram's expanded groups)
 * or per leaf (flat mode), sortable by any column, filtered by the shared search text, shaded by
 * the colour metric, and virtualised (only the rows in view exist), so 20,000 rows stay fluid.
 * Selection, hover and expansion go through the store, so the diagram and Python follow.
 */

import { formatShare } from "../format";
import type { Scale } from "../graph/colour";
import { shadingScale } from "../graph/diff";
import { filterRows, flatRows, type Row, type Sort, sortRows, treeRows } from "../graph/rows";
import type { Store, ViewState } from "../store";
import type { StatValue } from "../types";
import { DIFF_COLUMNS, differencesSwitch, differingRows, rowStatus } from "./compare";
import { button } from "./dom";
import { cellFor, decorateName, markEstimated, number, type TableColumn } from "./table-cells";
import {
  allColumns,
  DEFAULT_COLUMNS,
  leastWidth,
  renderChooser,
  renderFoot,
  renderHead,
  shareKey,
  VALUE_COLUMNS,
} from "./table-head";
import { rowKeyActions } from "./table-keys";

/** Row height in pixels: fixed, so the window of rows in view is a division away. */
export const ROW_HEIGHT = 24;
/** Rows drawn beyond each edge of the view, so a fast scroll does not show gaps. */
const OVERSCAN = 8;

export interface TableHandle {
  element: HTMLElement;
  dispose(): void;
}

export function renderTable(el: HTMLElement, store: Store): TableHandle {
  const root = document.createElement("section");
  root.className = "ts-table";
  const bar = document.createElement("div");
  bar.className = "ts-table-bar";
  const mode = button("table-mode", "Flat", "List every layer, for sorting across the whole model");
  const filter = document.createElement("input");
  filter.type = "search";
  filter.className = "ts-table-filter";
  filter.placeholder = "Filter rows";
  filter.title = "Name, type or module path; /pattern/ for a regular expression";
  const chooser = document.createElement("details");
  chooser.className = "ts-columns";
  const summary = document.createElement("summary");
  summary.textContent = "Columns";
  const choices = document.createElement("div");
  choices.className = "ts-columns-list";
  chooser.append(summary, choices);
  const count = document.createElement("span");
  count.className = "ts-table-count";
  let onlyDifferences = false;
  const differences = differencesSwitch((only) => {
    onlyDifferences = only;
    update(store.current);
  });
  bar.append(mode, filter, differences.element, chooser, count);
  const scroller = document.createElement("div");
  scroller.className = "ts-table-scroll";
  scroller.tabIndex = 0;
  scroller.setAttribute("role", "grid");
  const head = document.createElement("div");
  head.className = "ts-table-head ts-table-line";
  head.setAttribute("role", "row");
  const body = document.createElement("div");
  body.className = "ts-table-body";
  const foot = document.createElement("div");
  foot.className = "ts-table-foot ts-table-line";
  foot.setAttribute("role", "row");
  scroller.append(head, body, foot);
  root.append(bar, scroller);
  el.append(root);

  let flat = false;
  let sort: Sort | null = null;
  // a diff shows its deltas from the start, a values trace what flowed through
  let shown = new Set<string>([
    ...DEFAULT_COLUMNS,
    ...(store.current.graph.diff === undefined ? [] : DIFF_COLUMNS),
    ...(store.current.graph.model.values === undefined ? [] : VALUE_COLUMNS),
  ]);
  let rows: Row[] = [];
  let derivedFrom: unknown[] = [];
  let columns: TableColumn[] = [];
  let hovered = "";
  let drawnRange = "";
  // the lines in view by row index, so a hover touches only the two whose state changes
  let drawn = new Map<number, HTMLElement>();
  // the metric's shading over all rows: recomputed when the rows or the metric change, not per draw
  let shading: { rows: Row[]; key: string; graph: unknown; scale: Scale | null } | null = null;

  const scaleFor = (state: ViewState): Scale | null => {
    const key = state.metric;
    if (shading?.rows === rows && shading.key === key && shading.graph === state.graph) {
      return shading.scale;
    }
    const known = state.graph.columns.some((c) => c.key === key);
    const leaves = rows.filter((r) => r.kind !== "container");
    const scale = known
      ? shadingScale(
          state.graph,
          key,
          leaves.map((r) => number(r.stats[key])),
        )
      : null;
    shading = { rows, key, graph: state.graph, scale };
    return scale;
  };

  const isHovered = (state: ViewState, row: Row): boolean => {
    const represented = state.visible.representative.get(row.id) ?? row.id;
    return hovered !== "" && (row.id === hovered || represented === hovered);
  };

  const markHovered = (): void => {
    const state = store.current;
    for (const [i, line] of drawn) {
      const now = isHovered(state, rows[i] as Row);
      if (line.classList.contains("ts-hovered") !== now) line.classList.toggle("ts-hovered", now);
    }
  };

  /** Recompute the rows when what they come from changed; says whether they did. */
  const derive = (state: ViewState): boolean => {
    const inputs = [state.graph, state.visible, flat, sort, store.query.value, onlyDifferences];
    if (inputs.every((v, i) => v === derivedFrom[i])) return false;
    derivedFrom = inputs;
    const all = flat ? flatRows(state.hierarchy) : treeRows(state.visible, state.hierarchy);
    const kept = differingRows(state, filterRows(all, store.query.value), onlyDifferences);
    rows = sortRows(kept, sort, state.graph.columns);
    count.textContent = `${rows.length.toLocaleString("en-US")} rows`;
    drawnRange = "";
    return true;
  };

  const buildColumns = (state: ViewState): void => {
    const all = allColumns(state, sort);
    columns = all.filter((c) => shown.has(c.key));
    root.style.setProperty("--ts-table-columns", columns.map((c) => c.width).join(" "));
    root.style.setProperty("--ts-table-min", `${leastWidth(columns)}px`);
    renderChooser(choices, all, shown, (key, show) => {
      shown = new Set(shown);
      if (show) shown.add(key);
      else shown.delete(key);
      update(store.current);
    });
    renderHead(head, columns, sort, sortBy);
    renderFoot(foot, columns, state);
  };

  const sortBy = (c: TableColumn): void => {
    // numbers start with the biggest (the question is "which layer costs most"), names with A
    if (sort?.key !== c.key) sort = { key: c.key, descending: c.numeric };
    else sort = { key: c.key, descending: !sort.descending };
    update(store.current);
  };

  const drawRows = (force = false): void => {
    const state = store.current;
    // the height first: reading scrollTop after it gets the position clamped to the new rows
    body.style.height = `${rows.length * ROW_HEIGHT}px`;
    const top = Math.max(0, scroller.scrollTop - ROW_HEIGHT);
    const height = scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const range = `${first}:${last}`;
    if (!force && range === drawnRange) return;
    drawnRange = range;
    const selectedBox = state.visible.representative.get(state.selected);
    const key = state.metric;
    const scale = scaleFor(state);
    const share = shareKey(state, sort);
    const total = number(state.graph.totals[share]);
    const fragment = document.createDocumentFragment();
    drawn = new Map();
    for (let i = first; i < last; i += 1) {
      const row = rows[i] as Row;
      const line = document.createElement("div");
      line.className = `ts-table-line ts-row ts-row-${row.kind}`;
      line.setAttribute("role", "row");
      line.dataset.rowId = row.id;
      const status = rowStatus(state, row);
      if (status !== null) line.dataset.status = status;
      line.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      const selected = row.select === state.selected || (!flat && row.id === selectedBox);
      if (selected) line.classList.add("ts-selected");
      if (isHovered(state, row)) line.classList.add("ts-hovered");
      drawn.set(i, line);
      for (const c of columns) {
        let value: StatValue | undefined;
        if (c.key === "op" || c.key === "label") value = row[c.key];
        else if (c.key === "share") value = formatShare(row.stats[share], total);
        else value = row.stats[c.key];
        const strength =
          scale !== null && c.key === key && row.kind !== "container"
            ? scale.at(number(row.stats[key]))
            : null;
        const cell = cellFor(c, value, c.key === "share" ? undefined : row.stats[c.key], strength);
        if (c.key === "label") decorateName(cell, row);
        line.append(markEstimated(cell, c, row.estimated ?? []));
      }
      fragment.append(line);
    }
    body.replaceChildren(fragment);
  };

  const scrollToSelection = (state: ViewState, fresh: boolean): void => {
    const box = state.visible.representative.get(state.selected);
    const index = rows.findIndex((r) => r.select === state.selected || (!flat && r.id === box));
    if (index < 0) {
      // new rows without the selection among them: start from the first
      if (fresh) scroller.scrollTop = 0;
      return;
    }
    const top = index * ROW_HEIGHT;
    // the header row is sticky at the top and the totals at the bottom of the scroller
    const viewTop = scroller.scrollTop;
    const viewBottom = viewTop + (scroller.clientHeight || 400) - 2 * ROW_HEIGHT;
    if (top < viewTop || top + ROW_HEIGHT > viewBottom) {
      scroller.scrollTop = Math.max(0, top - (scroller.clientHeight || 400) / 2);
    }
  };

  // a table opened with a selection shows it
  let lastSelected = "";
  const update = (state: ViewState): void => {
    // new rows (another mode, order or filter) keep the selection in view
    const fresh = derive(state);
    buildColumns(state);
    differences.update(state);
    mode.textContent = flat ? "Tree" : "Flat";
    mode.title = flat
      ? "Follow the module hierarchy, as the diagram does"
      : "List every layer, for sorting across the whole model";
    if (fresh || state.selected !== lastSelected) {
      lastSelected = state.selected;
      // the rows' height first, or there is nothing to scroll yet
      body.style.height = `${rows.length * ROW_HEIGHT}px`;
      scrollToSelection(state, fresh);
    }
    drawRows(true);
  };

  mode.addEventListener("click", () => {
    flat = !flat;
    update(store.current);
  });
  filter.addEventListener("input", () => store.query.set(filter.value));
  filter.addEventListener("keydown", (event) => event.stopPropagation());
  const unquery = store.query.subscribe((query) => {
    if (filter.value !== query) filter.value = query;
    update(store.current);
  });
  const unhover = store.hovered.subscribe((id) => {
    hovered = id;
    markHovered();
  });
  scroller.addEventListener("scroll", () => drawRows());
  body.addEventListener("click", (event) => {
    const line = (event.target as Element).closest<HTMLElement>(".ts-row");
    const row = rows.find((r) => r.id === line?.dataset.rowId);
    if (row === undefined) return;
    if ((event.target as Element).closest("[data-action='toggle']") !== null) store.toggle(row.id);
    else store.select(row.select);
  });
  body.addEventListener("mouseover", (event) => {
    const line = (event.target as Element).closest<HTMLElement>(".ts-row");
    store.hovered.set(line?.dataset.rowId ?? "");
  });
  body.addEventListener("mouseleave", () => store.hovered.set(""));
  scroller.addEventListener("keydown", (event) => {
    const state = store.current;
    const box = state.visible.representative.get(state.selected);
    const index = rows.findIndex((r) => r.select === state.selected || (!flat && r.id === box));
    const run = rowKeyActions(rows, index, store)[event.key];
    if (run === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    run();
  });

  update(store.current);
  const unsubscribe = store.subscribe(update);
  // a table rendered before it was on the page (a notebook cell still opening) could not scroll
  // to the selection yet: do it once it has a size
  let sized = false;
  const resize =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          if (sized || scroller.clientHeight === 0) return;
          sized = true;
          scrollToSelection(store.current, false);
          drawRows(true);
        })
      : null;
  resize?.observe(scroller);
  return {
    element: root,
    dispose() {
      unsubscribe();
      resize?.disconnect();
      unquery();
      unhover();
      root.remove();
    },
  };
}
