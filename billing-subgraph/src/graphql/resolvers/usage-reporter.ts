import type { UsageReporterResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';

export const UsageReporter: UsageReporterResolvers<Ctx> = { id: (r: { _id: string }) => r._id };
