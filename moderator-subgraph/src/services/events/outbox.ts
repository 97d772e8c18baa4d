import { backoffMs, Counter, Gauge, PeriodicJob, type Logger, type Registry, isDuplicateKey } from '@exchange/platform';
import { type ModeratorModels, type SelectionDoc } from '../../store/models';

export const RECORD_SELECTION_MUTATION = `mutation RecordSelection($input: SelectionRecordInput!) {
  recordSelection(input: $input) { __typename }
}`;

export interface OutboxOptions {
  instanceId: string;
  billingUrl: string;
  intervalMs: number;
  batchSize: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseMs: number;
  timeoutMs: number;
  /** Signs a MODERATOR token (sub "moderator"). */
  token: () => Promise<string>;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The selection record of CONTRACTS.md (SelectionRecordInput). */
export function selectionRecordInput(sel: SelectionDoc): Record<string, unknown> {
  const i = sel.incentive;
  const incentive: Record<string, unknown> = {
    currency: i.currency,
    ratePerUnit: i.ratePerUnit,
    tiers: (i.tiers ?? []).map((t) => ({ fromQuantity: t.fromQuantity, ratePerUnit: t.ratePerUnit })),
    tierModel: i.tierModel,
  };
  if (i.billingIncrement) incentive.billingIncrement = { initialSeconds: i.billingIncrement.initialSeconds, subsequentSeconds: i.billingIncrement.subsequentSeconds };
  if (i.dataChargeModel) incentive.dataChargeModel = i.dataChargeModel;
  if (i.minimumCharge !== undefined) incentive.minimumCharge = i.minimumCharge;
  if (i.setupFee !== undefined) incentive.setupFee = i.setupFee;
  return {
    selectionId: sel._id,
    requestId: sel.requestId,
    buyerId: sel.buyerId,
    buyerIsReseller: sel.buyerIsReseller,
    // The buyer's registered end users: none for a buyer that does not resell; a reseller's selection
    // stored before the list existed sends none (billing then does not check).
    ...(sel.buyerIsReseller ? (sel.endUserIds ? { endUserIds: sel.endUserIds } : {}) : { endUserIds: [] }),
    carrierId: sel.carrierId,
    routes: sel.routes.map((r) => ({ origin: r.origin, destination: r.destination, ...(r.network ? { network: r.network } : {}) })),
    serviceType: sel.serviceType,
    interval: { start: iso(sel.interval.start), end: iso(sel.interval.end) },
    quantity: sel.quantity,
    unit: sel.unit,
    incentive,
    selectedAt: iso(sel.selectedAt),
  };
}

/**
 * Delivers each selection to billing's recordSelection. Each attempt is claimed by a unique insert
 * with a lease, so with several instances only one sends a given selection at a time; billing
 * is idempotent by selectionId, so a retry after a lost answer is harmless. Failures back off
 * exponentially up to backoffMaxMs and are retried for ever, so an outage of any length only delays.
 */
export class OutboxWorker {
  readonly ticker: PeriodicJob;
  delivered = 0;

  constructor(private readonly models: ModeratorModels, private readonly logger: Logger, private readonly opts: OutboxOptions) {
    this.ticker = new PeriodicJob('outbox', opts.intervalMs, () => this.runOnce(), logger);
  }

  start() {
    this.ticker.start(0);
  }
  kick() {
    this.ticker.kick();
  }
  stop() {
    return this.ticker.stop();
  }

  /** Selections attempted in the current run (each is tried at most once per run). */
  private skip = new Set<string>();

  async runOnce(): Promise<void> {
    this.skip = new Set();
    for (let i = 0; i < this.opts.batchSize; i++) {
      const sel = await this.claim();
      if (!sel) return;
      this.skip.add(sel._id);
      await this.deliver(sel);
    }
  }

  /**
   * Claims attempt n+1 of one due selection by inserting `<selectionId>:<n+1>` into delivery_claims:
   * the unique insert lets exactly one instance win it on every engine (a conditional update would
   * too on MongoDB and on the project's patched FerretDB, patch 0002, but not on FerretDB 1.x as
   * released). A claim whose lease ran out (its holder died) is deleted, and the attempt is
   * claimable again.
   */
  private async claim(): Promise<SelectionDoc | null> {
    const now = new Date();
    const due = await this.models.Selection.find({ 'delivery.state': { $in: ['PENDING', 'DELIVERING'] }, 'delivery.nextAttemptAt': { $lte: now } })
      .sort({ 'delivery.nextAttemptAt': 1 })
      .limit(this.opts.batchSize)
      .lean()
      .exec();
    for (const sel of due) {
      if (this.skip.has(sel._id)) continue;
      const claimId = `${sel._id}:${sel.delivery.attempts + 1}`;
      const claim = { _id: claimId, selectionId: sel._id, owner: this.opts.instanceId, at: now, leaseUntil: new Date(now.getTime() + this.opts.leaseMs) };
      try {
        await this.models.DeliveryClaim.create(claim);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const held = await this.models.DeliveryClaim.findById(claimId).lean().exec();
        if (held && held.leaseUntil.getTime() <= now.getTime()) {
          // The holder died mid-attempt: free the attempt; the next round claims it afresh.
          await this.models.DeliveryClaim.deleteOne({ _id: claimId, owner: held.owner, at: held.at }).exec();
        }
        continue;
      }
      // Re-read after winning: another instance may have finished this attempt in between.
      const fresh = await this.models.Selection.findById(sel._id).lean().exec();
      if (!fresh || fresh.delivery.state === 'DELIVERED' || fresh.delivery.attempts !== sel.delivery.attempts) {
        await this.models.DeliveryClaim.deleteOne({ _id: claimId, owner: this.opts.instanceId }).exec();
        continue;
      }
      await this.models.Selection.updateOne({ _id: sel._id }, { $set: { 'delivery.state': 'DELIVERING' } }).exec();
      return fresh;
    }
    return null;
  }

