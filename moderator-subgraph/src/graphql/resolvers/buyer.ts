import type { BuyerResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { BuyerDoc } from '../../store/models';
import { id, visibleBuyer } from '../reads';

export const Buyer: BuyerResolvers<Ctx> = {
  id,
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => visibleBuyer(ctx, ref.id, 'You may not see this buyer'),
  // A selected carrier's view: never the reseller's end users.
  endUsers: (b: BuyerDoc & { counterpartyView?: boolean }) => (b.counterpartyView ? [] : b.endUsers ?? []),
};
