/**
 * View state: the only module that talks to the widget model. Views read the store and call its
 * actions; the store mirrors the synced traits and writes changes back to the model.
 */

import { budgetFor, defaultExpanded } from "./graph/expansion";
import {
  Hierarchy,
  isShown,
  reveal,
  type VisibleGraph,
  type VisibleOptions,
  visible,
} from "./graph/visible";
import type { Orientation, Payload, Traits } from "./types";
import { emptyPayload } from "./types";
import { decodeWire } from "./wire";

/** The part of anywidget's model that torchscope uses (a real model, the page stand-in, or a fake). */
export interface WidgetModel {
  get<K extends keyof Traits>(key: K): Traits[K];
  set<K extends keyof Traits>(key: K, value: Traits[K]): void;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
  save_changes(): void;
}

export interface ViewState {
  graph: Payload;
  orientation: Orientation;
  selected: string;
  expanded: readonly string[];
  metric: string;
  height: number;
  /** Whether bookkeeping ops are drawn as boxes (true) or as markers on their edges. */
  bookkeeping: boolean;
  /** Why the payload could not be shown, when it is invalid. */
  error: string | null;
  hierarchy: Hierarchy;
  /** What the diagram shows for the current expanded set (repeats folded). */
  visible: VisibleGraph;
}

type Listener = (state: ViewState) => void;

/**
 * A small piece of front-end-only state that changes often (the hovered box, the search text):
 * kept out of ViewState, so a hover repaints without rebuilding every view.
 */