  private async deliver(sel: SelectionDoc): Promise<void> {
    let error: string | null = null;
    try {
      const res = await fetch(this.opts.billingUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.opts.token()}` },
        body: JSON.stringify({ query: RECORD_SELECTION_MUTATION, variables: { input: selectionRecordInput(sel) } }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const text = await res.text();
      let body: { data?: { recordSelection?: unknown } | null; errors?: { message: string; extensions?: { code?: string } }[] } = {};
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: reported below */
      }
      if (body.errors?.length) {
        const e = body.errors[0];
        error = `billing answered ${res.status}: ${e.extensions?.code ?? 'ERROR'}: ${e.message}`;
      } else if (!res.ok || !body.data?.recordSelection) {
        error = `billing answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      }
    } catch (err) {
      error = `billing unreachable: ${(err as Error).message}`;
    }
    const attempts = sel.delivery.attempts + 1;
    const mine = { _id: sel._id };
    if (error === null) {
      await this.models.Selection.updateOne(mine, {
        $set: { 'delivery.state': 'DELIVERED', 'delivery.attempts': attempts, 'delivery.deliveredAt': new Date(), 'delivery.lastError': null },
      }).exec();
      this.delivered++;
      // Claims only matter while a selection is undelivered.
      await this.models.DeliveryClaim.deleteMany({ selectionId: sel._id }).exec();
      return;
    }
    const delay = backoffMs(attempts, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs });
    this.logger.warn({ selectionId: sel._id, attempts, retryInMs: delay, error }, 'selection delivery failed');
    await this.models.Selection.updateOne(mine, {
      $set: {
        'delivery.state': 'PENDING',
        'delivery.attempts': attempts,
        'delivery.nextAttemptAt': new Date(Date.now() + delay),
        'delivery.lastError': error.slice(0, 500),
      },
    }).exec();
  }
}

export interface DeliveryWatchMetrics {
  /** Awards whose selection record has not reached billing within the overdue time, now. */
  overdue: Gauge;
  /** Age of the oldest award not yet delivered to billing (0 when none). */
  oldestPendingSeconds: Gauge;
  /** Awards this instance saw become overdue. */
  overdueTotal: Counter;
}

export function createDeliveryWatchMetrics(registry: Registry): DeliveryWatchMetrics {
  return {
    overdue: new Gauge({
      name: 'moderator_selection_deliveries_overdue',
      help: 'Awards whose selection record has not reached billing within OUTBOX_OVERDUE_MS',
      registers: [registry],
    }),
    oldestPendingSeconds: new Gauge({
      name: 'moderator_selection_delivery_oldest_pending_seconds',
      help: 'Age in seconds of the oldest award whose selection record has not reached billing (0 when none)',
      registers: [registry],
    }),
    overdueTotal: new Counter({
      name: 'moderator_selection_deliveries_overdue_total',
      help: 'Awards this instance saw become overdue (selection record not in billing within OUTBOX_OVERDUE_MS)',
      registers: [registry],
    }),
  };
}

/**
 * Tells the operator when an award's selection record has not reached billing in time: a metric
 * (how many are overdue now, how old the oldest undelivered one is) and one warning per award
 * and instance when it becomes overdue. It runs whether or not this instance delivers (the outbox
 * may be off here, or failing everywhere), reading only the undelivered selections (indexed by
 * delivery state).
 */
export class DeliveryWatch {
  readonly ticker: PeriodicJob;
  private warned = new Set<string>();

  constructor(
    private readonly models: ModeratorModels,
    private readonly logger: Logger,
    private readonly metrics: DeliveryWatchMetrics,
    private readonly opts: { overdueMs: number; intervalMs?: number; clock?: () => Date },
  ) {
    const interval = opts.intervalMs ?? Math.min(30_000, Math.max(1000, Math.floor(opts.overdueMs / 2)));
    this.ticker = new PeriodicJob('delivery watch', interval, () => this.check(), logger);
  }

  start() {
    this.ticker.start(0);
  }
  stop() {
    return this.ticker.stop();
  }

  async check(): Promise<void> {
    const now = (this.opts.clock ?? (() => new Date()))();
    const pending = await this.models.Selection.find(
      { 'delivery.state': { $in: ['PENDING', 'DELIVERING'] } },
      { requestId: 1, selectedAt: 1, delivery: 1 },
    )
      .lean()
      .exec();
    let overdue = 0;
    let oldest = 0;
    const still = new Set<string>();
    for (const sel of pending) {
      const age = now.getTime() - new Date(sel.selectedAt).getTime();
      oldest = Math.max(oldest, age);
      if (age < this.opts.overdueMs) continue;
      overdue++;
      still.add(sel._id);
      if (this.warned.has(sel._id)) continue;
      this.warned.add(sel._id);
      this.metrics.overdueTotal.inc();
      this.logger.warn(
        {
          selectionId: sel._id,
          requestId: sel.requestId,
          selectedAt: new Date(sel.selectedAt).toISOString(),
          pendingForMs: age,
          overdueMs: this.opts.overdueMs,
          state: sel.delivery.state,
          attempts: sel.delivery.attempts,
          lastError: sel.delivery.lastError ?? null,
        },
        'selection record has not reached billing within OUTBOX_OVERDUE_MS',
      );
    }
    // Delivered (or gone) ones leave the set, so the set stays as small as the backlog.
    for (const id of this.warned) if (!still.has(id)) this.warned.delete(id);
    this.metrics.overdue.set(overdue);
    this.metrics.oldestPendingSeconds.set(Math.round(oldest / 1000));
  }
}
