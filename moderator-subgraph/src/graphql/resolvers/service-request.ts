import type { ServiceRequestResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { ServiceRequestDoc } from '../../store/models';
import { canSeeBuyer, canSeeSelection } from '../../services/access';
import { forbidden } from '../../services/errors';
import { auctionOf, boardOf, id, requestOrRefuse, viewOf } from '../reads';

export const ServiceRequest: ServiceRequestResolvers<Ctx> = {
  id,
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => requestOrRefuse(ctx, ref.id),
  buyer: (r: ServiceRequestDoc, _, ctx) =>
    viewOf(ctx, r) === 'FULL' && r.buyerId && canSeeBuyer(ctx.identity, r.buyerId) ? ctx.loaders.buyer.load(r.buyerId) : null,
  endUserId: (r: ServiceRequestDoc, _, ctx) => (viewOf(ctx, r) === 'FULL' ? r.endUserId ?? null : null),
  routes: (r: ServiceRequestDoc) => r.routes ?? [],
  closedAt: (r: ServiceRequestDoc) => r.closedAt ?? null,
  currency: async (r: ServiceRequestDoc, _, ctx) => (await auctionOf(ctx, r)).state.currency,
  distributionCount: (r: ServiceRequestDoc) => (r.carrierIds ?? []).length,
  distributions: async (r: ServiceRequestDoc, _, ctx) => {
    if (viewOf(ctx, r) !== 'FULL') return null;
    return ctx.loaders.distributionsByRequest.load(r._id);
  },
  // A carrier sees its own bids only; a partner none.
  bids: async (r: ServiceRequestDoc, _, ctx) => {
    const view = viewOf(ctx, r);
    if (view === 'FULL') return ctx.loaders.bidsByRequest.load(r._id);
    if (view === 'CARRIER') return (await ctx.loaders.bidsByRequest.load(r._id)).filter((b) => b.carrierId === ctx.identity?.sub);
    return [];
  },
  ranking: async (r: ServiceRequestDoc, _, ctx) => {
    if (viewOf(ctx, r) !== 'FULL') throw forbidden('The full ranking is for the buyer and operators; carriers and partners read `board`');
    const { ranking } = await auctionOf(ctx, r);
    return ranking.ranked.map((x) => ({ rank: x.rank, bidId: x.bid.id, estimatedCost: { ...x.estimatedCost, currency: x.bid.incentive.currency } }));
  },
  board: (r: ServiceRequestDoc, _, ctx) => {
    const view = viewOf(ctx, r);
    if (!view) throw forbidden('You may not see this board');
    return boardOf(ctx, r, view);
  },
  selection: async (r: ServiceRequestDoc, _, ctx) => {
    if (!r.selectionId) return null;
    const sel = await ctx.loaders.selection.load(r.selectionId);
    return sel && canSeeSelection(ctx.identity, sel) ? sel : null;
  },
};
