/**
 * Runs layouts in a Web Worker started from the bundle's own text (a Blob URL: no second file to
 * serve, and it works inside JupyterLab, VS Code and the standalone page). Where no worker can
 * start (jsdom in the unit tests, a page policy that forbids Blob workers) the same code runs on
 * the main thread and answers at once.
 */

import type { Orientation } from "../types";
import { type Layout, type LayoutCache, type LayoutInput, layeredLayout } from "./layout";

/** Filled in by js/build.mjs with the bundled js/graph/layout-worker.ts; absent under vitest. */
declare const __LAYOUT_WORKER__: string | undefined;

export type LayoutResult = { layout: Layout; ms: number } | { error: string };

type Reply = { id: number; layout: Layout } | { id: number; error: string };

export class LayoutEngine {
  private worker: Worker | null = null;
  private url = "";
  private next = 0;
  private readonly pending = new Map<number, { done: (r: LayoutResult) => void; start: number }>();
  private readonly cache: LayoutCache = new Map();

  constructor(source: string = typeof __LAYOUT_WORKER__ === "string" ? __LAYOUT_WORKER__ : "") {
    if (source === "" || typeof Worker === "undefined") return;
    try {
      this.url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      this.worker = new Worker(this.url);
    } catch {
      // a page that forbids Blob workers: lay out on the main thread instead
      this.dispose();
      return;
    }
    this.worker.addEventListener("message", (event: MessageEvent<Reply>) => {
      const request = this.pending.get(event.data.id);
      this.pending.delete(event.data.id);
      if (request === undefined) return;
      const reply = event.data;
      request.done(
        "layout" in reply
          ? { layout: reply.layout, ms: performance.now() - request.start }
          : { error: reply.error },
      );
    });
    this.worker.addEventListener("error", (event: ErrorEvent) => {
      // the worker itself broke (not a layout that threw): report it to whoever waits
      event.preventDefault();
      const message = `layout worker failed: ${event.message || "unknown error"}`;
      for (const { done } of this.pending.values()) done({ error: message });
      this.pending.clear();
    });
  }

  /** Whether layouts run off the main thread. */
  get threaded(): boolean {
    return this.worker !== null;
  }

  /** Lay out `input`; `done` gets the result later (worker) or before this returns (fallback). */
  request(input: LayoutInput, orientation: Orientation, done: (r: LayoutResult) => void): void {
    const start = performance.now();
    if (this.worker === null) {
      try {
        const layout = layeredLayout(input, orientation, this.cache);
        done({ layout, ms: performance.now() - start });
      } catch (error) {
        done({ error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    this.next += 1;
    this.pending.set(this.next, { done, start });
    this.worker.postMessage({ id: this.next, input, orientation });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.url !== "") URL.revokeObjectURL(this.url);
    this.url = "";
    this.pending.clear();
  }
}
