import type { Identity, Logger, PubSub } from '@exchange/platform';
import { answerFromMemory } from '@exchange/platform';
import { RoutingIndex, type RouteLookup, type RouteMissReason, type RoutingEntry } from '../../domain/routing';
import { parseInstant } from '../../domain/time';
import type { ModeratorModels, SelectionDoc } from '../../store/models';
import { activeSelections } from '../../store/selection.model';
import { badInput, forbidden, requireRole } from '../errors';
import { TOPIC_ROUTING_CHANGED } from '../events/topics';

export interface RouteDecision {
  destination: string;
  at: Date;
  buyerId: string;
  entry: RoutingEntry | null;
  reason: RouteMissReason | null;
}

export function routingEntriesOf(sel: SelectionDoc): RoutingEntry[] {
  return sel.routes.map((r) => ({
    selectionId: sel._id,
    buyerId: sel.buyerId,
    carrierId: sel.carrierId,
    prefix: r.destination,
    intervalStart: new Date(sel.interval.start),
    intervalEnd: new Date(sel.interval.end),
    ratePerUnit: sel.incentive.ratePerUnit,
    currency: sel.incentive.currency,
    requestId: sel.requestId,
  }));
}

const CSV_HEADER = 'prefix,carrier_id,rate_per_unit,currency,interval_start,interval_end,selection_id,request_id';

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function routingTableCsv(entries: readonly RoutingEntry[]): string {
  const lines = entries.map((e) =>
    [e.prefix, e.carrierId, e.ratePerUnit, e.currency, e.intervalStart.toISOString(), e.intervalEnd.toISOString(), e.selectionId, e.requestId]
      .map(csvField)
      .join(','),
  );
  return [CSV_HEADER, ...lines].join('\r\n') + '\r\n';
}

export function routingTableJson(entries: readonly RoutingEntry[]): string {
  return JSON.stringify(
    entries.map((e) => ({
      prefix: e.prefix,
      carrierId: e.carrierId,
      ratePerUnit: e.ratePerUnit,
      currency: e.currency,
      intervalStart: e.intervalStart.toISOString(),
      intervalEnd: e.intervalEnd.toISOString(),
      selectionId: e.selectionId,
      requestId: e.requestId,
    })),
  );
}

/**
 * The switch-facing routing table: the domain's in-memory prefix index, loaded from the active
 * selections at start, updated on every selection, and kept consistent across instances through a
 * `routing.changed` event (each instance re-reads the selection) plus a full reload whenever the
 * pub/sub transport reports lost events.
 */
export class RoutingService {
  private index = new RoutingIndex();
  private iterator: AsyncIterableIterator<{ selectionId: string }> | null = null;
  private offInterruption: (() => void) | null = null;
  reloads = 0;

  constructor(private readonly models: ModeratorModels, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async start(): Promise<void> {
    await this.reload();
    this.iterator = this.pubsub.subscribe<{ selectionId: string }>(TOPIC_ROUTING_CHANGED);
    void this.consume(this.iterator);
    this.offInterruption = this.pubsub.onInterruption(() => {
      this.reload().catch((err) => this.logger.error({ err: (err as Error).message }, 'routing reload failed'));
    });
  }

  private async consume(it: AsyncIterableIterator<{ selectionId: string }>): Promise<void> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      try {
        await this.applySelectionId(r.value.selectionId);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'routing update failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.offInterruption?.();
    await this.iterator?.return?.();
  }

  /** Rebuilds from the database into a fresh index, then swaps, so lookups never see a half-built one. */
  async reload(): Promise<void> {
    const next = new RoutingIndex();
    for await (const sel of activeSelections(this.models.Selection, new Date())) for (const e of routingEntriesOf(sel)) next.upsert(e);
    this.index = next;
    this.reloads++;
  }

  apply(sel: SelectionDoc): void {
    for (const e of routingEntriesOf(sel)) this.index.upsert(e);
  }

  private async applySelectionId(selectionId: string): Promise<void> {
    const sel = await this.models.Selection.findById(selectionId).lean().exec();
    if (sel) this.apply(sel);
  }

  /** Applies locally and tells the other instances. */
  async onSelection(sel: SelectionDoc): Promise<void> {
    this.apply(sel);
    await this.pubsub.publish(TOPIC_ROUTING_CHANGED, { selectionId: sel._id });
  }

  /** The route server's lookup: `digits` already checked, `t` in epoch milliseconds. */
  lookup(buyerId: string, digits: string, t: number): RouteLookup {
    return this.index.lookupAt(buyerId, digits, t);
  }

  get size(): number {
    return this.index.size;
  }

  private buyerFor(identity: Identity | null, buyerIdArg: string | null | undefined): string {
    const me = requireRole(identity, ['BUYER', 'ADMIN']);
    if (me.role === 'BUYER') {
      if (buyerIdArg && buyerIdArg !== me.sub) throw forbidden("A buyer may use only its own routing table");
      return me.sub;
    }
    if (!buyerIdArg) throw badInput('buyerId', 'buyerId is required for ADMIN');
    return buyerIdArg;
  }

  private instant(v: unknown): Date {
    if (v === undefined || v === null) return new Date();
    return parseInstant('at', v);
  }

  routeCall(identity: Identity | null, destination: string, at?: unknown, buyerIdArg?: string | null): RouteDecision {
    const buyerId = this.buyerFor(identity, buyerIdArg);
    if (typeof destination !== 'string' || !/^\+?[0-9]{1,20}$/.test(destination)) {
      throw badInput('destination', "destination must be digits (E.164, optional leading '+')");
    }
    const when = this.instant(at);
    answerFromMemory(); // the in-memory index, not a collection: the gateway keeps no such answer
    const r = this.index.lookup(buyerId, destination, when);
    return { destination, at: when, buyerId, entry: r.entry, reason: r.entry ? null : (r as { reason: RouteMissReason }).reason };
  }

  table(identity: Identity | null, at?: unknown, buyerIdArg?: string | null): { buyerId: string; at: Date; entries: RoutingEntry[] } {
    const buyerId = this.buyerFor(identity, buyerIdArg);
    const when = this.instant(at);
    answerFromMemory(); // the in-memory index, not a collection: the gateway keeps no such answer
    return { buyerId, at: when, entries: this.index.table(buyerId, when) };
  }
}
