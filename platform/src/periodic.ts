import type { Logger } from './logger';

/**
 * A periodic job that never overlaps itself and can be woken early: the one runner of every
 * background loop (billing's delivery, feed and sweep workers; the Moderator's auction closer,
 * outbox, route-attempt flush and routing reload). The timer is unref'd, so a job alone never
 * keeps a process alive.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private stopped = false;
  /** Completed passes: "after the next pass" is a condition a test can wait for, where a pause would guess. */
  runs = 0;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the loop (again, after a stop): the first pass after `firstRunInMs` (default one
   * interval), then one interval after each pass ends.
   */
  start(firstRunInMs = this.intervalMs): void {
    this.stopped = false;
    this.started = true;
    this.schedule(firstRunInMs);
  }

  /** Runs a pass as soon as possible (e.g. right after a selection was written); never two at once. */
  kick(): void {
    void this.run();
  }

  /**
   * One pass now, resolved when it is done. Called while a pass runs, it asks for one more pass
   * right after it (what it was called for may have come too late for the running one) and
   * resolves after that. A failed pass is logged, never thrown: the loop goes on.
   */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.job();
        } catch (err) {
          if (!this.stopped) this.logger.error({ err: (err as Error)?.message ?? err, job: this.name }, `${this.name} pass failed`);
        }
        this.runs++;
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
      if (this.started) this.schedule(this.intervalMs);
    });
    return this.running;
  }

  /** Stops the loop and waits for a running pass to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }
}
