import type { Identity } from '@exchange/platform';
import type { SubscriptionResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { distributionAudience, receivesRelays, type RequestView } from '../../services/access';
import type { BidUpdateEvent, RequestDistributedEvent } from '../../services/market';
import { boardForEvent } from '../../services/market';
import { forbidden, notFound, requireIdentity } from '../../services/errors';
import { canSeeRelay, type BillRelayedEvent } from '../../services/events';
import { requireMarketReader, type MarketBoardEvent } from '../../services/market';
import { TOPIC_BILL_RELAYED, TOPIC_MARKET_BOARDS, TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from '../../services/events';
import { viewOf } from '../reads';

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

export const Subscription: SubscriptionResolvers<Ctx> = {
  requestDistributed: {
    subscribe: (_: unknown, __: unknown, ctx: Ctx) => {
      const me = requireIdentity(ctx.identity);
      const audience = distributionAudience(me);
      if (!audience) throw forbidden('Only carriers (and operators) receive distributed requests');
      return mapped(ctx.services.pubsub.subscribe<RequestDistributedEvent>(TOPIC_REQUEST_DISTRIBUTED), (e) =>
        audience === 'ALL' || e.carrierIds.includes(me.sub) ? { requestId: e.requestId, distributedAt: e.at } : undefined,
      );
    },
    resolve: (payload: { requestId: string; distributedAt: string }, _: unknown, ctx: Ctx) => {
      ctx.loaders.clearAll();
      return payload;
    },
  },
  bidUpdates: {
    subscribe: async (_: unknown, a: { requestId: string }, ctx: Ctx) => {
      requireIdentity(ctx.identity);
      // A fresh read: the connection's loaders outlive this subscribe.
      const req = await ctx.loaders.request.clear(a.requestId).load(a.requestId);
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
      if (!receivesRelays(me)) throw forbidden('Only buyers, carriers and operators receive relayed bills');
      return mapped(ctx.services.pubsub.subscribe<BillRelayedEvent>(TOPIC_BILL_RELAYED), (e) => (canSeeRelay(me, e) ? e : undefined));
    },
    resolve: async (payload: BillRelayedEvent, _: unknown, ctx: Ctx) => ctx.loaders.relay.clear(payload.relayId).load(payload.relayId),
  },
  marketBoardChanges: {
    subscribe: (_: unknown, __: unknown, ctx: Ctx) => {
      requireMarketReader(ctx.identity);
      return ctx.services.pubsub.subscribe<MarketBoardEvent>(TOPIC_MARKET_BOARDS);
    },
    resolve: (e: MarketBoardEvent) => ({ kind: e.kind, at: e.at, board: e.board, outcome: e.outcome ?? null }),
  },
};
