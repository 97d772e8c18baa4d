import type { SubscriptionResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { requireIdentity } from '../../services/access';
import type { BillIssuedEvent } from '../../services/deps';
import { subscribeBillIssued } from '../../services/bill-run';

export const Subscription: SubscriptionResolvers<Ctx> = {
  billIssued: {
    subscribe: (_: unknown, __: unknown, ctx: Ctx) => subscribeBillIssued(ctx.deps, requireIdentity(ctx.identity)),
    resolve: async (e: BillIssuedEvent, _: unknown, ctx: Ctx) => {
      ctx.loaders.bill.clear(e.billId);
      return ctx.loaders.bill.load(e.billId);
    },
  },
};
