import { afterEach, describe, expect, it, vi } from "vitest";
import type { LayoutInput } from "../../js/graph/layout";
import {
  boxCount,
  INLINE_BOXES,
  LayoutEngine,
  type LayoutResult,
} from "../../js/graph/layout-engine";

/** A stand-in for the browser's Worker: it records what it was sent and replies when told to. */
class FakeWorker {
  static made: FakeWorker[] = [];
  sent: { id: number; input: LayoutInput }[] = [];
  private listeners: ((event: MessageEvent) => void)[] = [];
  constructor(readonly url: string) {
    FakeWorker.made.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    if (type === "message") this.listeners.push(listener);
  }
  postMessage(message: { id: number; input: LayoutInput }): void {
    this.sent.push(message);
  }
  reply(id: number): void {
    const layout = { boxes: new Map(), routes: new Map(), width: 0, height: 0 };
    for (const listen of this.listeners) listen({ data: { id, layout } } as MessageEvent);
  }
  terminate(): void {}
}

/** A chain of `n` top-level boxes. */
function chain(n: number): LayoutInput {
  const roots = Array.from({ length: n }, (_, i) => `n${i}`);
  const edges = roots.slice(1).map((id, i): [string, string] => [roots[i] ?? "", id]);
  return { roots, scopes: [], edges, tall: [], small: [] };
}

describe("LayoutEngine", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    FakeWorker.made = [];
  });

  it("counts the boxes and containers a layout places", () => {
    const input: LayoutInput = { ...chain(3), scopes: [["n1", ["a", "b"]]] };
    expect(boxCount(input)).toBe(5);
  });

  it("lays a small graph out at once, on the main thread, and starts no worker for it", () => {
    vi.stubGlobal("Worker", FakeWorker);
    const engine = new LayoutEngine("/* the worker's script */");
    let answer: LayoutResult | null = null;
    engine.request(chain(INLINE_BOXES), "TB", (r) => {
      answer = r;
    });
    expect(answer).not.toBeNull();
    expect(answer && "layout" in answer).toBe(true);
    expect(FakeWorker.made).toHaveLength(0);
    expect(engine.counts).toEqual({ inline: 1, worker: 0 });
    expect(engine.threaded).toBe(true);
  });

  it("sends a large one to a worker, started once, and answers when it replies", () => {
    vi.stubGlobal("Worker", FakeWorker);
    vi.stubGlobal("URL", {
      ...URL,
      createObjectURL: () => "blob:layout",
      revokeObjectURL: () => {},
    });
    const engine = new LayoutEngine("/* the worker's script */");
    const answers: LayoutResult[] = [];
    engine.request(chain(INLINE_BOXES + 1), "TB", (r) => answers.push(r));
    engine.request(chain(INLINE_BOXES + 2), "LR", (r) => answers.push(r));
    expect(answers).toHaveLength(0); // nothing until the worker replies
    expect(FakeWorker.made).toHaveLength(1);
    const [worker] = FakeWorker.made;
    expect(worker?.sent.map((m) => m.input.roots.length)).toEqual([
      INLINE_BOXES + 1,
      INLINE_BOXES + 2,
    ]);
    worker?.reply(worker.sent[1]?.id ?? -1);
    expect(answers).toHaveLength(1);
    expect(engine.counts).toEqual({ inline: 0, worker: 2 });
  });

  it("lays everything out inline where no worker can run", () => {
    vi.stubGlobal("Worker", undefined);
    const engine = new LayoutEngine("/* the worker's script */");
    let done = false;
    engine.request(chain(INLINE_BOXES + 50), "TB", () => {
      done = true;
    });
    expect(done).toBe(true);
    expect(engine.threaded).toBe(false);
  });
});
