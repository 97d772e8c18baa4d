import { randomUUID } from 'node:crypto';
import { Dec, formatBillNumber, postingsForBillIssued, type AssembledBill } from '../domain';
import type { BillDoc, BillLineDoc } from '../store/models';
import type { Deps } from './deps';
import { createDeliveries, deliverIssuedNow } from './delivery';
import { insertIgnoringDuplicates } from './rating';
import { claimNextSlot } from '../store/slots';

export const PAYMENT_TERMS_DAYS = 30;

export const newBillId = () => `bill_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

async function allocateNumber(deps: Deps, at: Date): Promise<string> {
  const month = at.toISOString().slice(0, 7);
  const { slot } = await claimNextSlot(deps.models, `billno|${month}`, (prev) => ({ slot: { value: formatBillNumber((prev?.seq ?? 0) + 1, at) }, extra: null }));
  return slot.value;
}

/**
 * What issuing a bill posts before its status flips: the ledger entries and the deliveries, both
 * under deterministic ids, so a re-run after a crash posts nothing twice. Returns the status the
 * bill is issued with.
 */
async function postIssue(deps: Deps, bill: BillDoc, now: Date): Promise<'PAID' | 'ISSUED'> {
  const sets = postingsForBillIssued({ billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, currency: bill.currency!, total: bill.total! });
  const ledger = sets.flatMap((s, i) =>
    s.postings.map((p, j) => ({ _id: `${bill._id}|issued|${i}|${j}`, event: s.event, account: p.account, amount: p.amount, currency: p.currency, billId: bill._id, paymentId: null, description: s.description, postedAt: now })),
  );
  await insertIgnoringDuplicates(deps.models.Ledger, ledger);
  await createDeliveries(deps, bill, now);
  return new Dec(bill.total!).isZero() ? 'PAID' : 'ISSUED';
}

/**
 * DRAFT -> ISSUED. Ledger postings and delivery records are written first with deterministic
 * ids (re-running after a crash writes nothing twice), then the status flips conditionally, then
 * the bill is posted and announced through its delivery records (the outbox).
 */
export async function finishIssue(deps: Deps, draft: BillDoc): Promise<BillDoc> {
  const { Bill } = deps.models;
  const now = new Date();
  const number = draft.number ?? (await allocateNumber(deps, now));
  if (!draft.number) await Bill.updateOne({ _id: draft._id, status: 'DRAFT', number: { $exists: false } }, { $set: { number } }).exec();
  const bill = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  if (bill.status !== 'DRAFT') return bill;
  const status = await postIssue(deps, bill, now);
  const issued = await Bill.findOneAndUpdate(
    { _id: bill._id, status: 'DRAFT' },
    { $set: { status, issuedAt: now, dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000), number: bill.number ?? number } },
    { returnDocument: 'after' },
  ).lean().exec();
  if (!issued) return (await Bill.findById(bill._id).lean().exec()) as BillDoc;
  await announceIssued(deps, issued as BillDoc);
  return issued as BillDoc;
}

/**
 * Posts and announces an issued bill through its delivery records (the outbox, services/delivery.ts):
 * each is marked DELIVERED only once it happened, and one not sent now (a crash, a pub/sub
 * failure) stays PENDING for the worker. Also called for a bill found already issued
 * (ensureAdvanceBill on a re-delivery), which completes the announcement of a run that died.
 */
export async function announceIssued(deps: Deps, bill: BillDoc): Promise<void> {
  if (bill.status === 'DRAFT') return;
  await deliverIssuedNow(deps, bill);
  deps.kickDeliveries();
}

export function linesOf(a: AssembledBill, s: { requestId: string; _id: string }): BillLineDoc[] {
  return a.lines.map((l) => ({
    kind: l.kind,
    description: l.description,
    requestId: s.requestId,
    selectionId: s._id,
    endUserId: l.endUserId ?? null,
    quantity: l.quantity ?? null,
    unit: l.unit ?? null,
    ratePerUnit: l.ratePerUnit ?? null,
    tierIndex: l.tierIndex ?? null,
    amount: l.amount,
  }));
}

/**
 * Issues a draft whose lines were computed by this run in one update (lines, totals, number and
 * status together), if it is still this run's DRAFT. Ledger postings and delivery records are written first with
 * deterministic ids, so a run that dies before the update leaves a DRAFT that another run
 * completes without posting anything twice; the announcement goes through the delivery records (the outbox).
 */
export async function issueCompleted(deps: Deps, draft: BillDoc, fields: Partial<BillDoc>): Promise<boolean> {
  const { Bill } = deps.models;
  const now = new Date();
  const number = await allocateNumber(deps, now);
  const bill: BillDoc = { ...draft, ...fields, number };
  const status = await postIssue(deps, bill, now);
  // Only if it is still this run's DRAFT: one conditional update, atomic on MongoDB and on the
  // patched embedded engine (a run that took the draft over after this run's lease expired wins).
  const issuedNow = await Bill.updateOne(
    { _id: bill._id, status: 'DRAFT', runId: draft.runId },
    { $set: { ...fields, number, status, issuedAt: now, dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000) } },
  ).exec();
  if (issuedNow.matchedCount === 0) return false;
  await deliverIssuedNow(deps, { ...bill, status });
  return true;
}
