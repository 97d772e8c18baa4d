import type { Identity } from '@exchange/platform';
import type { BillDoc, PaymentDoc } from '../../store/models';
import { maySeeParty } from '../access';
import type { Deps } from '../deps';
import { scopedPaymentId } from './record';

// Reading payments: by the payer's id, and as Payment records of a bill.

/** The caller's own payment with this payer's id (unique per bill only, so several bills may hold one). */
export async function paymentByReference(deps: Deps, who: Identity, paymentId: string): Promise<PaymentDoc | null> {
  const found = (await deps.models.Payment.find({ paymentId }).limit(50).lean().exec()) as PaymentDoc[];
  return found.find((p) => maySeeParty(who, p.buyerId, p.carrierId)) ?? null;
}

/** A bill's payments as Payment records (the bill embeds them). */
export const paymentsOfBill = (b: BillDoc): PaymentDoc[] =>
  (b.payments ?? []).map((p) => ({
    _id: scopedPaymentId(b._id, p.id),
    paymentId: p.id,
    billId: b._id,
    buyerId: b.buyerId!,
    carrierId: b.carrierId!,
    amount: p.amount,
    currency: b.currency!,
    path: p.path,
    reference: p.reference ?? null,
    recordedBy: p.recordedBy,
    receivedAt: p.receivedAt,
  }));
