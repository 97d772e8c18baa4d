import type { RankedBidResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';

export const RankedBid: RankedBidResolvers<Ctx> = {
  bid: (r: { bidId: string }, _, ctx) => ctx.loaders.bid.load(r.bidId),
};
