import type { UsageRecordResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { maySeeParty, requireIdentity } from '../../services/access';
import type { UsageDoc } from '../../store/models';

export const UsageRecord: UsageRecordResolvers<Ctx> = {
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    const who = requireIdentity(ctx.identity);
    const u = await ctx.loaders.usage.load(ref.id);
    return u && maySeeParty(who, u.buyerId, u.carrierId) ? u : null;
  },
  id: (u: UsageDoc) => u._id,
  volumeSamples: (u: UsageDoc) => u.volumeSamples ?? [],
};
