/**
 * Layout tickets: only the newest request's answer is used, and the "laying out…" notice belongs to
 * the newest request alone. A notice appears only when a layout takes long enough to notice, and
 * goes when the newest answer arrives, so a superseded request can neither show a stale notice nor
 * hide a current one. Timers are injected, so the rules are tested without a clock.
 */

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const browserTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Notice<Job> {
  /** The newest job has been running for a while: say so. */
  show(job: Job): void;
  /** Nothing is being laid out any more (or the notice would be stale): clear it. */
  hide(): void;
}

/** How long a layout may take before the notice appears. */
export const NOTICE_DELAY_MS = 200;

export class LayoutScheduler<Job, Result> {
  private latest = 0;
  private timer: unknown = null;
  private running = false;

  constructor(
    private readonly run: (job: Job, done: (result: Result) => void) => void,
    private readonly notice: Notice<Job>,
    private readonly timers: Timers = browserTimers,
    private readonly delay = NOTICE_DELAY_MS,
  ) {}

  /** Whether the newest request is still waiting for its answer. */
  get pending(): boolean {
    return this.running;
  }

  /** Lay out `job`; `done` is called with its answer unless a newer request came first. */
  request(job: Job, done: (result: Result) => void): void {
    this.latest += 1;
    const ticket = this.latest;
    this.stopTimer();
    this.running = true;
    this.timer = this.timers.set(() => {
      this.timer = null;
      if (ticket === this.latest && this.running) this.notice.show(job);
    }, this.delay);
    this.run(job, (result) => {
      if (ticket !== this.latest) return; // superseded by a newer state
      this.running = false;
      this.stopTimer();
      this.notice.hide();
      done(result);
    });
  }

  dispose(): void {
    this.latest += 1;
    this.running = false;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }
}
