/** A typed fake of anywidget's model for tests: the page's LocalModel, recording what is sent. */

import { LocalModel } from "../../js/standalone";
import type { Payload, Traits } from "../../js/types";
import type { DiagramProbe, DrawnBox } from "../../js/views/diagram";
import widget from "../../js/widget";
import golden from "../golden/payload_v1.json";

export function goldenPayload(): Payload {
  return structuredClone(golden) as unknown as Payload;
}

export class FakeModel extends LocalModel {
  /** Each save_changes() call: the traits set since the previous one, as the kernel would get them. */
  readonly saved: Partial<Traits>[] = [];
  private pending: Partial<Traits> = {};

  constructor(overrides: Partial<Traits> = {}) {
    super({
      graph: goldenPayload(),
      orientation: "TB",
      selected: "",
      expanded: [],
      metric: "",
      height: 400,
      bookkeeping: false,
      ...overrides,
    });
  }

  override set<K extends keyof Traits>(key: K, value: Traits[K]): void {
    super.set(key, value);
    this.pending[key] = value;
  }

  /** What the kernel does when Python assigns a trait: the value arrives and change:<key> fires. */
  setFromKernel<K extends keyof Traits>(key: K, value: Traits[K]): void {
    super.set(key, value);
  }

  override save_changes(): void {
    this.saved.push(this.pending);
    this.pending = {};
  }
}

type RenderArgs = Parameters<NonNullable<typeof widget.render>>[0];

/** Render the real widget entry with `model` into a fresh element in the document. */
export function renderWidget(model: FakeModel): { el: HTMLElement; cleanup: () => void } {
  const el = document.createElement("div");
  document.body.append(el);
  // the fake stands in for anywidget's model; only the members torchscope uses are real
  const cleanup = widget.render({ model, el } as unknown as RenderArgs);
  if (typeof cleanup !== "function") throw new Error("render must return its cleanup function");
  return { el, cleanup: cleanup as () => void };
}

/** What the diagram draws, read through the probe it publishes (a canvas has no elements). */
export function probe(el: HTMLElement): DiagramProbe {
  const diagram = el.querySelector(".ts-diagram") as
    | (HTMLElement & { torchscope?: DiagramProbe })
    | null;
  if (diagram?.torchscope === undefined) throw new Error("no diagram probe");
  return diagram.torchscope;
}

export function node(el: HTMLElement, id: string): DrawnBox {
  const found = probe(el).box(id);
  if (found === null) throw new Error(`node ${id} is not drawn`);
  return found;
}

/** Click the canvas at a box's centre, or at its toggle handle in the top-left corner. */
export function click(
  el: HTMLElement,
  id: string,
  where: "centre" | "toggle" = "centre",
  type = "click",
): void {
  const box = node(el, id);
  const at =
    where === "centre"
      ? { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 }
      : { clientX: box.x + 4, clientY: box.y + 4 };
  el.querySelector(".ts-canvas")?.dispatchEvent(new MouseEvent(type, { bubbles: true, ...at }));
}

/** A valid payload with `n` layers in a chain (input → layer0 … → output): for size tests. */
export function chainPayload(n: number): Payload {
  const graph = goldenPayload();
  const tensor = { shape: [1, 8], dtype: "float32" };
  const leaf = (id: string, kind: "input" | "function" | "output", i: number) => ({
    id,
    kind,
    op: kind === "function" ? "relu" : kind === "input" ? "Input" : "Output",
    label: id,
    parent: null,
    module_path: "",
    attrs: {},
    repr: "",
    inputs: kind === "input" ? [] : [tensor],
    outputs: kind === "output" ? [] : [tensor],
    stats: kind === "function" ? { params: i, activation_bytes: 32 } : {},
    uncounted: [],
  });
  const ids = ["input", ...Array.from({ length: n }, (_, i) => `layer${i}`), "output"];
  graph.nodes = ids.map((id, i) =>
    leaf(id, i === 0 ? "input" : i === ids.length - 1 ? "output" : "function", i),
  );
  graph.groups = [];
  graph.roots = ids;
  graph.edges = ids.slice(1).map((id, i) => ({ source: ids[i] as string, target: id, ...tensor }));
  graph.totals = { params: (n * (n + 1)) / 2, activation_bytes: 32 * n };
  delete graph.model.values; // its NaN origin names a node of the golden graph
  delete graph.step; // its timeline indexes the golden graph's nodes
  return graph;
}
