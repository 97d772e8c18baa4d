import { insertIgnoringDuplicates } from '@exchange/platform';
import type { Identity } from '@exchange/platform';
import { applyPayment, assertRetryOf, paymentKey, hasControlCharacters, postingsForPayment, type PaymentPath } from '../../domain';
import type { BillDoc, PaymentDoc, PaymentEmbed, SlotDoc } from '../../store/models';
import { badInput, forbidden, notFound } from '../access';
import type { Deps } from '../deps';
import { claimNextSlot } from '../../store/slots';

// Recording a payment: one slot per payment on the bill, the bill's projection, the payment
// record and its ledger postings.

/** Thrown inside a payment claim: the payer's key is already on the bill (a retry, or a clash). */
class AlreadyRecorded extends Error {
  constructor(readonly payment: PaymentEmbed) {
    super('payment key already recorded');
  }
}

/** The stored id of a payment: the payer's paymentId scoped to its bill. */
export const scopedPaymentId = (billId: string, paymentId: string) => `${billId}|${paymentId}`;

/** Projects the payment slots onto the bill document (paid amount, status, payment list). Idempotent. */
export async function syncBillPayments(deps: Deps, billId: string): Promise<void> {
  const slots = (await deps.models.Slot.find({ key: `pay|${billId}` }).sort({ seq: 1 }).lean().exec()) as SlotDoc[];
  const last = slots[slots.length - 1];
  if (!last) return;
  await deps.models.Bill.updateOne(
    { _id: billId, version: { $lte: last.seq } },
    { $set: { paidAmount: last.value, status: last.status, version: last.seq, payments: slots.map((s) => s.payment!) } },
  ).exec();
}

/** Who may record a payment: DIRECT: the bill's buyer, BILLING_AGENT, ADMIN; VIA_MODERATOR: also the MODERATOR. */
function mayPay(id: Identity, bill: BillDoc, path: PaymentPath): boolean {
  if (id.role === 'ADMIN' || id.role === 'BILLING_AGENT') return true;
  if (id.role === 'BUYER') return id.sub === bill.buyerId;
  if (id.role === 'MODERATOR') return path === 'VIA_MODERATOR';
  return false;
}

/**
 * Records a payment under the payer's idempotency key (input.paymentId, required): a retry with
 * the same key and contents returns the first payment, the same key with other contents is a
 * CONFLICT naming input.paymentId, and nothing is posted twice. The bill's paid amount, status and embedded payment list change in ONE
 * conditional update guarded by the bill's version, so two concurrent payments can never
 * together exceed the total. Ledger postings (two legs for VIA_MODERATOR) follow with
 * deterministic ids.
 */
export async function recordPayment(deps: Deps, id: Identity, input: Record<string, any>): Promise<PaymentDoc> {
  const { Bill, Payment, Ledger, Slot } = deps.models;
  if (typeof input.billId !== 'string') throw badInput('input.billId', 'input.billId is required');
  const path = input.path as PaymentPath;
  if (path !== 'DIRECT' && path !== 'VIA_MODERATOR') throw badInput('input.path', 'input.path must be DIRECT or VIA_MODERATOR');
  if (input.reference !== undefined && input.reference !== null && (typeof input.reference !== 'string' || input.reference.length > 500)) {
    throw badInput('input.reference', 'input.reference must be at most 500 characters');
  }
  if (typeof input.reference === 'string' && hasControlCharacters(input.reference)) {
    throw badInput('input.reference', 'input.reference must not contain control characters');
  }
  const paymentId = paymentKey(input.paymentId);
  const asked = { amount: String(input.amount), path, reference: input.reference ?? null };
  const bill = (await Bill.findById(input.billId).lean().exec()) as BillDoc | null;
  if (!bill || bill.status === 'DRAFT' || !bill.total || !bill.currency) throw notFound(`bill ${input.billId} not found`);
  if (!mayPay(id, bill, path)) {
    if (id.role === 'BUYER' || id.role === 'CARRIER') throw notFound(`bill ${input.billId} not found`);
    throw forbidden(`${id.role} may not record a ${path} payment`);
  }
  const key = `pay|${bill._id}`;
  // The paid amount advances through payment slots claimed by unique inserts: of two concurrent
  // payments computed from the same paid amount only one gets the next slot; the other re-reads
  // and is refused if it would now overpay. The key is looked up inside the claim, after the
  // previous slot was read: a payment under the same key inserted since then holds that slot's
  // successor (slots are dense), so this insert fails and the retry finds it. One key, one slot.
  let embed: PaymentEmbed | undefined;
  const recorded = async () => ((await Slot.findOne({ key, 'payment.id': paymentId }).lean().exec()) as SlotDoc | null)?.payment ?? undefined;
  try {
    const { slot } = await claimNextSlot(deps.models, key, async (prev) => {
      const earlier = await recorded();
      if (earlier) throw new AlreadyRecorded(earlier);
      const applied = applyPayment(bill.total!, prev?.value ?? '0', input.amount, bill.currency);
      const candidate: PaymentEmbed = { id: paymentId, amount: input.amount, path, reference: input.reference ?? null, recordedBy: `${id.role}:${id.sub}`, receivedAt: new Date() };
      return { slot: { value: applied.paidTotal, status: applied.status, payment: candidate }, extra: null };
    });
    embed = slot.payment!;
  } catch (err) {
    if (!(err instanceof AlreadyRecorded)) throw err;
    embed = err.payment;
  }
  // A retry (same key) must repeat the first request; it then gets the first payment back.
  assertRetryOf({ amount: embed.amount, path: embed.path, reference: embed.reference ?? null }, asked, paymentId, bill._id, bill.currency);
  await syncBillPayments(deps, bill._id);
  // Payment and ledger ids are scoped to the bill (and so to its payer): another buyer reusing
  // this paymentId on its own bill gets its own payment and postings, never these.
  const doc: PaymentDoc = {
    _id: scopedPaymentId(bill._id, embed.id),
    paymentId: embed.id,
    billId: bill._id,
    buyerId: bill.buyerId!,
    carrierId: bill.carrierId!,
    amount: embed.amount,
    currency: bill.currency!,
    path: embed.path,
    reference: embed.reference ?? null,
    recordedBy: embed.recordedBy,
    receivedAt: embed.receivedAt,
  };
  await insertIgnoringDuplicates(Payment, [doc]);
  const sets = postingsForPayment({ billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, currency: bill.currency!, amount: embed.amount, path: embed.path });
  await insertIgnoringDuplicates(
    Ledger,
    sets.flatMap((s, i) =>
      s.postings.map((p, j) => ({ _id: `${doc._id}|${i}|${j}`, event: s.event, account: p.account, amount: p.amount, currency: p.currency, billId: bill!._id, paymentId: embed!.id, description: s.description, postedAt: embed!.receivedAt })),
    ),
  );
  return doc;
}
