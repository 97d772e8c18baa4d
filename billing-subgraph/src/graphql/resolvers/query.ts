import type { QueryResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { forbidden, requireIdentity, requireRole, RUNS_BILLING } from '../../services/access';
import { readBillingProfile } from '../../services/parties';
import { billQuery, listBills, listRejectedUsage, listRequestBillingRecords, listUsageRecords } from '../../services/listings';
import { usageReporters } from '../../services/usage';
import { usageFeed, usageFeeds } from '../../services/usage';
import { settlementStatementFor } from '../../services/payments';
import { reconciliation } from '../../services/payments';
import { disputesOf } from '../../services/payments';
import { billLedgerEntries } from '../../services/payments';
import { billVisible, primed, selectionVisible } from '../reads';

type Args = Record<string, any>;

export const Query: QueryResolvers<Ctx> = {
  billingVersion: () => '1.0.0',
  billingProfile: (_, args, ctx) => readBillingProfile(ctx.deps, requireIdentity(ctx.identity), args as Args),
  selectionRecord: async (_, { id }, ctx) => {
    const who = requireIdentity(ctx.identity);
    const s = await ctx.loaders.selection.load(id);
    return selectionVisible(who, s) ? s : null;
  },
  bill: async (_, { id }, ctx) => {
    const who = requireIdentity(ctx.identity);
    const b = await ctx.loaders.bill.load(id);
    if (!b || b.status === 'DRAFT') return null;
    if (!billVisible(who, b)) throw forbidden('this bill belongs to other parties');
    return b;
  },
  bills: async (_, { filter, first, after }: Args, ctx) => primed(ctx, await listBills(ctx.deps, billQuery(requireIdentity(ctx.identity), filter), first, after)),
  usageRecords: async (_, { filter, first, after }: Args, ctx) => {
    const who = requireIdentity(ctx.identity);
    return listUsageRecords(ctx.deps, who, filter, first, after);
  },
  disputes: (_, args, ctx) => disputesOf(ctx.deps, requireIdentity(ctx.identity), args as Args),
  reconciliation: async (_, args, ctx) => {
    const r = await reconciliation(ctx.deps, requireIdentity(ctx.identity), args as Args as never);
    return { ...r, period: { start: r.periodStart, end: r.periodEnd } };
  },
  rejectedUsage: (_, { filter, first, after }: Args, ctx) => listRejectedUsage(ctx.deps, requireIdentity(ctx.identity), filter, first, after),
  billingRecords: (_, { requestId, first, after }: Args, ctx) => listRequestBillingRecords(ctx.deps, requireIdentity(ctx.identity), requestId, first, after),
  usageFeed: (_, { id }, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'usageFeed');
    return usageFeed(ctx.deps, id);
  },
  usageFeeds: (_, __, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'usageFeeds');
    return usageFeeds(ctx.deps);
  },
  usageReporters: (_, __, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'usageReporters');
    return usageReporters(ctx.deps);
  },
  settlementStatement: (_, { carrierId, period }: Args, ctx) => settlementStatementFor(ctx.deps, requireIdentity(ctx.identity), carrierId, period),
  ledgerEntries: (_, { billId }, ctx) => billLedgerEntries(ctx.deps, requireIdentity(ctx.identity), billId, (id) => ctx.loaders.bill.load(id)),
};
