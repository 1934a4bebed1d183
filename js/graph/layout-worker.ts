/**
 * The layout worker: runs js/graph/layout.ts off the page's main thread, keeping its per-group
 * cache between requests, so expanding a group in a huge model never freezes the page.
 */

import type { Orientation } from "../types";
import { type LayoutCache, type LayoutInput, layeredLayout } from "./layout";

export interface LayoutRequest {
  id: number;
  input: LayoutInput;
  orientation: Orientation;
}

const cache: LayoutCache = new Map();

self.addEventListener("message", (event: MessageEvent<LayoutRequest>) => {
  const { id, input, orientation } = event.data;
  try {
    self.postMessage({ id, layout: layeredLayout(input, orientation, cache) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
