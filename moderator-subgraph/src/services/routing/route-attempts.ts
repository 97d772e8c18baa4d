import { isDuplicateKey, backoffMs } from '@exchange/platform';
import type { Identity, Logger } from '@exchange/platform';
import { type ModeratorModels, type RouteAttemptDoc } from '../../store/models';
import { canSeeSelection } from '../access';
import { forbidden, notFound, requireIdentity } from '../errors';

export const RECORD_ROUTE_ATTEMPTS_MUTATION = `mutation RecordRouteAttempts($slots: [RouteAttemptSlotInput!]!) {
  recordRouteAttempts(slots: $slots)
}`;

export interface RouteAttemptsOptions {
  /** Where recordRouteAttempts is sent; null = counted and stored only (no billing here). */
  billingUrl: string | null;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Signs a MODERATOR token. */
  token: () => Promise<string>;
  /** Slots per recordRouteAttempts call. */
  batchSize?: number;
}

const slotDocId = (selectionId: string, slotStart: number) => `${selectionId}|${new Date(slotStart).toISOString()}`;

/**
 * Routing attempts (200 answers of the route server) per (selection, 5-minute slot). Counted in
 * memory on the hot path, added to the database with $inc once per flush, then pushed to billing as
 * absolute totals. A slot is pending until billing acknowledged its current total: a failed push,
 * or an increment racing the acknowledgement, leaves it pending for the next round (never lost);
 * billing keeps the maximum it received, so several instances pushing the same slot is harmless.
 */
export class RouteAttemptsService {
  private counts = new Map<string, Map<number, number>>();
  private pushFailures = 0;
  private nextPushAt = 0;
  pushed = 0;

  constructor(private readonly models: ModeratorModels, private readonly logger: Logger, private readonly opts: RouteAttemptsOptions) {}

  /** Hot path: one attempt of `selectionId` in the slot starting at `slotStart` (epoch ms). */
  count(selectionId: string, slotStart: number): void {
    let slots = this.counts.get(selectionId);
    if (!slots) {
      slots = new Map();
      this.counts.set(selectionId, slots);
    }
    slots.set(slotStart, (slots.get(slotStart) ?? 0) + 1);
  }

  /** One flush-and-push round (the PeriodicJob's pass). */
  async runOnce(): Promise<void> {
    await this.flush();
    if (this.opts.billingUrl && Date.now() >= this.nextPushAt) await this.push();
  }

  /** Adds the counts so far to the database; what fails to be written is counted again next time. */
  async flush(): Promise<number> {
    if (this.counts.size === 0) return 0;
    const batch = this.counts;
    this.counts = new Map();
    let written = 0;
    for (const [selectionId, slots] of batch) {
      for (const [slotStart, n] of slots) {
        try {
          await this.inc(selectionId, slotStart, n);
          written++;
        } catch (err) {
          for (let i = 0; i < n; i++) this.count(selectionId, slotStart);
          this.logger.warn({ err: (err as Error).message, selectionId }, 'route attempts flush failed; kept for the next flush');
        }
      }
    }
    return written;
  }

  private async inc(selectionId: string, slotStart: number, n: number): Promise<void> {
    const _id = slotDocId(selectionId, slotStart);
    const update = { $inc: { attempts: n }, $set: { pushPending: true }, $setOnInsert: { selectionId, slotStart: new Date(slotStart), pushedAttempts: 0 } };
    try {
      await this.models.RouteAttempt.updateOne({ _id }, update, { upsert: true }).exec();
    } catch (err) {
      // Two instances inserting the same slot at once: the loser's increment goes to the winner's document.
      if (!isDuplicateKey(err)) throw err;
      await this.models.RouteAttempt.updateOne({ _id }, { $inc: { attempts: n }, $set: { pushPending: true } }).exec();
    }
  }

  /** Sends the pending slots' totals to billing; on failure backs off and leaves them pending. */
  async push(): Promise<number> {
    const url = this.opts.billingUrl;
    if (!url) return 0;
    const pending = (await this.models.RouteAttempt.find({ pushPending: true }).limit(this.opts.batchSize ?? 500).lean().exec()) as RouteAttemptDoc[];
    const due = pending.filter((d) => d.attempts > d.pushedAttempts);
    // Pending but already acknowledged (an instance cleared it under a race): clear without sending.
    for (const d of pending) if (d.attempts <= d.pushedAttempts) await this.acknowledge(d);
    if (due.length === 0) return 0;
    const slots = due.map((d) => ({ selectionId: d.selectionId, slotStart: new Date(d.slotStart).toISOString(), attempts: d.attempts }));
    let error: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.opts.token()}` },
        body: JSON.stringify({ query: RECORD_ROUTE_ATTEMPTS_MUTATION, variables: { slots } }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const text = await res.text();
      let body: { data?: { recordRouteAttempts?: unknown } | null; errors?: { message: string; extensions?: { code?: string } }[] } = {};
      try {
        body = JSON.parse(text);
      } catch {
        /* reported below */
      }
      if (body.errors?.length) error = `billing answered ${res.status}: ${body.errors[0].extensions?.code ?? 'ERROR'}: ${body.errors[0].message}`;
      else if (!res.ok || typeof body.data?.recordRouteAttempts !== 'number') error = `billing answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    } catch (err) {
      error = `billing unreachable: ${(err as Error).message}`;
    }
    if (error !== null) {
      this.pushFailures++;
      const delay = backoffMs(this.pushFailures, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs });
      this.nextPushAt = Date.now() + delay;
      this.logger.warn({ slots: slots.length, retryInMs: delay, error }, 'route attempts push failed; kept pending');
      return 0;
    }
    this.pushFailures = 0;
    this.nextPushAt = 0;
    for (const d of due) await this.acknowledge(d);
    this.pushed += due.length;
    return due.length;
  }

  /** Only if the total is still the one sent: an increment meanwhile keeps the slot pending. */
  private async acknowledge(d: RouteAttemptDoc): Promise<void> {
    await this.models.RouteAttempt.updateOne({ _id: d._id, attempts: d.attempts }, { $set: { pushPending: false, pushedAttempts: d.attempts } }).exec();
  }

  /** `routeAttempts(selectionId)`: the selection's buyer, its carrier, operators. */
  async list(identity: Identity | null, selectionId: string): Promise<{ slotStart: Date; attempts: number }[]> {
    requireIdentity(identity);
    const sel = await this.models.Selection.findById(selectionId, { buyerId: 1, carrierId: 1 }).lean().exec();
    if (!sel) throw notFound('No such selection', 'selectionId');
    if (!canSeeSelection(identity, sel)) throw forbidden('Only the selection\'s buyer, its carrier and operators see its routing attempts');
    const docs = await this.models.RouteAttempt.find({ selectionId }).sort({ slotStart: 1 }).limit(10_000).lean().exec();
    return docs.map((d) => ({ slotStart: new Date(d.slotStart), attempts: d.attempts }));
  }
}
