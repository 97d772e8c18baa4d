import type { SelectionResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { SelectionDoc } from '../../store/models';
import { canSeeSelection, seesBillingDelivery } from '../../services/access';
import { forbidden } from '../../services/errors';
import { id, visibleBid, visibleCarrier, visibleRequest } from '../reads';

export const Selection: SelectionResolvers<Ctx> = {
  id,
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    const sel = await ctx.loaders.selection.load(ref.id);
    if (!sel) return null;
    if (!canSeeSelection(ctx.identity, sel)) throw forbidden('You may not see this selection');
    return sel;
  },
  request: (s: SelectionDoc, _, ctx) => visibleRequest(ctx, s.requestId),
  carrier: (s: SelectionDoc, _, ctx) => visibleCarrier(ctx, s.carrierId),
  bid: (s: SelectionDoc, _, ctx) => visibleBid(ctx, s.bidId),
  estimatedCost: (s: SelectionDoc) => ({ ...s.estimatedCost, currency: s.incentive.currency }),
  billingDelivery: (s: SelectionDoc, _, ctx) => {
    if (!seesBillingDelivery(ctx.identity)) return null;
    const d = s.delivery;
    return {
      state: d.state,
      attempts: d.attempts,
      lastError: d.lastError ?? null,
      nextAttemptAt: d.state === 'PENDING' ? d.nextAttemptAt : null,
      deliveredAt: d.deliveredAt ?? null,
    };
  },
};
