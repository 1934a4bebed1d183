/** A typed fake of anywidget's model for tests: records what the front end writes back. */

import type { WidgetModel } from "../../js/store";
import type { Payload, Traits } from "../../js/types";
import golden from "../golden/payload_v1.json";

export function goldenPayload(): Payload {
  return structuredClone(golden) as unknown as Payload;
}

export class FakeModel implements WidgetModel {
  readonly saved: Partial<Traits>[] = [];
  private pending: Partial<Traits> = {};
  private readonly values: Traits;
  private readonly handlers = new Map<string, Set<() => void>>();

  constructor(overrides: Partial<Traits> = {}) {
    this.values = {
      graph: goldenPayload(),
      orientation: "TB",
      selected: "",
      expanded: [],
      metric: "",
      height: 400,
      ...overrides,
    };
  }

  get<K extends keyof Traits>(key: K): Traits[K] {
    return this.values[key];
  }

  set<K extends keyof Traits>(key: K, value: Traits[K]): void {
    this.values[key] = value;
    this.pending[key] = value;
  }

  /** What the kernel does when Python assigns a trait: set it and fire change:<key>. */
  setFromKernel<K extends keyof Traits>(key: K, value: Traits[K]): void {
    this.values[key] = value;
    for (const handler of this.handlers.get(`change:${key}`) ?? []) handler();
  }

  on(event: string, callback: () => void): void {
    const set = this.handlers.get(event) ?? new Set();
    set.add(callback);
    this.handlers.set(event, set);
  }

  off(event: string, callback: () => void): void {
    this.handlers.get(event)?.delete(callback);
  }

  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, set) => n + set.size, 0);
  }

  save_changes(): void {
    this.saved.push(this.pending);
    this.pending = {};
  }
}
