import type { DisputeResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import type { DisputeDoc } from '../../store/models';
import { money } from '../reads';

export const Dispute: DisputeResolvers<Ctx> = {
  id: (d: DisputeDoc) => d._id,
  amount: (d: DisputeDoc) => money(d.amount, d.currency),
  resolvedAmount: (d: DisputeDoc) => (d.resolvedAmount ? money(d.resolvedAmount, d.currency) : null),
};
