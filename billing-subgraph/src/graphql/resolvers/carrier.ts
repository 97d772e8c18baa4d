import type { CarrierResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { forbidden, maySeeParty, requireIdentity } from '../../services/access';
import { billQuery, listBills } from '../../services/listings';
import { settlementStatementFor } from '../../services/payments';
import { primed } from '../reads';

type Args = Record<string, any>;

export const Carrier: CarrierResolvers<Ctx> = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  bills: async (c: { id: string }, { filter, first, after }: Args, ctx) => {
    const who = requireIdentity(ctx.identity);
    if (!maySeeParty(who, null, c.id)) throw forbidden('only the carrier itself, BILLING_AGENT or ADMIN see its bills');
    return primed(ctx, await listBills(ctx.deps, billQuery(who, filter, { carrierId: c.id }), first, after));
  },
  receivables: (c: { id: string }, _, ctx) => {
    const who = requireIdentity(ctx.identity);
    if (!maySeeParty(who, null, c.id)) throw forbidden('only the carrier itself, BILLING_AGENT or ADMIN see its receivables');
    return ctx.loaders.outstandingByCarrier.load(c.id);
  },
  settlementStatement: (c: { id: string }, { period }: Args, ctx) => settlementStatementFor(ctx.deps, requireIdentity(ctx.identity), c.id, period),
};
