import type { RejectedUsageResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';

export const RejectedUsage: RejectedUsageResolvers<Ctx> = { id: (r: { _id: string }) => r._id };
