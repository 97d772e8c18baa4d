import type { BuyerResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { forbidden, maySeeBuyerBills, requireIdentity } from '../../services/access';
import { billQuery, listBills } from '../../services/listings';
import { buyerBalance } from '../../services/payments';
import { primed } from '../reads';

type Args = Record<string, any>;

export const Buyer: BuyerResolvers<Ctx> = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  // A carrier (its counterparty) sees the bills between the buyer and itself only, and that
  // balance: the same policy as the moderator's Buyer (issue 12).
  bills: async (b: { id: string }, { filter, first, after }: Args, ctx) => {
    const who = requireIdentity(ctx.identity);
    if (!maySeeBuyerBills(who, b.id)) throw forbidden('only the buyer itself, its carriers (their bills with it), BILLING_AGENT or ADMIN see its bills');
    return primed(ctx, await listBills(ctx.deps, billQuery(who, filter, { buyerId: b.id }), first, after));
  },
  balance: (b: { id: string }, _, ctx) => buyerBalance(ctx.deps, requireIdentity(ctx.identity), b.id, (id) => ctx.loaders.outstandingByBuyer.load(id)),
};
