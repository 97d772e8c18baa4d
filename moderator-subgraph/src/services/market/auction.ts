import { isDuplicateKey, newestFirst, type Identity, type Logger, type PubSub } from '@exchange/platform';
import { eligibleCarriers } from '../../domain/distribution';
import { validateIncentive } from '../../domain/incentive';
import { validateOfferedQos } from '../../domain/qos';
import { validateBidCurrency } from '../../domain/ranking';
import { REQUEST_STATUSES, validateServiceRequestInput, type ServiceRequestInput } from '../../domain/service-request';
import { parseInstant } from '../../domain/time';
import {
  type ActiveBidDoc,
  type BidDoc,
  type ModeratorModels,
  type SelectionDoc,
  type ServiceRequestDoc,
} from '../../store/models';
import { requestView } from '../access';
import { foldLog, logEntryId, type AuctionLogEntry, type AuctionState } from '../../domain/auction-log';
import { rankingOf } from './board';
import { badInput, conflict, forbidden, notFound, requireIdentity, requireRole } from '../errors';
import { newId, selectionIdFor } from '../ids';
import { marketBoardAt, type MarketBoardEvent } from './market';
import { TOPIC_MARKET_BOARDS, TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from '../events/topics';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests, bids and the close (over 400 lines on purpose: one class keeps every writer of the
 * auction log, its retry and its publishing together, so the ordering invariant below is read in
 * one place). Bids, withdrawals, the close and cancellation are entries of the
 * request's append-only auction log (see auction-log.ts): a bid counts exactly when its entry comes
 * before the first CLOSE/CANCEL, so a bid racing the close either counts or is refused, and the
 * winner is ranked from the bids before the close, whoever completes it.
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
    const me = requireRole(identity, ['BUYER']);
    const now = this.now();
    const spec = validateServiceRequestInput(input, now);
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
    const opened: MarketBoardEvent = { kind: 'OPENED', at: now.toISOString(), board: marketBoardAt(doc, [], now) };
    await this.publish(TOPIC_MARKET_BOARDS, opened);
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
      if (!(REQUEST_STATUSES as readonly string[]).includes(filter.status)) {
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
    return newestFirst<ServiceRequestDoc>(this.models.ServiceRequest, q, { field: 'createdAt', limit });
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
    const me = requireRole(identity, ['BUYER', 'ADMIN']);
    const req = await this.models.ServiceRequest.findById(id).lean().exec();
    if (!req) throw notFound('No such service request', 'id');
    if (me.role === 'BUYER' && req.buyerId !== me.sub) throw forbidden('Only the buyer that made the request may cancel it');
    if (req.status !== 'OPEN') throw conflict(`The request is ${req.status}; only an OPEN request can be cancelled`, 'id');
    const now = this.now();
    if (req.biddingClosesAt && now.getTime() >= new Date(req.biddingClosesAt).getTime()) {
      throw conflict('Bidding has closed; the request can no longer be cancelled', 'id');
    }
    const seq = await this.append(id, { kind: 'CANCEL', at: now, by: me.sub });
    const state = foldLog(await this.log(id), req.biddingClosesAt);
    const terminal = state.terminal;
    if (!terminal || terminal.seq !== seq) {
      if (terminal) await this.complete(req, state);
      throw conflict('The request closed before it could be cancelled', 'id');
    }
    return this.complete(req, state);
  }

  // ---------------------------------------------------------------- the auction log

  async log(requestId: string): Promise<AuctionLogEntry[]> {
    return this.models.AuctionLog.find({ requestId }).sort({ seq: 1 }).lean().exec();
  }

  /** Appends at the next free sequence number (unique insert; on a clash, the next one). */
  private async append(requestId: string, entry: Omit<AuctionLogEntry, '_id' | 'requestId' | 'seq'>): Promise<number> {
    for (let round = 0; round < 50; round++) {
      const last = await this.models.AuctionLog.find({ requestId }, { seq: 1 }).sort({ seq: -1 }).limit(1).lean().exec();
      let seq = (last[0]?.seq ?? 0) + 1;
      for (let i = 0; i < 20; i++, seq++) {
        try {
          await this.models.AuctionLog.create({ ...entry, _id: logEntryId(requestId, seq), requestId, seq });
          return seq;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
      }
      await sleep(Math.random() * 20);
    }
    throw conflict('The request is too busy; try again');
  }

  /** Current auction state of a request (from its log). */
  async state(req: Pick<ServiceRequestDoc, '_id' | 'biddingClosesAt'>): Promise<AuctionState> {
    return foldLog(await this.log(req._id), req.biddingClosesAt);
  }

  // ---------------------------------------------------------------- bids

  async submitBid(
    identity: Identity | null,
    input: { requestId?: unknown; incentive?: unknown; offeredQos?: unknown; validUntil?: unknown },
  ): Promise<BidDoc> {
    const me = requireRole(identity, ['CARRIER']);
    if (typeof input.requestId !== 'string' || !input.requestId) throw badInput('input.requestId', 'input.requestId is required');
    const req = await this.models.ServiceRequest.findById(input.requestId).lean().exec();
    if (!req) throw notFound('No such service request', 'input.requestId');
    if (!(req.carrierIds ?? []).includes(me.sub)) throw forbidden('This request was not distributed to you');
    const now = this.now();
    this.assertBiddable(req, now, 'input.requestId');
    const incentive = validateIncentive(input.incentive as never, req.serviceType!, 'input.incentive', req.unit);
    const offeredQos = validateOfferedQos(input.offeredQos, 'input.offeredQos');
    let validUntil: Date | undefined;
    if (input.validUntil !== undefined && input.validUntil !== null) {
      validUntil = parseInstant('input.validUntil', input.validUntil);
      if (validUntil.getTime() <= now.getTime()) throw badInput('input.validUntil', 'input.validUntil must be in the future');
    }
    const before = await this.state(req);
    if (before.terminal) throw conflict('Bidding is closed', 'input.requestId');
    validateBidCurrency(before.currency, incentive.currency);

    const bid: BidDoc = { _id: newId('bid'), requestId: req._id, carrierId: me.sub, status: 'PENDING', incentive, submittedAt: now };
    if (offeredQos && Object.keys(offeredQos).length > 0) bid.offeredQos = offeredQos;
    if (validUntil) bid.validUntil = validUntil;
    const entry: ActiveBidDoc = { bidId: bid._id, carrierId: me.sub, submittedAt: now, incentive };
    if (bid.offeredQos) entry.offeredQos = bid.offeredQos;
    if (validUntil) entry.validUntil = validUntil;

    // History first (not yet counting), then the log entry whose place in the log decides.
    await this.models.Bid.create(bid);
    const seq = await this.append(req._id, { kind: 'BID', at: now, carrierId: me.sub, bidId: bid._id, bid: entry });
    const state = foldLog(await this.log(req._id), req.biddingClosesAt, seq);
    const effect = state.effects.get(seq);
    if (!effect || (effect.effect !== 'ACCEPTED' && effect.effect !== 'REPLACED')) {
      await this.models.Bid.updateOne({ _id: bid._id }, { $set: { status: 'REJECTED' } }).exec();
      if (state.terminal) throw conflict('Bidding closed before the bid arrived', 'input.requestId');
      if (state.currency && state.currency !== incentive.currency) {
        throw badInput('input.incentive.currency', `input.incentive.currency must be ${state.currency}: bids on this request are priced in ${state.currency}`);
      }
      throw conflict(`The bid was not accepted: ${effect?.reason ?? 'unknown'}`, 'input.requestId');
    }
    bid.status = 'ACTIVE';
    if (effect.replaced) {
      bid.replacesBidId = effect.replaced;
      await this.models.Bid.updateOne({ _id: bid._id }, { $set: { status: 'ACTIVE', replacesBidId: effect.replaced } }).exec();
      await this.models.Bid.updateOne({ _id: effect.replaced }, { $set: { status: 'REPLACED', replacedByBidId: bid._id } }).exec();
    } else {
      await this.models.Bid.updateOne({ _id: bid._id }, { $set: { status: 'ACTIVE' } }).exec();
    }
    await this.publishBidUpdate(req, state, effect.effect === 'REPLACED' ? 'REPLACED' : 'ACCEPTED', bid._id, me.sub, now);
    return bid;
  }

  async withdrawBid(identity: Identity | null, bidId: string): Promise<BidDoc> {
    const me = requireRole(identity, ['CARRIER']);
    const bid = await this.models.Bid.findById(bidId).lean().exec();
    if (!bid || bid.carrierId !== me.sub) throw notFound('No such bid of yours', 'bidId');
    if (bid.status !== 'ACTIVE' && bid.status !== 'PENDING') throw conflict(`The bid is ${bid.status}`, 'bidId');
    const req = (await this.models.ServiceRequest.findById(bid.requestId).lean().exec()) as ServiceRequestDoc;
    const now = this.now();
    this.assertBiddable(req, now, 'bidId');
    const seq = await this.append(req._id, { kind: 'WITHDRAW', at: now, carrierId: me.sub, bidId });
    const state = foldLog(await this.log(req._id), req.biddingClosesAt, seq);
    if (state.effects.get(seq)?.effect !== 'WITHDRAWN') {
      if (state.terminal) throw conflict('Bidding closed before the withdrawal arrived', 'bidId');
      throw conflict('The bid no longer counts (replaced or withdrawn)', 'bidId');
    }
    await this.models.Bid.updateOne({ _id: bidId }, { $set: { status: 'WITHDRAWN', withdrawnAt: now } }).exec();
    await this.publishBidUpdate(req, state, 'WITHDRAWN', bidId, me.sub, now);
    return { ...bid, status: 'WITHDRAWN', withdrawnAt: now };
  }

  private assertBiddable(req: ServiceRequestDoc, now: Date, field: string): void {
    if (req.status !== 'OPEN') throw conflict(`Bidding is closed: the request is ${req.status}`, field);
    if (!req.biddingClosesAt || now.getTime() >= new Date(req.biddingClosesAt).getTime()) {
      throw conflict('Bidding is closed: biddingClosesAt has passed', field);
    }
  }

  private async publishBidUpdate(req: ServiceRequestDoc, state: AuctionState, kind: BidUpdateKind, bidId: string, carrierId: string, at: Date) {
    const event: BidUpdateEvent = {
      requestId: req._id,
      kind,
      bidId,
      carrierId,
      at: at.toISOString(),
      quantity: req.quantity ?? '0',
      activeBids: state.active,
    };
    if (req.qosRequirements) event.qosRequirements = req.qosRequirements;
    await this.publish(topicBidUpdates(req._id), event);
  }

  // ---------------------------------------------------------------- close

  /** The buyer's (or an operator's) early close. Idempotent: an already closed request is returned. */
  async closeBidding(identity: Identity | null, requestId: string): Promise<ServiceRequestDoc> {
    const me = requireRole(identity, ['BUYER', 'ADMIN']);
    const req = await this.models.ServiceRequest.findById(requestId).lean().exec();
    if (!req) throw notFound('No such service request', 'requestId');
    if (me.role === 'BUYER' && req.buyerId !== me.sub) throw forbidden('Only the buyer that made the request may close it');
    if (req.status === 'CANCELLED') throw conflict('The request was cancelled', 'requestId');
    if (req.status !== 'OPEN') return req;
    const done = await this.close(requestId, { force: true });
    if (done?.status === 'CANCELLED') throw conflict('The request was cancelled', 'requestId');
    return done ?? ((await this.models.ServiceRequest.findById(requestId).lean().exec()) as ServiceRequestDoc);
  }

  /**
   * Appends CLOSE to the request's log. The first terminal entry decides; whoever appended it
   * completes the close. Another closer completes it only when it is forced (a buyer waiting for the
   * outcome) or the first closer has had closeLeaseMs to do so (it may have died). Completing is
   * idempotent, so doing it twice is harmless.
   */
  async close(requestId: string, opts: { force?: boolean } = {}): Promise<ServiceRequestDoc | null> {
    const req = await this.models.ServiceRequest.findById(requestId).lean().exec();
    if (!req || req.status !== 'OPEN') return req;
    const now = this.now();
    const state0 = await this.state(req);
    let seq = state0.terminal?.seq ?? -1;
    if (!state0.terminal) seq = await this.append(requestId, { kind: 'CLOSE', at: now, by: this.opts.instanceId });
    const state = state0.terminal ? state0 : foldLog(await this.log(requestId), req.biddingClosesAt);
    const terminal = state.terminal as AuctionLogEntry;
    if (terminal.seq === seq && !state0.terminal) {
      this.closesClaimed++;
      return this.complete(req, state);
    }
    const stale = now.getTime() - new Date(terminal.at).getTime() >= this.opts.closeLeaseMs;
    if (opts.force || stale) return this.complete(req, state);
    return null;
  }

  /**
   * Writes the outcome of the log's terminal entry: for a CLOSE the winner is ranked from the bids
   * counted before it, as of its instant, so every completion picks the same bid. The selection
   * (with its outbox entry) is one insert keyed by the request; the request's final status follows.
   */
  private async complete(req: ServiceRequestDoc, state: AuctionState): Promise<ServiceRequestDoc> {
    const terminal = state.terminal as AuctionLogEntry;
    const at = new Date(terminal.at);
    const now = this.now();
    const base = { closingAt: at, closedAt: now, closedBy: terminal.by };
    if (terminal.kind === 'CANCEL') {
      return this.closedOnMarket(await this.finalStatus(req._id, { ...base, status: 'CANCELLED', cancelledAt: at }), state, at);
    }
    const ranking = rankingOf({ quantity: req.quantity, qosRequirements: req.qosRequirements, activeBids: state.active }, at);
    const best = ranking.ranked[0];
    if (!best) return this.closedOnMarket(await this.finalStatus(req._id, { ...base, status: 'NO_AWARD' }), state, at);
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
      delivery: { state: 'PENDING', attempts: 0, nextAttemptAt: at, lastError: null, deliveredAt: null },
    };
    if (req.endUserId) sel.endUserId = req.endUserId;
    // Billing accepts end-user ids on usage only from this list (issue 12: no foreign lines on a reseller's bill).
    if (buyer?.isReseller) sel.endUserIds = (buyer.endUsers ?? []).map((e) => e.id);
    try {
      await this.models.Selection.create(sel);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const done = await this.finalStatus(req._id, { ...base, status: 'AWARDED', selectionId: sel._id });
    try {
      await this.opts.hooks?.onSelection?.(sel);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, selectionId: sel._id }, 'selection hook failed');
    }
    return this.closedOnMarket(done, state, at);
  }

  /**
   * Tells the market feed a board closed: the anonymised board as it stood at the close and the
   * outcome. Every completion publishes, so a close completed twice (a taken-over lease, a forced
   * close racing the scheduler) may be announced twice, with the same board and outcome.
   */
  private async closedOnMarket(done: ServiceRequestDoc, state: AuctionState, at: Date): Promise<ServiceRequestDoc> {
    const event: MarketBoardEvent = { kind: 'CLOSED', at: at.toISOString(), board: marketBoardAt(done, state.active, at), outcome: done.status };
    await this.publish(TOPIC_MARKET_BOARDS, event);
    return done;
  }

  /** Only completions write a request after its creation, and all of them write the same outcome. */
  private async finalStatus(id: string, set: Partial<ServiceRequestDoc>): Promise<ServiceRequestDoc> {
    await this.models.ServiceRequest.updateOne({ _id: id }, { $set: set }).exec();
    return (await this.models.ServiceRequest.findById(id).lean().exec()) as ServiceRequestDoc;
  }
}

