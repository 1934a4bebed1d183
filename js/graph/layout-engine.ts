/**
 * Runs layouts in a Web Worker started from the bundle's own text (a Blob URL: no second file to
 * serve, and it works inside JupyterLab, VS Code and the standalone page). Where no worker can
 * start (jsdom in the unit tests, a page policy that forbids Blob workers) the same code runs on
 * the main thread and answers at once. So does a small layout (at most `INLINE_BOXES` boxes, as
 * most first views are): there the worker's start-up, on the first request, and the copies there
 * and back cost more than the layout itself.
 */

import type { Orientation } from "../types";
import { type Layout, type LayoutCache, type LayoutInput, layeredLayout } from "./layout";

/** Filled in by js/build.mjs with the bundled js/graph/layout-worker.ts; absent under vitest. */
declare const __LAYOUT_WORKER__: string | undefined;

export type LayoutResult = { layout: Layout; ms: number } | { error: string };

type Reply = { id: number; layout: Layout } | { id: number; error: string };

/**
 * The most boxes a layout may have to run on the main thread. Every first view fits (the budget in
 * expansion.ts is 40 boxes), and such a layout takes a frame or two: `node bench/layout.mjs` here
 * read 7–16 ms for first views of 10–16 boxes, 30 ms for ResNet-50's 176, 130–160 ms for 431.
 */
export const INLINE_BOXES = 80;

/** The boxes and containers a layout places. */
export function boxCount(input: LayoutInput): number {
  return input.roots.length + input.scopes.reduce((sum, [, members]) => sum + members.length, 0);
}

export class LayoutEngine {
  private worker: Worker | null = null;
  private url = "";
  private next = 0;
  private readonly pending = new Map<number, { done: (r: LayoutResult) => void; start: number }>();
  private readonly cache: LayoutCache = new Map();
  /** How many layouts ran on the main thread, and how many in the worker (the page's probe reads them). */
  readonly counts = { inline: 0, worker: 0 };

  /** The worker's script: empty where none can run (then every layout is inline). */
  private source: string;

  constructor(source: string = typeof __LAYOUT_WORKER__ === "string" ? __LAYOUT_WORKER__ : "") {
    this.source = typeof Worker === "undefined" ? "" : source;
  }

  /** Whether layouts too large to run inline go to a worker (one starts at the first of them). */
  get threaded(): boolean {
    return this.source !== "";
  }

  /** The worker, started on first use: a first view laid out inline does not wait for it. */
  private started(): Worker | null {
    if (this.worker !== null || this.source === "") return this.worker;
    let worker: Worker;
    try {
      this.url = URL.createObjectURL(new Blob([this.source], { type: "text/javascript" }));
      worker = new Worker(this.url);
    } catch {
      // a page that forbids Blob workers: lay out on the main thread instead
      this.dispose();
      return null;
    }
    worker.addEventListener("message", (event: MessageEvent<Reply>) => {
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
    worker.addEventListener("error", (event: ErrorEvent) => {
      // the worker itself broke (not a layout that threw): report it to whoever waits
      event.preventDefault();
      const message = `layout worker failed: ${event.message || "unknown error"}`;
      for (const { done } of this.pending.values()) done({ error: message });
      this.pending.clear();
    });
    this.worker = worker;
    return worker;
  }

  /** Lay out `input`; `done` gets the result later (worker) or before this returns (inline). */
  request(input: LayoutInput, orientation: Orientation, done: (r: LayoutResult) => void): void {
    const start = performance.now();
    const worker = boxCount(input) <= INLINE_BOXES ? null : this.started();
    if (worker === null) {
      this.counts.inline += 1;
      try {
        const layout = layeredLayout(input, orientation, this.cache);
        done({ layout, ms: performance.now() - start });
      } catch (error) {
        done({ error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    this.counts.worker += 1;
    this.next += 1;
    this.pending.set(this.next, { done, start });
    worker.postMessage({ id: this.next, input, orientation });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.source = "";
    if (this.url !== "") URL.revokeObjectURL(this.url);
    this.url = "";
    this.pending.clear();
  }
}
