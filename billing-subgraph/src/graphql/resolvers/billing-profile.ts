import type { BillingProfileResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';

export const BillingProfile: BillingProfileResolvers<Ctx> = {
  previousRules: (p: { previousRules?: unknown[] }) => p.previousRules ?? [],
  rulesEffectiveFrom: (p: { previousRules?: { until: Date }[] }) => p.previousRules?.[p.previousRules.length - 1]?.until ?? null,
};
