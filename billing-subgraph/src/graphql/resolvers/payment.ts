import type { PaymentResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { requireIdentity } from '../../services/access';
import { paymentByReference, scopedPaymentId } from '../../services/payments';
import type { PaymentDoc } from '../../store/models';
import { money } from '../reads';

export const Payment: PaymentResolvers<Ctx> = {
  __resolveReference: (ref: { id: string }, ctx: Ctx) => paymentByReference(ctx.deps, requireIdentity(ctx.identity), ref.id),
  id: (p: PaymentDoc) => p.paymentId,
  amount: (p: PaymentDoc) => money(p.amount, p.currency),
  ledgerEntries: (p: PaymentDoc, _, ctx) => ctx.loaders.ledgerByPayment.load(scopedPaymentId(p.billId, p.paymentId)),
};
