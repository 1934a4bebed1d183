/**
 * The in-page stand-in for the widget model, used by the standalone HTML page (and by tests):
 * the same views run against it, with no kernel, server or CDN.
 */

import { mount } from "./mount";
import type { WidgetModel } from "./store";
import type { Traits } from "./types";

export class LocalModel implements WidgetModel {
  private readonly values: Traits;
  private readonly handlers = new Map<string, Set<() => void>>();

  constructor(initial: Traits) {
    this.values = { ...initial };
  }

  get<K extends keyof Traits>(key: K): Traits[K] {
    return this.values[key];
  }

  set<K extends keyof Traits>(key: K, value: Traits[K]): void {
    if (this.values[key] === value) return;
    this.values[key] = value;
    for (const handler of this.handlers.get(`change:${String(key)}`) ?? []) handler();
  }

  on(event: string, callback: () => void): void {
    const set = this.handlers.get(event) ?? new Set();
    set.add(callback);
    this.handlers.set(event, set);
  }

  off(event: string, callback: () => void): void {
    this.handlers.get(event)?.delete(callback);
  }

  /** How many change listeners are registered (a view that cleaned up leaves none). */
  listenerCount(): number {
    let count = 0;
    for (const set of this.handlers.values()) count += set.size;
    return count;
  }

  save_changes(): void {
    // Nothing to send: the page has no kernel.
  }
}

/** A saved page's state: pages written before a trait existed lack it, and get its default. */
export type SavedState = Omit<Traits, "bookkeeping"> & Partial<Pick<Traits, "bookkeeping">>;

/** Mount the widget into `el` from the state that `ModelView.view_state()` wrote into the page. */
export function mountStandalone(el: HTMLElement, state: SavedState): () => void {
  const model = new LocalModel({ bookkeeping: false, ...state });
  // a page is the widget alone: it fills the window and follows its resizes
  const fill = (): void => model.set("height", Math.max(240, window.innerHeight - 2));
  fill();
  window.addEventListener("resize", fill);
  const unmount = mount(el, model);
  return () => {
    window.removeEventListener("resize", fill);
    unmount();
  };
}
