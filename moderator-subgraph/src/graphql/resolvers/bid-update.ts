import type { BidUpdateResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { visibleBid } from '../reads';

export const BidUpdate: BidUpdateResolvers<Ctx> = {
  bid: (u: { bidId?: string }, _, ctx) => (u.bidId ? visibleBid(ctx, u.bidId) : null),
};
