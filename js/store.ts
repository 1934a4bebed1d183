/**
 * View state: the only module that talks to the widget model. Views read the store and call its
 * actions; the store mirrors the synced traits and writes changes back to the model.
 */

import type { Orientation, Payload, Traits } from "./types";
import { validatePayload } from "./types";

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
  /** Why the payload could not be shown, when it is invalid. */
  error: string | null;
}

type Listener = (state: ViewState) => void;

const SYNCED = ["graph", "orientation", "selected", "expanded", "metric", "height"] as const;

export class Store {
  private state: ViewState;
  private readonly listeners = new Set<Listener>();
  private readonly onModelChange = (): void => this.pull();

  constructor(private readonly model: WidgetModel) {
    this.state = this.read();
    for (const key of SYNCED) model.on(`change:${key}`, this.onModelChange);
  }

  get current(): ViewState {
    return this.state;
  }

  /** Call `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  select(id: string): void {
    this.write("selected", id);
  }

  setOrientation(orientation: Orientation): void {
    this.write("orientation", orientation);
  }

  dispose(): void {
    for (const key of SYNCED) this.model.off(`change:${key}`, this.onModelChange);
    this.listeners.clear();
  }

  private write<K extends keyof Traits>(key: K, value: Traits[K]): void {
    if (this.model.get(key) === value) return;
    this.model.set(key, value);
    this.model.save_changes();
    this.pull();
  }

  private pull(): void {
    this.state = this.read();
    for (const listener of this.listeners) listener(this.state);
  }

  private read(): ViewState {
    const raw = this.model.get("graph");
    let graph: Payload = emptyPayload();
    let error: string | null = null;
    try {
      graph = validatePayload(raw);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    return {
      graph,
      orientation: this.model.get("orientation") === "LR" ? "LR" : "TB",
      selected: this.model.get("selected") ?? "",
      expanded: this.model.get("expanded") ?? [],
      metric: this.model.get("metric") ?? "",
      height: this.model.get("height") ?? 600,
      error,
    };
  }
}

function emptyPayload(): Payload {
  return {
    schema: 1,
    model: { name: "", input_shapes: [], device: "", dtype: "", torch_version: "" },
    columns: [],
    nodes: [],
    groups: [],
    edges: [],
    totals: {},
  };
}
