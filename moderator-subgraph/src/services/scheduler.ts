import type { Logger } from '@exchange/platform';
import type { ModeratorModels } from '../store/models';
import type { AuctionService } from './auction';

/** A self-rescheduling timer that never overlaps its own runs. */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private again = false;
  /** Completed runs: "after the next run" is a condition to wait for, where a pause would guess. */
  runs = 0;

  constructor(private readonly intervalMs: number, private readonly run: () => Promise<void>, private readonly logger: Logger, private readonly name: string) {}

  start(firstRunInMs = 0): void {
    this.stopped = false;
    this.schedule(firstRunInMs);
  }

  /** Runs as soon as possible (e.g. right after a selection was written). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.running) return;
    this.running = this.run().catch((err) => this.logger.error({ err: (err as Error).message }, `${this.name} run failed`));
    await this.running;
    this.running = null;
    this.runs++;
    const next = this.again ? 0 : this.intervalMs;
    this.again = false;
    this.schedule(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/**
 * Closes requests at biddingClosesAt. Any number of instances may run it: the first CLOSE entry in a
 * request's auction log decides, and only its writer completes the close (or, after CLOSE_LEASE_MS,
 * anyone, in case that writer died).
 */
export function createScheduler(models: ModeratorModels, auction: AuctionService, logger: Logger, intervalMs: number, batch = 100): Ticker {
  return new Ticker(
    intervalMs,
    async () => {
      const now = new Date();
      const due = await models.ServiceRequest.find({ status: 'OPEN', biddingClosesAt: { $lte: now } }, { _id: 1 })
        .sort({ biddingClosesAt: 1 })
        .limit(batch)
        .lean()
        .exec();
      for (const r of due) {
        try {
          await auction.close(r._id);
        } catch (err) {
          logger.error({ err: (err as Error).message, requestId: r._id }, 'close failed');
        }
      }
    },
    logger,
    'scheduler',
  );
}
