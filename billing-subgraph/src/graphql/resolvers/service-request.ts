import type { ServiceRequestResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { maySeeParty, requireIdentity } from '../../services/access';
import { listRequestBillingRecords } from '../../services/listings';
import { requestUsageSummary } from '../../services/usage';

type Args = Record<string, any>;

export const ServiceRequest: ServiceRequestResolvers<Ctx> = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  billCount: async (r: { id: string }, _, ctx) => {
    const who = requireIdentity(ctx.identity);
    return (await ctx.loaders.billsByRequest.load(r.id)).filter((b) => maySeeParty(who, b.buyerId, b.carrierId)).length;
  },
  bills: async (r: { id: string }, _, ctx) => {
    const who = requireIdentity(ctx.identity);
    return (await ctx.loaders.billsByRequest.load(r.id)).filter((b) => maySeeParty(who, b.buyerId, b.carrierId));
  },
  billingRecords: (r: { id: string }, { first, after }: Args, ctx) => listRequestBillingRecords(ctx.deps, requireIdentity(ctx.identity), r.id, first, after),
  usageSummary: (r: { id: string }, _, ctx) => requestUsageSummary(ctx.deps, requireIdentity(ctx.identity), r.id),
};