export class Signal<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  set(value: T): void {
    if (value === this.current) return;
    this.current = value;
    for (const listener of this.listeners) listener(value);
  }

  /** Call `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}

const SYNCED = [
  "graph",
  "orientation",
  "selected",
  "expanded",
  "metric",
  "height",
  "bookkeeping",
] as const;

export class Store {
  /** The id of the box or row under the pointer, shared by the diagram and the table. */
  readonly hovered = new Signal("");
  /** The search text, shared by the search box and the table's filter. */
  readonly query = new Signal("");
  private state: ViewState;
  private readonly listeners = new Set<Listener>();
  private readonly onModelChange = (): void => this.pull();

  private cache: {
    graph: unknown;
    expanded: readonly string[];
    bookkeeping: boolean;
    hierarchy: Hierarchy;
    visible: VisibleGraph;
  } | null = null;
  private checked: Checked | null = null;

  constructor(private readonly model: WidgetModel) {
    this.state = this.read();
    for (const key of SYNCED) model.on(`change:${key}`, this.onModelChange);
    // A fresh view opens at the deepest level that stays readable; Python can set `expanded` later.
    if (this.state.expanded.length === 0 && this.state.graph.groups.length > 0) {
      this.setExpanded(
        defaultExpanded(
          this.state.hierarchy,
          budgetFor(this.state.height),
          this.visibleOptions(this.state.bookkeeping),
        ),
      );
    }
  }

  get current(): ViewState {
    return this.state;
  }

  /** Call `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Select a node or group (or clear with ""), expanding what hides it. */
  select(id: string): void {
    const { hierarchy, visible: shown, expanded } = this.state;
    if (id !== "" && !shown.representative.has(id)) return;
    if (id !== "" && !isShown(shown, id)) {
      this.setExpanded(reveal(hierarchy, expanded, id));
    }
    this.write("selected", id);
  }

  /** Expand a collapsed group (or every group of a fold), or collapse an expanded one. */
  toggle(id: string): void {
    const item = this.state.visible.items.find((i) => i.id === id);
    const open = new Set(this.state.expanded);
    if (item?.kind === "fold") {
      for (const member of item.members ?? []) open.add(member);
    } else if (open.has(id)) {
      open.delete(id);
    } else if (this.state.hierarchy.groups.has(id)) {
      for (const ancestor of this.state.hierarchy.ancestors(id)) open.add(ancestor);
      open.add(id);
    }
    this.setExpanded([...open]);
  }

  /** Open every module group (a returned structure stays one box until opened itself). */
  expandAll(): void {
    this.setExpanded(
      this.state.graph.groups.filter((g) => g.kind !== "structure").map((g) => g.id),
    );
  }

  collapseAll(): void {
    this.setExpanded([]);
  }

  /** Expand exactly the groups less than `depth` levels down (0 collapses everything). */
  expandToDepth(depth: number): void {
    const { hierarchy } = this.state;
    this.setExpanded(
      this.state.graph.groups.filter((g) => hierarchy.depth(g.id) < depth).map((g) => g.id),
    );
  }

  setExpanded(ids: readonly string[]): void {
    const known = this.state.hierarchy.groups;
    // keep the payload's order, so the trait reads the same whichever way it was built
    const wanted = new Set(ids);
    this.write(
      "expanded",
      this.state.graph.groups.filter((g) => wanted.has(g.id) && known.has(g.id)).map((g) => g.id),
    );
  }

  /** Draw bookkeeping ops (views, reshapes, casts…) as boxes, or as markers on their edges. */
  setBookkeeping(show: boolean): void {
    this.write("bookkeeping", show);
  }

  setOrientation(orientation: Orientation): void {
    this.write("orientation", orientation);
  }

  /** Colour nodes by a statistic column's key, or stop with "". */
  setMetric(key: string): void {
    const known = key === "" || this.state.graph.columns.some((c) => c.key === key);
    if (known) this.write("metric", key);
  }

  dispose(): void {
    for (const key of SYNCED) this.model.off(`change:${key}`, this.onModelChange);
    this.listeners.clear();
    this.hovered.clear();
    this.query.clear();
  }

  private write<K extends keyof Traits>(key: K, value: Traits[K]): void {
    if (sameValue(this.model.get(key), value)) return;
    this.model.set(key, value);
    this.model.save_changes();
    this.pull();
  }

  private pull(): void {
    this.state = this.read();
    const { selected, visible: shown, hierarchy, expanded } = this.state;
    if (selected !== "" && shown.representative.has(selected) && !isShown(shown, selected)) {
      // selected from Python while hidden: reveal it (this write pulls again, now visible)
      this.setExpanded(reveal(hierarchy, expanded, selected));
      return;
    }
    for (const listener of this.listeners) listener(this.state);
  }

  private read(): ViewState {
    const raw = this.model.get("graph");
    // the checks read every field: once per payload, not on every click
    if (this.checked === null || this.checked.raw !== raw) this.checked = checked(raw);
    const { graph, error } = this.checked;
    const expanded = this.model.get("expanded") ?? [];
    const bookkeeping = this.model.get("bookkeeping") === true;
    let cache = this.cache;
    if (
      cache === null ||
      cache.graph !== raw ||
      !sameValue(cache.expanded, expanded) ||
      cache.bookkeeping !== bookkeeping
    ) {
      const hierarchy = cache?.graph === raw ? cache.hierarchy : new Hierarchy(graph);
      cache = {
        graph: raw,
        expanded,
        bookkeeping,
        hierarchy,
        visible: visible(hierarchy, expanded, this.visibleOptions(bookkeeping)),
      };
      this.cache = cache;
    }
    return {
      graph,
      orientation: this.model.get("orientation") === "LR" ? "LR" : "TB",
      selected: this.model.get("selected") ?? "",
      expanded,
      metric: this.model.get("metric") ?? "",
      height: this.model.get("height") ?? 600,
      bookkeeping,
      error,
      hierarchy: cache.hierarchy,
      visible: cache.visible,
    };
  }

  private visibleOptions(bookkeeping: boolean): VisibleOptions {
    return { fold: true, bookkeeping, stubs: true };
  }
}

interface Checked {
  raw: unknown;
  graph: Payload;
  error: string | null;
}

/**
 * What the decoder found for each payload object (./wire: the compact wire, or a schema-1 page's
 * payload, checked and expanded): the checks read every field, so they run once
 * per payload, not once per view of it (a notebook shows one model in as many views as cells
 * display it). A payload arrives as a new object whenever the trait is set, so identity is enough.
 */
const CHECKED = new WeakMap<object, Checked>();

function checked(raw: unknown): Checked {
  const known = typeof raw === "object" && raw !== null ? CHECKED.get(raw) : undefined;
  if (known !== undefined) return known;
  let found: Checked;
  try {
    found = { raw, graph: decodeWire(raw), error: null };
  } catch (e) {
    found = { raw, graph: emptyPayload(), error: e instanceof Error ? e.message : String(e) };
  }
  if (typeof raw === "object" && raw !== null) CHECKED.set(raw, found);
  return found;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}
