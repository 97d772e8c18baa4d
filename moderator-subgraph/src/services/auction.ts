import type { Identity, Logger, PubSub } from '@exchange/platform';
import { eligibleCarriers } from '../domain/distribution';
import { DomainError } from '../domain/errors';
import { validateIncentive } from '../domain/incentive';
import { validateOfferedQos } from '../domain/qos';
import { validateBidCurrency } from '../domain/ranking';
import { REQUEST_STATUSES, validateServiceRequestInput, type ServiceRequestInput } from '../domain/service-request';
import { parseInstant } from '../domain/time';
import {
  isDuplicateKey,
  type ActiveBidDoc,
  type BidDoc,
  type ModeratorModels,
  type SelectionDoc,
  type ServiceRequestDoc,
} from '../store/models';
import { requestView } from './access';
import { rankingOf } from './board';
import { AppError, asAppError, badInput, conflict, forbidden, notFound, requireIdentity, requireRole } from './errors';
import { newId, selectionIdFor } from './ids';
import { TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from './topics';

export type BidUpdateKind = 'ACCEPTED' | 'REPLACED' | 'WITHDRAWN';

/** Internal event; only the GraphQL layer's per-subscriber projection ever reaches a client. */
export interface BidUpdateEvent {
  requestId: string;
  kind: BidUpdateKind;
  bidId: string;
  carrierId: string;
  at: string;
  quantity: string;
  qosRequirements?: ServiceRequestDoc['qosRequirements'];
  activeBids: ActiveBidDoc[];
}

export interface RequestDistributedEvent {
  requestId: string;
  carrierIds: string[];
  at: string;
}

export interface AuctionHooks {
  /** Called after a selection document is written (routing index, outbox nudge). */
  onSelection?: (sel: SelectionDoc) => void | Promise<void>;
}

export interface ServiceRequestFilter {
  status?: string | null;
  buyerId?: string | null;
}

const MAX_WRITE_ATTEMPTS = 200;

function domain<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asAppError(err);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests, bids and the close. Every state change is a single-document conditional write:
 * a bid is accepted only by a write that still finds the request OPEN (with the version it read),
 * and the close flips OPEN → CLOSING in one write, so the bids that count are exactly those written
 * before it, and the winner is computed from the document that write returned.
 */
export class AuctionService {
  /** Closes claimed by this instance (the multi-instance test counts them). */
  closesClaimed = 0;

  constructor(
    private readonly models: ModeratorModels,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly opts: { instanceId: string; closeLeaseMs: number; clock?: () => Date; hooks?: AuctionHooks },
  ) {}

  private now(): Date {
    return this.opts.clock ? this.opts.clock() : new Date();
  }

  private async publish(topic: string, payload: unknown): Promise<void> {
    try {
      await this.pubsub.publish(topic, payload);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, topic }, 'publish failed');
    }
  }

  // ---------------------------------------------------------------- requests

  async createRequest(identity: Identity | null, input: ServiceRequestInput & { endUserId?: unknown }): Promise<ServiceRequestDoc> {
    const me = requireRole(identity, 'BUYER');
    const now = this.now();
    const spec = domain(() => validateServiceRequestInput(input, now));
    const buyer = await this.models.Buyer.findById(me.sub).lean().exec();
    if (!buyer) throw forbidden(`${me.sub} is not a registered buyer`);
    let endUserId: string | undefined;
    if (input.endUserId !== undefined && input.endUserId !== null) {
      if (!buyer.isReseller) throw badInput('input.endUserId', 'input.endUserId is only for resellers');
      if (typeof input.endUserId !== 'string' || !buyer.endUsers.some((e) => e.id === input.endUserId)) {
        throw badInput('input.endUserId', 'input.endUserId is not one of your end users');
      }
      endUserId = input.endUserId;
    }
    const carriers = await this.models.Carrier.find({}, { coverage: 1 }).lean().exec();
    const eligible = eligibleCarriers(
      carriers.map((c) => ({ id: c._id, coverage: c.coverage })),
      spec.routes,
    ).map((c) => c.id);

    const doc: ServiceRequestDoc = {
      _id: newId('sr'),
      status: 'OPEN',
      createdAt: now,
      buyerId: me.sub,
      routes: spec.routes,
      serviceType: spec.serviceType,
      quantity: spec.quantity,
      unit: spec.unit,
      interval: spec.interval,
      biddingClosesAt: spec.biddingClosesAt,
      carrierIds: eligible,
      currency: null,
      activeBids: [],
      version: 0,
    };
    if (endUserId) doc.endUserId = endUserId;
    if (spec.qosRequirements) doc.qosRequirements = spec.qosRequirements;
    // The request (with its carrier list) is the record of distribution; the Distribution rows are
    // its queryable copy, idempotent by (request, carrier).
    await this.models.ServiceRequest.create(doc);
    if (eligible.length > 0) {
      try {
        await this.models.Distribution.insertMany(
          eligible.map((carrierId) => ({ _id: `${doc._id}:${carrierId}`, requestId: doc._id, carrierId, at: now })),
          { ordered: false },
        );
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const event: RequestDistributedEvent = { requestId: doc._id, carrierIds: eligible, at: now.toISOString() };
      await this.publish(TOPIC_REQUEST_DISTRIBUTED, event);
    }
    return doc;
  }

  /** The request if the caller may see it at all; FORBIDDEN otherwise; null when unknown. */
  async visibleRequest(identity: Identity | null, id: string): Promise<ServiceRequestDoc | null> {
    requireIdentity(identity);
    const req = await this.models.ServiceRequest.findById(id).lean().exec();
    if (!req) return null;
    if (!requestView(identity, req)) throw forbidden('You may not see this service request');
    return req;
  }

  async listRequests(identity: Identity | null, filter: ServiceRequestFilter = {}, first = 50): Promise<ServiceRequestDoc[]> {
    const me = requireIdentity(identity);
    const limit = Math.max(1, Math.min(first ?? 50, 200));
    const q: Record<string, unknown> = {};
    if (filter.status) {
      if (!(REQUEST_STATUSES as readonly string[]).includes(filter.status) && filter.status !== 'CLOSING') {
        throw badInput('filter.status', 'filter.status is not a request status');
      }
      q.status = filter.status;
    }
    if (me.role === 'BUYER') {
      if (filter.buyerId && filter.buyerId !== me.sub) throw forbidden('A buyer may list only its own requests');
      q.buyerId = me.sub;
    } else if (me.role === 'ADMIN' || me.role === 'MODERATOR') {
      if (filter.buyerId) q.buyerId = filter.buyerId;
    } else {
      throw forbidden('Only buyers and operators may list service requests (carriers: openRequests)');
    }
    return this.models.ServiceRequest.find(q).sort({ createdAt: -1 }).limit(limit).lean().exec();
  }

  async openRequests(identity: Identity | null, carrierIdArg?: string | null): Promise<ServiceRequestDoc[]> {
    const me = requireIdentity(identity);
    let carrierId: string;
    if (me.role === 'CARRIER') {
      if (carrierIdArg && carrierIdArg !== me.sub) throw forbidden('A carrier sees only requests distributed to it');
      carrierId = me.sub;
    } else if (me.role === 'ADMIN' || me.role === 'MODERATOR') {
      if (!carrierIdArg) throw badInput('carrierId', 'carrierId is required for operators');
      carrierId = carrierIdArg;
    } else throw forbidden('Only carriers and operators may list open requests');
    const dists = await this.models.Distribution.find({ carrierId }, { requestId: 1 }).sort({ at: -1 }).limit(1000).lean().exec();
    if (dists.length === 0) return [];
    return this.models.ServiceRequest.find({ _id: { $in: dists.map((d) => d.requestId) }, status: 'OPEN' })
      .sort({ biddingClosesAt: 1 })
      .lean()
      .exec();
  }

  async cancelRequest(identity: Identity | null, id: string): Promise<ServiceRequestDoc> {
    const me = requireRole(identity, 'BUYER', 'ADMIN');
    const req = await this.models.ServiceRequest.findById(id).lean().exec();
    if (!req) throw notFound('No such service request', 'id');
    if (me.role === 'BUYER' && req.buyerId !== me.sub) throw forbidden('Only the buyer that made the request may cancel it');
    const now = this.now();
    const done = await this.models.ServiceRequest.findOneAndUpdate(
      { _id: id, status: 'OPEN' },
      { $set: { status: 'CANCELLED', cancelledAt: now, closedAt: now } },
      { returnDocument: 'after' },
    )
      .lean()
      .exec();
    if (!done) throw conflict(`The request is ${req.status === 'OPEN' ? 'closing' : req.status}; only an OPEN request can be cancelled`, 'id');
    return done;
  }

  // ---------------------------------------------------------------- bids

  async submitBid(
    identity: Identity | null,
    input: { requestId?: unknown; incentive?: unknown; offeredQos?: unknown; validUntil?: unknown },
  ): Promise<BidDoc> {
    const me = requireRole(identity, 'CARRIER');
    if (typeof input.requestId !== 'string' || !input.requestId) throw badInput('input.requestId', 'input.requestId is required');
    const req = await this.models.ServiceRequest.findById(input.requestId).lean().exec();
    if (!req) throw notFound('No such service request', 'input.requestId');
    if (!(req.carrierIds ?? []).includes(me.sub)) throw forbidden('This request was not distributed to you');
    const now = this.now();
    this.assertBiddable(req, now);
    const incentive = domain(() => validateIncentive(input.incentive as never, req.serviceType!, 'input.incentive', req.unit));
    const offeredQos = domain(() => validateOfferedQos(input.offeredQos, 'input.offeredQos'));
    let validUntil: Date | undefined;
    if (input.validUntil !== undefined && input.validUntil !== null) {
      validUntil = domain(() => parseInstant('input.validUntil', input.validUntil));
      if (validUntil.getTime() <= now.getTime()) throw badInput('input.validUntil', 'input.validUntil must be in the future');
    }
    domain(() => validateBidCurrency(req.currency, incentive.currency));

    const bid: BidDoc = {
      _id: newId('bid'),
      requestId: req._id,
      carrierId: me.sub,
      status: 'PENDING',
      incentive,
      submittedAt: now,
    };
    if (offeredQos && Object.keys(offeredQos).length > 0) bid.offeredQos = offeredQos;
    if (validUntil) bid.validUntil = validUntil;
    const entry: ActiveBidDoc = { bidId: bid._id, carrierId: me.sub, submittedAt: now, incentive };
    if (bid.offeredQos) entry.offeredQos = bid.offeredQos;
    if (validUntil) entry.validUntil = validUntil;

    // History first (not yet counting), then the one write that makes it count.
    await this.models.Bid.create(bid);
    let previous: ActiveBidDoc | undefined;
    let updated: ServiceRequestDoc;
    try {
      updated = await this.casRequest(req._id, (cur) => {
        this.assertBiddable(cur, this.now());
        domain(() => validateBidCurrency(cur.currency, incentive.currency));
        const active = cur.activeBids ?? [];
        previous = active.find((a) => a.carrierId === me.sub);
        return {
          activeBids: [...active.filter((a) => a.carrierId !== me.sub), entry],
          ...(cur.currency ? {} : { currency: incentive.currency }),
        };
      });
    } catch (err) {
      await this.models.Bid.updateOne({ _id: bid._id }, { $set: { status: 'REJECTED' } }).exec();
      throw err;
    }
    bid.status = 'ACTIVE';
    const set: Record<string, unknown> = { status: 'ACTIVE' };
    if (previous) {
      bid.replacesBidId = previous.bidId;
      set.replacesBidId = previous.bidId;
    }
    await this.models.Bid.updateOne({ _id: bid._id }, { $set: set }).exec();
    if (previous) {
      await this.models.Bid.updateOne({ _id: previous.bidId }, { $set: { status: 'REPLACED', replacedByBidId: bid._id } }).exec();
    }
    await this.publishBidUpdate(updated, previous ? 'REPLACED' : 'ACCEPTED', bid._id, me.sub, now);
    return bid;
  }

  async withdrawBid(identity: Identity | null, bidId: string): Promise<BidDoc> {
    const me = requireRole(identity, 'CARRIER');
    const bid = await this.models.Bid.findById(bidId).lean().exec();
    if (!bid || bid.carrierId !== me.sub) throw notFound('No such bid of yours', 'bidId');
    if (bid.status !== 'ACTIVE' && bid.status !== 'PENDING') throw conflict(`The bid is ${bid.status}`, 'bidId');
    const now = this.now();
    const updated = await this.casRequest(bid.requestId, (cur) => {
      this.assertBiddable(cur, this.now());
      const active = cur.activeBids ?? [];
      if (!active.some((a) => a.bidId === bidId)) throw conflict('The bid no longer counts (replaced or withdrawn)', 'bidId');
      return { activeBids: active.filter((a) => a.bidId !== bidId) };
    });
    const done = await this.models.Bid.findOneAndUpdate(
      { _id: bidId },
      { $set: { status: 'WITHDRAWN', withdrawnAt: now } },
      { returnDocument: 'after' },
    )
      .lean()
      .exec();
    await this.publishBidUpdate(updated, 'WITHDRAWN', bidId, me.sub, now);
    return done as BidDoc;
  }

  private assertBiddable(req: ServiceRequestDoc, now: Date): void {
    if (req.status !== 'OPEN') throw conflict(`Bidding is closed: the request is ${req.status}`, 'input.requestId');
    if (!req.biddingClosesAt || now.getTime() >= new Date(req.biddingClosesAt).getTime()) {
      throw conflict('Bidding is closed: biddingClosesAt has passed', 'input.requestId');
    }
  }

  /**
   * Optimistic single-document update of the request's active bids: re-read, apply, and write on the
   * condition that it is still OPEN, still before biddingClosesAt and unchanged since the read.
   */
  private async casRequest(id: string, change: (cur: ServiceRequestDoc) => Partial<ServiceRequestDoc>): Promise<ServiceRequestDoc> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const cur = await this.models.ServiceRequest.findById(id).lean().exec();
      if (!cur) throw notFound('No such service request', 'input.requestId');
      const set = change(cur);
      const now = this.now();
      const version = cur.version ?? 0;
      const updated = await this.models.ServiceRequest.findOneAndUpdate(
        {
          _id: id,
          status: 'OPEN',
          biddingClosesAt: { $gt: now },
          ...(cur.version === undefined ? { version: { $exists: false } } : { version }),
        },
        { $set: { ...set, version: version + 1 } },
        { returnDocument: 'after' },
      )
        .lean()
        .exec();
      if (updated) return updated;
      await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
    }
    throw new AppError('CONFLICT', 'The request is too busy; try again');
  }

  private async publishBidUpdate(req: ServiceRequestDoc, kind: BidUpdateKind, bidId: string, carrierId: string, at: Date) {
    const event: BidUpdateEvent = {
      requestId: req._id,
      kind,
      bidId,
      carrierId,
      at: at.toISOString(),
      quantity: req.quantity ?? '0',
      activeBids: req.activeBids ?? [],
    };
    if (req.qosRequirements) event.qosRequirements = req.qosRequirements;
    await this.publish(topicBidUpdates(req._id), event);
  }

  // ---------------------------------------------------------------- close

  /** The buyer's (or an operator's) early close. Idempotent: an already closed request is returned. */
  async closeBidding(identity: Identity | null, requestId: string): Promise<ServiceRequestDoc> {
    const me = requireRole(identity, 'BUYER', 'ADMIN');
    const req = await this.models.ServiceRequest.findById(requestId).lean().exec();
    if (!req) throw notFound('No such service request', 'requestId');
    if (me.role === 'BUYER' && req.buyerId !== me.sub) throw forbidden('Only the buyer that made the request may close it');
    if (req.status === 'CANCELLED') throw conflict('The request was cancelled', 'requestId');
    const closed = await this.close(requestId);
    if (closed) return closed;
    // Someone else is closing it: wait for the outcome rather than report a transient state.
    for (let i = 0; i < 100; i++) {
      const cur = await this.models.ServiceRequest.findById(requestId).lean().exec();
      if (!cur || cur.status !== 'CLOSING') return cur as ServiceRequestDoc;
      await sleep(50);
    }
    return (await this.models.ServiceRequest.findById(requestId).lean().exec()) as ServiceRequestDoc;
  }

  /** Claims the request (OPEN → CLOSING) and awards it; null when it was not OPEN. */
  async close(requestId: string): Promise<ServiceRequestDoc | null> {
    const now = this.now();
    const claimed = await this.models.ServiceRequest.findOneAndUpdate(
      { _id: requestId, status: 'OPEN' },
      {
        $set: {
          status: 'CLOSING',
          closingAt: now,
          closeLeaseUntil: new Date(now.getTime() + this.opts.closeLeaseMs),
          closedBy: this.opts.instanceId,
        },
      },
      { returnDocument: 'after' },
    )
      .lean()
      .exec();
    if (!claimed) return null;
    this.closesClaimed++;
    return this.finishClose(claimed);
  }

  /** Takes over a close whose claimer died (lease expired); the outcome is the same, it is deterministic. */
  async recoverClose(requestId: string): Promise<ServiceRequestDoc | null> {
    const now = this.now();
    const claimed = await this.models.ServiceRequest.findOneAndUpdate(
      { _id: requestId, status: 'CLOSING', closeLeaseUntil: { $lte: now } },
      { $set: { closeLeaseUntil: new Date(now.getTime() + this.opts.closeLeaseMs), closedBy: this.opts.instanceId } },
      { returnDocument: 'after' },
    )
      .lean()
      .exec();
    if (!claimed) return null;
    return this.finishClose(claimed);
  }

  /**
   * The winner is computed from the claimed document alone (its bids are frozen once it left OPEN), as
   * of closingAt, so every attempt at finishing one close picks the same bid. The selection, with its
   * outbox entry, is one insert keyed by the request; the request's final status follows.
   */
  private async finishClose(req: ServiceRequestDoc): Promise<ServiceRequestDoc> {
    const at = new Date(req.closingAt ?? this.now());
    const ranking = rankingOf(req, at);
    const best = ranking.ranked[0];
    const now = this.now();
    if (!best) {
      const done = await this.models.ServiceRequest.findOneAndUpdate(
        { _id: req._id, status: 'CLOSING' },
        { $set: { status: 'NO_AWARD', closedAt: now } },
        { returnDocument: 'after' },
      )
        .lean()
        .exec();
      return done ?? ((await this.models.ServiceRequest.findById(req._id).lean().exec()) as ServiceRequestDoc);
    }
    const buyer = req.buyerId ? await this.models.Buyer.findById(req.buyerId).lean().exec() : null;
    const sel: SelectionDoc = {
      _id: selectionIdFor(req._id),
      requestId: req._id,
      buyerId: req.buyerId ?? '',
      buyerIsReseller: buyer?.isReseller ?? false,
      carrierId: best.bid.carrierId,
      bidId: best.bid.id,
      routes: req.routes ?? [],
      serviceType: req.serviceType!,
      interval: { start: new Date(req.interval!.start), end: new Date(req.interval!.end) },
      quantity: req.quantity!,
      unit: req.unit!,
      incentive: best.bid.incentive,
      estimatedCost: best.estimatedCost,
      selectedAt: at,
      delivery: { state: 'PENDING', attempts: 0, nextAttemptAt: at, lastError: null, leaseOwner: null, leaseUntil: null, deliveredAt: null },
    };
    if (req.endUserId) sel.endUserId = req.endUserId;
    try {
      await this.models.Selection.create(sel);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const done = await this.models.ServiceRequest.findOneAndUpdate(
      { _id: req._id, status: 'CLOSING' },
      { $set: { status: 'AWARDED', closedAt: now, selectionId: sel._id } },
      { returnDocument: 'after' },
    )
      .lean()
      .exec();
    try {
      await this.opts.hooks?.onSelection?.(sel);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, selectionId: sel._id }, 'selection hook failed');
    }
    return done ?? ((await this.models.ServiceRequest.findById(req._id).lean().exec()) as ServiceRequestDoc);
  }
}

export { DomainError };
