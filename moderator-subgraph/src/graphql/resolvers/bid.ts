import type { BidResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { estimateCost } from '../../domain/cost';
import type { BidDoc } from '../../store/models';
import { bidOrRefuse, id, visibleBid, visibleCarrier, visibleRequest } from '../reads';

export const Bid: BidResolvers<Ctx> = {
  id,
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => bidOrRefuse(ctx, ref.id),
  request: (b: BidDoc, _, ctx) => visibleRequest(ctx, b.requestId),
  carrier: (b: BidDoc, _, ctx) => visibleCarrier(ctx, b.carrierId),
  replaces: (b: BidDoc, _, ctx) => visibleBid(ctx, b.replacesBidId),
  replacedBy: (b: BidDoc, _, ctx) => visibleBid(ctx, b.replacedByBidId),
  validUntil: (b: BidDoc) => b.validUntil ?? null,
  withdrawnAt: (b: BidDoc) => b.withdrawnAt ?? null,
  estimatedCost: async (b: BidDoc, _, ctx) => {
    const req = await ctx.loaders.request.load(b.requestId);
    if (!req?.quantity) return null;
    return { ...estimateCost(b.incentive, req.quantity), currency: b.incentive.currency };
  },
};
