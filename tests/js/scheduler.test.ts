import { describe, expect, it } from "vitest";
import { LayoutScheduler, type Timers } from "../../js/graph/scheduler";

/** A hand-driven clock: timers fire only when the test advances time. */
class Clock implements Timers {
  now = 0;
  private readonly due = new Map<number, { at: number; run: () => void }>();
  private next = 0;
  set(run: () => void, ms: number): unknown {
    this.next += 1;
    this.due.set(this.next, { at: this.now + ms, run });
    return this.next;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.due]) {
      if (timer.at <= this.now) {
        this.due.delete(id);
        timer.run();
      }
    }
  }
}

function setup() {
  const clock = new Clock();
  const answers: ((r: string) => void)[] = [];
  const shown: (string | null)[] = [];
  const scheduler = new LayoutScheduler<string, string>(
    (_job, done) => answers.push(done),
    { show: (job) => shown.push(job), hide: () => shown.push(null) },
    clock,
    200,
  );
  const notice = (): string | null => (shown.length === 0 ? null : (shown.at(-1) ?? null));
  return { clock, answers, scheduler, notice };
}

describe("layout tickets and the pending notice", () => {
  it("says nothing about a layout that answers quickly", () => {
    const { clock, answers, scheduler, notice } = setup();
    const got: string[] = [];
    scheduler.request("a", (r) => got.push(r));
    clock.advance(50);
    answers[0]?.("A");
    clock.advance(500);
    expect(got).toEqual(["A"]);
    expect(notice()).toBeNull();
    expect(scheduler.pending).toBe(false);
  });

  it("shows the notice for a slow layout and clears it when the answer arrives", () => {
    const { clock, answers, scheduler, notice } = setup();
    scheduler.request("a", () => {});
    clock.advance(250);
    expect(notice()).toBe("a");
    answers[0]?.("A");
    expect(notice()).toBeNull();
  });

  it("drops a superseded answer, and its timer cannot bring back a stale notice", () => {
    const { clock, answers, scheduler, notice } = setup();
    const got: string[] = [];
    scheduler.request("old", (r) => got.push(r));
    clock.advance(150);
    scheduler.request("new", (r) => got.push(r));
    answers[1]?.("NEW");
    // the old request's timer would have fired here, after the newest answer was drawn
    clock.advance(1000);
    answers[0]?.("OLD");
    expect(got).toEqual(["NEW"]);
    expect(notice()).toBeNull();
  });

  it("keeps the notice of the newest request while an older one answers", () => {
    const { clock, answers, scheduler, notice } = setup();
    scheduler.request("old", () => {});
    scheduler.request("new", () => {});
    clock.advance(300);
    expect(notice()).toBe("new");
    answers[0]?.("OLD");
    expect(notice()).toBe("new");
    expect(scheduler.pending).toBe(true);
  });

  it("answers synchronously (no worker) without ever showing the notice", () => {
    const clock = new Clock();
    const shown: (string | null)[] = [];
    const scheduler = new LayoutScheduler<string, string>(
      (job, done) => done(job.toUpperCase()),
      { show: (job) => shown.push(job), hide: () => shown.push(null) },
      clock,
    );
    const got: string[] = [];
    scheduler.request("a", (r) => got.push(r));
    clock.advance(1000);
    expect(got).toEqual(["A"]);
    expect(shown.filter((s) => s !== null)).toEqual([]);
  });
});
