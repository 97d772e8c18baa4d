import { hasRole, SEES_EVERY_PARTY, DateTimeScalar, DecimalScalar } from '@exchange/platform';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Identity } from '@exchange/platform';
import { estimateCost } from '../domain/cost';
import type { RoutingEntry } from '../domain/routing';
import type { BidDoc, BillRelayDoc, BuyerDoc, SelectionDoc, ServiceRequestDoc } from '../store/models';
import { canSeeBid, canSeeBuyer, canSeeCarrier, canSeeSelection, requestView, type RequestView } from '../services/access';
import type { BidUpdateEvent, RequestDistributedEvent } from '../services/market';
import { boardFor, boardForEvent, rankingOf, type BoardModel } from '../services/market';
import { foldLog } from '../domain/auction-log';
import { forbidden, notFound, requireIdentity } from '../services/errors';
import { canSeeRelay, type BillRelayedEvent } from '../services/events';
import { routingTableCsv, routingTableJson, type RouteDecision } from '../services/routing';
import { requireMarketReader, type MarketBoardEvent } from '../services/market';
import { TOPIC_BILL_RELAYED, TOPIC_MARKET_BOARDS, TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from '../services/events';
import type { ModeratorContext } from './context';

/** The SDL users read lives in schema/moderator.graphql; resolvers here only translate. */
export const SDL_PATH = path.resolve(__dirname, '..', '..', '..', 'schema', 'moderator.graphql');

type Ctx = ModeratorContext;
type Args<T = Record<string, unknown>> = T;

const id = (d: { _id: string }) => d._id;

/** Maps a pub/sub iterator through `fn` (undefined = skip); return() unsubscribes at once. */
function mapped<T, U>(inner: AsyncIterableIterator<T>, fn: (v: T) => U | undefined): AsyncIterableIterator<U> {
  const it: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const r = await inner.next();
        if (r.done) return { done: true, value: undefined };
        const u = fn(r.value);
        if (u !== undefined) return { done: false, value: u };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await inner.return?.();
      return { done: true, value: undefined };
    },
    async throw(err: unknown): Promise<IteratorResult<U>> {
      await inner.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

async function requestFor(ctx: Ctx, requestId: string): Promise<ServiceRequestDoc | null> {
  return ctx.loaders.request.load(requestId);
}

function viewOf(ctx: Ctx, req: ServiceRequestDoc): RequestView {
  return requestView(ctx.identity, req);
}

async function visibleRequest(ctx: Ctx, requestId: string): Promise<ServiceRequestDoc | null> {
  const req = await requestFor(ctx, requestId);
  return req && viewOf(ctx, req) ? req : null;
}

async function visibleCarrier(ctx: Ctx, carrierId: string | undefined) {
  if (!carrierId || !canSeeCarrier(ctx.identity, carrierId)) return null;
  return ctx.loaders.carrier.load(carrierId);
}

/** Root-field rules for one carrier: operators, the carrier itself, and buyers whose request it was distributed. */
async function mayReadCarrier(ctx: Ctx, carrierId: string): Promise<boolean> {
  const me = ctx.identity;
  if (!me || !canSeeCarrier(me, carrierId)) return false;
  if (me.role !== 'BUYER') return true;
  return ctx.loaders.dealtWith.load(carrierId);
}

async function visibleBid(ctx: Ctx, bidId: string | undefined): Promise<BidDoc | null> {
  if (!bidId) return null;
  const bid = await ctx.loaders.bid.load(bidId);
  if (!bid) return null;
  const req = await requestFor(ctx, bid.requestId);
  return canSeeBid(ctx.identity, bid, req) ? bid : null;
}

/** The auction as of now, or as of its close once closed (so a closed ranking never moves). */
async function auctionOf(ctx: Ctx, req: ServiceRequestDoc) {
  const state = foldLog(await ctx.loaders.logByRequest.load(req._id), req.biddingClosesAt);
  const at = state.terminal ? new Date(state.terminal.at) : new Date();
  const ranking = rankingOf({ quantity: req.quantity, qosRequirements: req.qosRequirements, activeBids: state.active }, at);
  return { state, ranking };
}

async function boardOf(ctx: Ctx, req: ServiceRequestDoc, view: Exclude<RequestView, null>): Promise<BoardModel> {
  const { ranking } = await auctionOf(ctx, req);
  return boardFor(ranking, view, (ctx.identity as Identity).sub, ctx.services.pseudonymSecret, req._id);
}

function routingRow(e: RoutingEntry) {
  return { ...e };
}

/**
 * The buyer as the caller may see it: the buyer itself and operators in full; a carrier selected
 * for one of the buyer's requests as its counterparty (COUNTERPARTY_BUYER_FIELDS, no end users);
 * anyone else is refused.
 */
async function visibleBuyer(ctx: Ctx, buyerId: string, refusal: string) {
  if (canSeeBuyer(ctx.identity, buyerId)) return ctx.loaders.buyer.load(buyerId);
  if (ctx.identity?.role === 'CARRIER' && (await ctx.services.parties.isCounterparty(buyerId, ctx.identity.sub))) {
    const doc = await ctx.loaders.buyer.load(buyerId);
    return doc ? { ...doc, counterpartyView: true } : null;
  }
  throw forbidden(refusal);
}

export function buildModeratorSchema() {
  const resolvers: GraphQLResolverMap<Ctx> = {
    DateTime: DateTimeScalar as never,
    Decimal: DecimalScalar as never,

    Query: {
      buyer: async (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => {
        requireIdentity(ctx.identity);
        return visibleBuyer(ctx, a.id, 'You may see only your own buyer record (or, as its selected carrier, its name)');
      },
      carrier: async (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => {
        const me = requireIdentity(ctx.identity);
        if (!(hasRole(me, SEES_EVERY_PARTY) || (me.role === 'CARRIER' && me.sub === a.id))) throw forbidden('You may see only your own carrier record');
        return ctx.loaders.carrier.load(a.id);
      },
      buyers: (_: unknown, __: unknown, ctx: Ctx) => ctx.services.parties.listBuyers(ctx.identity),
      carriers: (_: unknown, __: unknown, ctx: Ctx) => ctx.services.parties.listCarriers(ctx.identity),
      serviceRequest: async (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => {
        requireIdentity(ctx.identity);
        const req = await ctx.loaders.request.load(a.id);
        if (!req) return null;
        if (!viewOf(ctx, req)) throw forbidden('You may not see this service request');
        return req;
      },
      serviceRequests: (_: unknown, a: Args<{ filter?: { status?: string; buyerId?: string }; first?: number }>, ctx: Ctx) =>
        ctx.services.auction.listRequests(ctx.identity, a.filter ?? {}, a.first ?? 50),
      openRequests: (_: unknown, a: Args<{ carrierId?: string }>, ctx: Ctx) => ctx.services.auction.openRequests(ctx.identity, a.carrierId),
      bid: async (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => {
        requireIdentity(ctx.identity);
        const bid = await ctx.loaders.bid.load(a.id);
        if (!bid) return null;
        if (!canSeeBid(ctx.identity, bid, await requestFor(ctx, bid.requestId))) throw forbidden('You may not see this bid');
        return bid;
      },
      bidBoard: async (_: unknown, a: Args<{ requestId: string }>, ctx: Ctx) => {
        requireIdentity(ctx.identity);
        const req = await ctx.loaders.request.load(a.requestId);
        if (!req) throw notFound('No such service request', 'requestId');
        const view = viewOf(ctx, req);
        if (!view) throw forbidden('You may not see this board');
        return boardOf(ctx, req, view);
      },
      selection: async (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => {
        requireIdentity(ctx.identity);
        const sel = await ctx.loaders.selection.load(a.id);
        if (!sel) return null;
        if (!canSeeSelection(ctx.identity, sel)) throw forbidden('You may not see this selection');
        return sel;
      },
      routeCall: (_: unknown, a: Args<{ destination: string; at?: unknown; buyerId?: string }>, ctx: Ctx) =>
        ctx.services.routing.routeCall(ctx.identity, a.destination, a.at, a.buyerId),
      routingTable: (_: unknown, a: Args<{ at?: unknown; buyerId?: string }>, ctx: Ctx) => {
        const t = ctx.services.routing.table(ctx.identity, a.at, a.buyerId);
        return { ...t, entries: t.entries.map(routingRow), csv: routingTableCsv(t.entries), json: routingTableJson(t.entries) };
      },
      carrierTrunks: (_: unknown, a: Args<{ carrierId?: string }>, ctx: Ctx) => ctx.services.trunks.list(ctx.identity, a.carrierId),
      switchKeys: (_: unknown, a: Args<{ buyerId?: string }>, ctx: Ctx) => ctx.services.switchKeys.list(ctx.identity, a.buyerId),
      routeAttempts: (_: unknown, a: Args<{ selectionId: string }>, ctx: Ctx) => ctx.services.routeAttempts.list(ctx.identity, a.selectionId),
      billRelays: (_: unknown, a: Args<{ first?: number }>, ctx: Ctx) => ctx.services.relays.list(ctx.identity, a.first ?? 50),
      marketBoards: (_: unknown, a: Args<{ first?: number | null; after?: string | null }>, ctx: Ctx) => ctx.services.market.page(ctx.identity, a.first, a.after),
    },

    Mutation: {
      registerBuyer: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.parties.registerBuyer(ctx.identity, a.input),
      registerCarrier: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.parties.registerCarrier(ctx.identity, a.input),
      createServiceRequest: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.auction.createRequest(ctx.identity, a.input),
      cancelServiceRequest: (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => ctx.services.auction.cancelRequest(ctx.identity, a.id),
      submitBid: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.auction.submitBid(ctx.identity, a.input),
      withdrawBid: (_: unknown, a: Args<{ bidId: string }>, ctx: Ctx) => ctx.services.auction.withdrawBid(ctx.identity, a.bidId),
      closeBidding: (_: unknown, a: Args<{ requestId: string }>, ctx: Ctx) => ctx.services.auction.closeBidding(ctx.identity, a.requestId),
      relayBill: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.relays.relayBill(ctx.identity, a.input),
      addCarrierTrunk: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.trunks.add(ctx.identity, a.input),
      removeCarrierTrunk: (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => ctx.services.trunks.remove(ctx.identity, a.id),
      createSwitchKey: (_: unknown, a: Args<{ input: never }>, ctx: Ctx) => ctx.services.switchKeys.create(ctx.identity, a.input),
      revokeSwitchKey: (_: unknown, a: Args<{ id: string }>, ctx: Ctx) => ctx.services.switchKeys.revoke(ctx.identity, a.id),
    },

    Subscription: {
      requestDistributed: {
        subscribe: (_: unknown, __: unknown, ctx: Ctx) => {
          const me = requireIdentity(ctx.identity);
          const all = hasRole(me, SEES_EVERY_PARTY);
          if (!all && me.role !== 'CARRIER') throw forbidden('Only carriers (and operators) receive distributed requests');
          return mapped(ctx.services.pubsub.subscribe<RequestDistributedEvent>(TOPIC_REQUEST_DISTRIBUTED), (e) =>
            all || e.carrierIds.includes(me.sub) ? { requestId: e.requestId, distributedAt: e.at } : undefined,
          );
        },
        resolve: (payload: { requestId: string; distributedAt: string }, _: unknown, ctx: Ctx) => {
          ctx.loaders.clearAll();
          return payload;
        },
      },
      bidUpdates: {
        subscribe: async (_: unknown, a: Args<{ requestId: string }>, ctx: Ctx) => {
          requireIdentity(ctx.identity);
          const req = await ctx.services.models.ServiceRequest.findById(a.requestId).lean().exec();
          if (!req) throw notFound('No such service request', 'requestId');
          const view = viewOf(ctx, req);
          if (!view) throw forbidden('You may not follow the bids on this request');
          return mapped(ctx.services.pubsub.subscribe<BidUpdateEvent>(topicBidUpdates(a.requestId)), (e) => ({ event: e, view }));
        },
        resolve: (payload: { event: BidUpdateEvent; view: Exclude<RequestView, null> }, _: unknown, ctx: Ctx) => {
          ctx.loaders.clearAll();
          const { event: e, view } = payload;
          const me = ctx.identity as Identity;
          const ownsBid = view === 'FULL' || (view === 'CARRIER' && e.carrierId === me.sub);
          return {
            requestId: e.requestId,
            kind: e.kind,
            at: e.at,
            bidId: ownsBid ? e.bidId : undefined,
            board: boardForEvent(e, view, me.sub, ctx.services.pseudonymSecret),
          };
        },
      },
      billRelayed: {
        subscribe: (_: unknown, __: unknown, ctx: Ctx) => {
          const me = requireIdentity(ctx.identity);
          if (!hasRole(me, SEES_EVERY_PARTY) && me.role !== 'BUYER' && me.role !== 'CARRIER') throw forbidden('Only buyers, carriers and operators receive relayed bills');
          return mapped(ctx.services.pubsub.subscribe<BillRelayedEvent>(TOPIC_BILL_RELAYED), (e) => (canSeeRelay(me, e) ? e : undefined));
        },
        resolve: async (payload: BillRelayedEvent, _: unknown, ctx: Ctx) =>
          ctx.services.models.BillRelay.findById(payload.relayId).lean().exec(),
      },
      marketBoardChanges: {
        subscribe: (_: unknown, __: unknown, ctx: Ctx) => {
          requireMarketReader(ctx.identity);
          return ctx.services.pubsub.subscribe<MarketBoardEvent>(TOPIC_MARKET_BOARDS);
        },
        resolve: (e: MarketBoardEvent) => ({ kind: e.kind, at: e.at, board: e.board, outcome: e.outcome ?? null }),
      },
    },

    Buyer: {
      id,
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => visibleBuyer(ctx, ref.id, 'You may not see this buyer'),
      // A selected carrier's view: never the reseller's end users.
      endUsers: (b: BuyerDoc & { counterpartyView?: boolean }) => (b.counterpartyView ? [] : b.endUsers ?? []),
    },
    Carrier: {
      id,
      // Entity fetches (the gateway's, or anyone's on this port) follow the root fields' rules: an
      // operator, the carrier itself, or a buyer the carrier has dealt with (a request of that buyer
      // was distributed to it, as its bills, boards and selections show). Any buyer read any carrier here.
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        // Both started together, so a page's carriers are read in one batch whatever the check costs.
        const [may, carrier] = await Promise.all([mayReadCarrier(ctx, ref.id), ctx.loaders.carrier.load(ref.id)]);
        if (!may) throw forbidden('You may not see this carrier');
        return carrier;
      },
      trunks: (c: { _id: string }, _: unknown, ctx: Ctx) => ctx.services.trunks.listOf(ctx.identity, c._id),
    },
    ServiceRequest: {
      id,
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const req = await ctx.loaders.request.load(ref.id);
        if (!req) return null;
        if (!viewOf(ctx, req)) throw forbidden('You may not see this service request');
        return req;
      },
      buyer: (r: ServiceRequestDoc, _: unknown, ctx: Ctx) =>
        viewOf(ctx, r) === 'FULL' && r.buyerId && canSeeBuyer(ctx.identity, r.buyerId) ? ctx.loaders.buyer.load(r.buyerId) : null,
      endUserId: (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => (viewOf(ctx, r) === 'FULL' ? r.endUserId ?? null : null),
      routes: (r: ServiceRequestDoc) => r.routes ?? [],
      closedAt: (r: ServiceRequestDoc) => r.closedAt ?? null,
      currency: async (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => (await auctionOf(ctx, r)).state.currency,
      distributionCount: (r: ServiceRequestDoc) => (r.carrierIds ?? []).length,
      distributions: async (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => {
        if (viewOf(ctx, r) !== 'FULL') return null;
        return ctx.loaders.distributionsByRequest.load(r._id);
      },
      bids: async (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => {
        const view = viewOf(ctx, r);
        if (view === 'FULL') return ctx.loaders.bidsByRequest.load(r._id);
        if (view === 'CARRIER') return (await ctx.loaders.bidsByRequest.load(r._id)).filter((b) => b.carrierId === ctx.identity?.sub);
        return [];
      },
      ranking: async (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => {
        if (viewOf(ctx, r) !== 'FULL') throw forbidden('The full ranking is for the buyer and operators; carriers and partners read `board`');
        const { ranking } = await auctionOf(ctx, r);
        return ranking.ranked.map((x) => ({ rank: x.rank, bidId: x.bid.id, estimatedCost: { ...x.estimatedCost, currency: x.bid.incentive.currency } }));
      },
      board: (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => {
        const view = viewOf(ctx, r);
        if (!view) throw forbidden('You may not see this board');
        return boardOf(ctx, r, view);
      },
      selection: async (r: ServiceRequestDoc, _: unknown, ctx: Ctx) => {
        if (!r.selectionId) return null;
        const sel = await ctx.loaders.selection.load(r.selectionId);
        return sel && canSeeSelection(ctx.identity, sel) ? sel : null;
      },
    },
    Distribution: {
      carrier: (d: { carrierId: string }, _: unknown, ctx: Ctx) => visibleCarrier(ctx, d.carrierId),
      request: (d: { requestId: string }, _: unknown, ctx: Ctx) => ctx.loaders.request.load(d.requestId),
      distributedAt: (d: { at: Date }) => d.at,
    },
    RankedBid: {
      bid: (r: { bidId: string }, _: unknown, ctx: Ctx) => ctx.loaders.bid.load(r.bidId),
    },
    BoardEntry: {
      bid: (e: BoardModel['entries'][number], _: unknown, ctx: Ctx) => (e.bidId ? visibleBid(ctx, e.bidId) : null),
      carrier: (e: BoardModel['entries'][number], _: unknown, ctx: Ctx) => (e.carrierId ? visibleCarrier(ctx, e.carrierId) : null),
    },
    BidUpdate: {
      bid: (u: { bidId?: string }, _: unknown, ctx: Ctx) => (u.bidId ? visibleBid(ctx, u.bidId) : null),
    },
    RequestDistribution: {
      request: async (p: { requestId: string }, _: unknown, ctx: Ctx) => {
        const req = await ctx.loaders.request.load(p.requestId);
        if (!req || !viewOf(ctx, req)) throw forbidden('You may not see this service request');
        return req;
      },
    },
    Bid: {
      id,
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const bid = await ctx.loaders.bid.load(ref.id);
        if (!bid) return null;
        if (!canSeeBid(ctx.identity, bid, await requestFor(ctx, bid.requestId))) throw forbidden('You may not see this bid');
        return bid;
      },
      request: (b: BidDoc, _: unknown, ctx: Ctx) => visibleRequest(ctx, b.requestId),
      carrier: (b: BidDoc, _: unknown, ctx: Ctx) => visibleCarrier(ctx, b.carrierId),
      replaces: (b: BidDoc, _: unknown, ctx: Ctx) => visibleBid(ctx, b.replacesBidId),
      replacedBy: (b: BidDoc, _: unknown, ctx: Ctx) => visibleBid(ctx, b.replacedByBidId),
      validUntil: (b: BidDoc) => b.validUntil ?? null,
      withdrawnAt: (b: BidDoc) => b.withdrawnAt ?? null,
      estimatedCost: async (b: BidDoc, _: unknown, ctx: Ctx) => {
        const req = await requestFor(ctx, b.requestId);
        if (!req?.quantity) return null;
        return { ...estimateCost(b.incentive, req.quantity), currency: b.incentive.currency };
      },
    },
    Selection: {
      id,
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const sel = await ctx.loaders.selection.load(ref.id);
        if (!sel) return null;
        if (!canSeeSelection(ctx.identity, sel)) throw forbidden('You may not see this selection');
        return sel;
      },
      request: (s: SelectionDoc, _: unknown, ctx: Ctx) => visibleRequest(ctx, s.requestId),
      carrier: (s: SelectionDoc, _: unknown, ctx: Ctx) => visibleCarrier(ctx, s.carrierId),
      bid: (s: SelectionDoc, _: unknown, ctx: Ctx) => visibleBid(ctx, s.bidId),
      estimatedCost: (s: SelectionDoc) => ({ ...s.estimatedCost, currency: s.incentive.currency }),
      billingDelivery: (s: SelectionDoc, _: unknown, ctx: Ctx) => {
        const role = ctx.identity?.role;
        if (role !== 'ADMIN' && role !== 'MODERATOR') return null;
        const d = s.delivery;
        return {
          state: d.state,
          attempts: d.attempts,
          lastError: d.lastError ?? null,
          nextAttemptAt: d.state === 'PENDING' ? d.nextAttemptAt : null,
          deliveredAt: d.deliveredAt ?? null,
        };
      },
    },
    RouteDecision: {
      matchedPrefix: (d: RouteDecision) => d.entry?.prefix ?? null,
      carrier: (d: RouteDecision, _: unknown, ctx: Ctx) => (d.entry ? ctx.loaders.carrier.load(d.entry.carrierId) : null),
      selection: (d: RouteDecision, _: unknown, ctx: Ctx) => (d.entry ? ctx.loaders.selection.load(d.entry.selectionId) : null),
      ratePerUnit: (d: RouteDecision) => d.entry?.ratePerUnit ?? null,
      currency: (d: RouteDecision) => d.entry?.currency ?? null,
    },
    RoutingTableEntry: {
      carrier: (e: RoutingEntry, _: unknown, ctx: Ctx) => ctx.loaders.carrier.load(e.carrierId),
      selection: (e: RoutingEntry, _: unknown, ctx: Ctx) => ctx.loaders.selection.load(e.selectionId),
    },
    BillRelay: {
      id,
      requestId: (r: BillRelayDoc) => r.requestId ?? null,
    },
  };
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SDL_PATH, 'utf8')), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
