import type { MutationResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { requireIdentity, requireRole, RUNS_BILLING } from '../../services/access';
import { generateBills } from '../../services/bill-run';
import { runBillingCycle } from '../../services/bill-run';
import { setBillingProfile } from '../../services/parties';
import { registerUsageReporter } from '../../services/usage';
import { registerWebhook } from '../../services/parties';
import { pollFeed, registerFeed } from '../../services/usage';
import { recordPayment } from '../../services/payments';
import { recordSelection } from '../../services/usage';
import { recordRouteAttempts } from '../../services/usage';
import { ingestUsageWithRejections } from '../../services/usage';
import { setMediationPolicy } from '../../services/usage';
import { openDispute, resolveDispute } from '../../services/payments';

// Inputs reach the services as sent: the services validate them field by field (BAD_USER_INPUT naming the field).
type Args = Record<string, any>;

export const Mutation: MutationResolvers<Ctx> = {
  recordSelection: (_, { input }: Args, ctx) => {
    requireRole(ctx.identity, ['MODERATOR'], 'recordSelection');
    return recordSelection(ctx.deps, input);
  },
  recordRouteAttempts: (_, { slots }: Args, ctx) => {
    requireRole(ctx.identity, ['MODERATOR', 'ADMIN'], 'recordRouteAttempts');
    return recordRouteAttempts(ctx.deps, slots);
  },
  ingestUsage: (_, { records, importerRejections, correctParked }: Args, ctx) =>
    ingestUsageWithRejections(ctx.deps, requireIdentity(ctx.identity), records, importerRejections, correctParked === true),
  setMediationPolicy: (_, { input }: Args, ctx) => {
    const who = requireRole(ctx.identity, RUNS_BILLING, 'setMediationPolicy');
    return setMediationPolicy(ctx.deps, who, input);
  },
  registerUsageReporter: (_, { input }: Args, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'registerUsageReporter');
    return registerUsageReporter(ctx.deps, input);
  },
  registerUsageFeed: (_, { input }: Args, ctx) => {
    const who = requireRole(ctx.identity, RUNS_BILLING, 'registerUsageFeed');
    return registerFeed(ctx.deps, who, input);
  },
  pollUsageFeed: (_, { id }: Args, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'pollUsageFeed');
    return pollFeed(ctx.deps, id, { force: true });
  },
  setBillingProfile: (_, args: Args, ctx) => setBillingProfile(ctx.deps, requireRole(ctx.identity, RUNS_BILLING, 'setBillingProfile'), args),
  runBillingCycle: (_, { period, groupBy }: Args, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'runBillingCycle');
    return runBillingCycle(ctx.deps, period, groupBy ?? 'BUYER_REQUEST');
  },
  generateBills: async (_, { period, groupBy }: Args, ctx) => {
    requireRole(ctx.identity, RUNS_BILLING, 'generateBills');
    return generateBills(ctx.deps, period, groupBy ?? 'BUYER_REQUEST');
  },
  registerBillingWebhook: (_, { input }: Args, ctx) => registerWebhook(ctx.deps, requireIdentity(ctx.identity), input),
  openDispute: (_, { input }: Args, ctx) => openDispute(ctx.deps, requireIdentity(ctx.identity), input),
  resolveDispute: (_, { input }: Args, ctx) => resolveDispute(ctx.deps, requireIdentity(ctx.identity), input),
  recordPayment: (_, { input }: Args, ctx) => recordPayment(ctx.deps, requireIdentity(ctx.identity), input),
};
