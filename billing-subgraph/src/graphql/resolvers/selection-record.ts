import type { SelectionRecordResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { requireIdentity } from '../../services/access';
import type { SelectionDoc } from '../../store/models';
import { selectionVisible } from '../reads';

export const SelectionRecord: SelectionRecordResolvers<Ctx> = {
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    const who = requireIdentity(ctx.identity);
    const s = await ctx.loaders.selection.load(ref.id);
    return selectionVisible(who, s) ? s : null;
  },
  id: (s: SelectionDoc) => s._id,
  request: (s: SelectionDoc) => ({ __typename: 'ServiceRequest', id: s.requestId }),
  interval: (s: SelectionDoc) => ({ start: s.intervalStart, end: s.intervalEnd }),
  incentive: (s: SelectionDoc) => ({ ...s.incentive, tiers: s.incentive.tiers ?? [] }),
  advanceBill: (s: SelectionDoc, _, ctx) => (s.advanceBillId ? ctx.loaders.bill.load(s.advanceBillId) : null),
};
