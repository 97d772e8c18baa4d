import type { BillingRecordResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { maySeeParty, requireIdentity } from '../../services/access';
import { periodOf } from '../../services/deps';
import { segmentsOf, type StoredBillingRecord } from '../../store/billing-record-format';
import type { BillingRecordDoc } from '../../store/models';
import { money } from '../reads';

export const BillingRecord: BillingRecordResolvers<Ctx> = {
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    const who = requireIdentity(ctx.identity);
    const r = await ctx.loaders.billingRecord.load(ref.id);
    return r && maySeeParty(who, r.buyerId, r.carrierId) ? r : null;
  },
  id: (r: BillingRecordDoc) => r._id,
  request: (r: BillingRecordDoc) => ({ __typename: 'ServiceRequest', id: r.requestId }),
  usage: (r: BillingRecordDoc, _, ctx) => ctx.loaders.usage.load(r._id),
  // Pages of records come straight from the store: rebuild what its stored form leaves out.
  period: (r: StoredBillingRecord) => r.period ?? periodOf(r.intervalStart),
  segments: (r: StoredBillingRecord) => segmentsOf(r),
  tierIndexes: (r: StoredBillingRecord) => segmentsOf(r).map((x) => x.tierIndex),
  ratesPerUnit: (r: StoredBillingRecord) => segmentsOf(r).map((x) => x.ratePerUnit),
  amount: (r: BillingRecordDoc) => money(r.amount, r.currency),
  billId: async (r: BillingRecordDoc, _, ctx) => (await ctx.loaders.claim.load(r._id))?.billId ?? null,
};
