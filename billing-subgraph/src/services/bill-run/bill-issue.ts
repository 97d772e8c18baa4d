import { randomUUID } from 'node:crypto';
import { Dec, dueDate, type AssembledBill } from '../../domain';
import type { BillDoc, BillLineDoc } from '../../store/models';
import type { Deps } from '../deps';
import { createDeliveries, deliverIssuedNow } from './delivery';
import { invoiceSnapshot } from './bill-invoice';
import { completeIssued, recoverIssued } from './issue-completion';

export const newBillId = () => `bill_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

/**
 * What issuing a bill writes before its status flips: its delivery records (the outbox), under
 * deterministic ids, so a re-run after a crash writes nothing twice. Ledger postings and the
 * number come after the flip (services/bill-run/issue-completion.ts). Returns the status the bill is
 * issued with.
 */
async function prepareIssue(deps: Deps, bill: BillDoc, now: Date): Promise<'PAID' | 'ISSUED'> {
  await createDeliveries(deps, bill, now);
  return new Dec(bill.total!).isZero() ? 'PAID' : 'ISSUED';
}

/**
 * DRAFT -> ISSUED. The invoice snapshot (parties, taxes, taxed total) is written onto the draft
 * first, then its delivery records with deterministic ids (re-running after a crash writes nothing
 * twice), then the status flips conditionally, and only then are its ledger postings written and
 * its number taken (services/bill-run/issue-completion.ts: a draft that is never issued posts nothing and
 * takes no number) and is it announced through its delivery records (the outbox).
 */
export async function finishIssue(deps: Deps, draft: BillDoc): Promise<BillDoc> {
  const { Bill } = deps.models;
  const { fields, buyer } = await invoiceSnapshot(deps, draft);
  if (draft.status === 'DRAFT' && draft.netAmount === undefined) {
    await Bill.updateOne({ _id: draft._id, status: 'DRAFT', netAmount: { $exists: false } }, { $set: fields }).exec();
  }
  const bill = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  if (bill.status !== 'DRAFT') return bill;
  const now = new Date();
  const status = await prepareIssue(deps, bill, now);
  const issued = (await Bill.findOneAndUpdate({ _id: bill._id, status: 'DRAFT' }, { $set: { status, issuedAt: now, dueAt: dueDate(buyer, now) } }, { returnDocument: 'after' }).lean().exec()) as BillDoc | null;
  // Another issuer flipped it: that one numbers and announces it.
  if (!issued) return (await Bill.findById(bill._id).lean().exec()) as BillDoc;
  const numbered = await completeIssued(deps, issued);
  await announceIssued(deps, numbered);
  return numbered;
}

/**
 * Posts and announces an issued bill through its delivery records (the outbox, services/bill-run/delivery.ts):
 * each is marked DELIVERED only once it happened, and one not sent now (a crash, a pub/sub
 * failure) stays PENDING for the worker. Also called for a bill found already issued
 * (ensureAdvanceBill on a re-delivery), which completes the announcement of a run that died,
 * numbering it first if that run died before it had its number. A bill is never announced
 * without its number.
 */
export async function announceIssued(deps: Deps, bill: BillDoc): Promise<void> {
  if (bill.status === 'DRAFT') return;
  const numbered = await recoverIssued(deps, bill);
  if (numbered.number) await deliverIssuedNow(deps, numbered);
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
 * Issues a draft whose lines were computed by this run in one update (lines, totals, invoice
 * snapshot and status together), if it is still this run's DRAFT. Delivery records are written
 * first with deterministic ids, so a run that dies before the update leaves a DRAFT that another
 * run completes without writing anything twice. Ledger postings and the number follow only once
 * the conditional update matched: a run that lost the draft posts nothing and takes no number.
 */
export async function issueCompleted(deps: Deps, draft: BillDoc, fields: Partial<BillDoc>): Promise<boolean> {
  const { Bill } = deps.models;
  const now = new Date();
  const { fields: invoice, buyer } = await invoiceSnapshot(deps, { ...draft, ...fields });
  const bill: BillDoc = { ...draft, ...fields, ...invoice };
  const status = await prepareIssue(deps, bill, now);
  const dueAt = dueDate(buyer, now);
  // Only if it is still this run's DRAFT: one conditional update, atomic on MongoDB and on the
  // patched embedded engine (a run that took the draft over after this run's lease expired wins).
  const issuedNow = await Bill.updateOne({ _id: bill._id, status: 'DRAFT', runId: draft.runId }, { $set: { ...fields, ...invoice, status, issuedAt: now, dueAt } }).exec();
  if (issuedNow.matchedCount === 0) return false;
  const numbered = await completeIssued(deps, { ...bill, status, issuedAt: now, dueAt });
  await deliverIssuedNow(deps, numbered);
  return true;
}
