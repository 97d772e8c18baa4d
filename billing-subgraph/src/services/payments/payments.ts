import { insertIgnoringDuplicates } from '@exchange/platform';
import type { Identity } from '@exchange/platform';
import { applyPayment, assertRetryOf, Dec, formatTotal, paymentKey, hasControlCharacters, postingsForPayment, settlementStatement as domainStatement, type PaymentPath } from '../../domain';
import type { BillDoc, PaymentDoc, PaymentEmbed, SlotDoc } from '../../store/models';
import { badInput, forbidden, maySeeParty, notFound } from '../access';
import type { Deps } from '../deps';
import { parsePeriod } from '../bill-run/period';
import { claimNextSlot } from '../../store/slots';


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

export async function settlementStatement(deps: Deps, carrierId: string, periodInput: { start?: unknown; end?: unknown }) {
  const period = parsePeriod(periodInput);
  const bills = [];
  const payments = [];
  const cursor = deps.models.Bill.find({ carrierId, issuedAt: { $gte: period.start, $lt: period.end }, status: { $ne: 'DRAFT' } })
    .select({ number: 1, buyerId: 1, carrierId: 1, currency: 1, total: 1, issuedAt: 1, payments: 1 })
    .lean()
    .cursor({ batchSize: 500 });
  for await (const b of cursor) {
    if (!b.total || !b.currency) continue;
    bills.push({ billId: b._id, billNumber: b.number, buyerId: b.buyerId!, carrierId: b.carrierId!, currency: b.currency, total: b.total, issuedAt: b.issuedAt });
    for (const p of b.payments ?? []) payments.push({ billId: b._id, amount: p.amount, path: p.path, receivedAt: p.receivedAt });
  }
  return domainStatement(carrierId, period, bills, payments);
}

/** What a buyer owes one carrier (issued totals minus payments of the bills between them), per currency. */
export async function outstandingBetween(deps: Deps, buyerId: string, carrierId: string): Promise<{ amount: string; currency: string }[]> {
  const bills = await deps.models.Bill.find({ buyerId, carrierId, status: { $in: ['ISSUED', 'PARTIALLY_PAID'] } })
    .select({ total: 1, paidAmount: 1, currency: 1 })
    .lean()
    .exec();
  const acc = new Map<string, Dec>();
  for (const b of bills) {
    if (!b.total || !b.currency) continue;
    acc.set(b.currency, (acc.get(b.currency) ?? new Dec(0)).plus(b.total).minus(b.paidAmount ?? '0'));
  }
  return [...acc].sort(([a], [c]) => (a < c ? -1 : 1)).map(([currency, amount]) => ({ amount: formatTotal(amount, currency), currency }));
}

/** A carrier's settlement statement, for the carrier itself, BILLING_AGENT or ADMIN. */
export async function settlementStatementFor(deps: Deps, who: Identity, carrierId: string, periodInput: { start?: unknown; end?: unknown }) {
  if (!(who.role === 'ADMIN' || who.role === 'BILLING_AGENT' || (who.role === 'CARRIER' && who.sub === carrierId))) {
    throw forbidden('a settlement statement is for the carrier itself, BILLING_AGENT or ADMIN');
  }
  return settlementStatement(deps, carrierId, periodInput);
}

type Outstanding = { amount: string; currency: string }[];

/**
 * A buyer's balance as the caller may see it: a carrier (its counterparty) sees what the buyer
 * owes it only; the buyer itself and the operators see the whole balance (`outstandingOfBuyer`,
 * the request's batching loader).
 */
export async function buyerBalance(deps: Deps, who: Identity, buyerId: string, outstandingOfBuyer: (buyerId: string) => Promise<Outstanding>): Promise<Outstanding> {
  if (who.role === 'CARRIER' && who.sub) return outstandingBetween(deps, buyerId, who.sub);
  if (!maySeeParty(who, buyerId, null)) throw forbidden('only the buyer itself, its carriers (their bills with it), BILLING_AGENT or ADMIN see its balance');
  return outstandingOfBuyer(buyerId);
}

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

/** What was paid on a bill, at the currency's minor unit. */
export const paidOf = (b: BillDoc): string | undefined => (b.currency ? formatTotal(b.paidAmount ?? '0', b.currency) : b.paidAmount);

/** What is still owed on a bill (total − paid), at the currency's minor unit. */
export const outstandingOf = (b: BillDoc): string => (b.currency ? formatTotal(new Dec(b.total ?? '0').minus(b.paidAmount ?? '0'), b.currency) : '0');
