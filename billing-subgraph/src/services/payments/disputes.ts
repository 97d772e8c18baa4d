import { insertIgnoringDuplicates } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import type { Identity } from '@exchange/platform';
import { checkCorrection, checkCorrectionBound, checkReason, Dec, localDate } from '../../domain';
import type { BillDoc, DisputeDoc, SelectionDoc } from '../../store/models';
import { toStoredBillingRecord } from '../../store/billing-record-format';
import { badInput, conflict, forbidden, hasRole, SEES_EVERY_PARTY, maySeeParty, notFound } from '../access';
import { generateBills } from '../bill-run/bill-run';
import type { Deps } from '../deps';
import { reconciliation } from './reconciliation';

const label = (who: Identity) => `${who.role}:${who.sub}`;

/** Who may see a dispute: the bill's buyer and carrier and the operators. */
export const disputeVisible = (who: Identity, d: DisputeDoc) => maySeeParty(who, d.buyerId, d.carrierId);

/**
 * What the disputed bill (or line) charged: the bound of its corrections. For a whole bill, its
 * gross charges (its positive lines; the total when larger, e.g. with tax): usage covered by an
 * advance is charged too, though the deduction line brings the bill's total to 0.
 */
function chargedBy(bill: BillDoc, lineIndex: number | null): string {
  if (lineIndex !== null) return bill.lines![lineIndex].amount;
  const gross = (bill.lines ?? []).reduce((s, l) => (new Dec(l.amount).isPositive() ? s.plus(l.amount) : s), new Dec(0));
  return Dec.max(gross, bill.total ?? '0').toFixed();
}
const disputedThing = (bill: BillDoc, lineIndex: number | null) => (lineIndex === null ? `bill ${bill.number ?? bill._id}` : `line ${lineIndex} of bill ${bill.number ?? bill._id}`);
/** A dispute's correction as it stands: accepted, being accepted, or asked for. */
const correctionOf = (d: DisputeDoc) => (d.status === 'ACCEPTED' ? d.resolvedAmount ?? d.amount : d.resolving?.amount ?? d.amount);

/** An acceptance whose process died is taken over after this long (a bill run of one buyer's period takes seconds). */
export const RESOLVING_STALE_MS = 5 * 60_000;

export async function openDispute(deps: Deps, who: Identity, input: Record<string, unknown>): Promise<DisputeDoc> {
  if (who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden('a dispute is opened by the bill\'s buyer or carrier');
  if (typeof input.billId !== 'string' || input.billId === '') throw badInput('input.billId', 'input.billId is required');
  const bill = (await deps.models.Bill.findById(input.billId).lean().exec()) as BillDoc | null;
  // Another party's bill is NOT_FOUND, as a bill that does not exist.
  if (!bill || bill.status === 'DRAFT' || !maySeeParty(who, bill.buyerId, bill.carrierId)) throw notFound(`bill ${input.billId} not found`);
  if (bill.kind === 'ADVANCE') throw badInput('input.billId', 'an ADVANCE bill charges the committed quantity; dispute the periodic or adjustment bill of the usage');
  const reason = checkReason('input.reason', input.reason);
  const amount = checkCorrection('input.amount', input.amount, bill.currency!);
  let lineIndex: number | null = null;
  if (input.lineIndex !== undefined && input.lineIndex !== null) {
    if (!Number.isInteger(input.lineIndex) || (input.lineIndex as number) < 0 || (input.lineIndex as number) >= (bill.lines ?? []).length) {
      throw badInput('input.lineIndex', `input.lineIndex must be a line of the bill (0 to ${(bill.lines ?? []).length - 1})`);
    }
    lineIndex = input.lineIndex as number;
  }
  const others = (await deps.models.Dispute.find({ billId: bill._id, lineIndex, status: { $in: ['OPEN', 'ACCEPTED'] } }).lean().exec()) as DisputeDoc[];
  checkCorrectionBound('input.amount', amount, chargedBy(bill, lineIndex), others.map(correctionOf), disputedThing(bill, lineIndex));
  let evidenceCsv: string;
  try {
    evidenceCsv = (await reconciliation(deps, who, { buyerId: bill.buyerId, carrierId: bill.carrierId, requestId: bill.requestId ?? null, period: { start: bill.periodStart?.toISOString(), end: bill.periodEnd?.toISOString() } })).csv;
  } catch (err) {
    evidenceCsv = `no reconciliation: ${(err as Error).message}`;
  }
  const now = new Date();
  const doc: DisputeDoc = {
    _id: `dsp_${randomUUID()}`,
    billId: bill._id,
    billNumber: bill.number ?? bill._id,
    buyerId: bill.buyerId!,
    carrierId: bill.carrierId!,
    lineIndex,
    reason,
    amount,
    currency: bill.currency!,
    status: 'OPEN',
    openedBy: label(who),
    openedAt: now,
    evidenceCsv,
    history: [{ at: now, by: label(who), action: 'OPENED', reason }],
  };
  await deps.models.Dispute.create(doc);
  return doc;
}

/**
 * The billing agent's decision. Accepted: the correction becomes a billing record of the bill's
 * group and period (`dispute|<id>`), billed by the period's bill run at once, so it lands on an
 * ADJUSTMENT bill (an issued bill never changes). Rejected: the reason is kept. Decided once.
 */
export async function resolveDispute(deps: Deps, who: Identity, input: Record<string, unknown>): Promise<DisputeDoc> {
  if (!['BILLING_AGENT', 'ADMIN'].includes(who.role)) throw forbidden('resolveDispute is reserved to BILLING_AGENT, ADMIN');
  if (typeof input.disputeId !== 'string' || input.disputeId === '') throw badInput('input.disputeId', 'input.disputeId is required');
  const d = (await deps.models.Dispute.findById(input.disputeId).lean().exec()) as DisputeDoc | null;
  if (!d) throw notFound(`dispute ${input.disputeId} not found`);
  if (typeof input.accept !== 'boolean') throw badInput('input.accept', 'input.accept is required');
  const reason = checkReason('input.reason', input.reason);
  if (d.status !== 'OPEN') throw badInput('input.disputeId', `dispute ${d._id} was already ${d.status}`);
  const now = new Date();
  if (!input.accept) {
    // Not while an acceptance is under way (its correction may be on a bill already): that one completes first.
    const res = await deps.models.Dispute.updateOne(
      { _id: d._id, status: 'OPEN', resolving: null },
      { $set: { status: 'REJECTED', resolutionReason: reason, resolvedBy: label(who), resolvedAt: now }, $push: { history: { at: now, by: label(who), action: 'REJECTED', reason } } },
    ).exec();
    if (res.modifiedCount !== 1) throw badInput('input.disputeId', `dispute ${d._id} was decided meanwhile`);
    return (await deps.models.Dispute.findById(d._id).lean().exec()) as DisputeDoc;
  }
  const amount = input.amount === undefined || input.amount === null ? d.amount : checkCorrection('input.amount', input.amount, d.currency);
  const bill = (await deps.models.Bill.findById(d.billId).lean().exec()) as BillDoc;
  const selection = (await deps.models.Selection.findById(bill.selectionIds?.[0]).lean().exec()) as SelectionDoc | null;
  if (!selection) throw badInput('input.disputeId', `bill ${bill._id} has no selection to adjust`);
  // Claimed first (conditional): a second resolver gets an error, never a second credit. The
  // dispute stays OPEN until its adjustment bill exists: the decision and the bill are one outcome.
  const claim = await deps.models.Dispute.updateOne(
    { _id: d._id, status: 'OPEN', $or: [{ resolving: null }, { 'resolving.at': { $lt: new Date(now.getTime() - RESOLVING_STALE_MS) } }] },
    { $set: { resolving: { by: label(who), at: now, amount } } },
  ).exec();
  if (claim.modifiedCount !== 1) {
    const current = (await deps.models.Dispute.findById(d._id).lean().exec()) as DisputeDoc;
    if (current.status !== 'OPEN') throw badInput('input.disputeId', `dispute ${d._id} was decided meanwhile`);
    throw conflict(`dispute ${d._id} is being decided by ${current.resolving?.by}; try again later`, 'input.disputeId');
  }
  const recordId = `dispute|${d._id}`;
  let adjustmentBillId: string | null = null;
  try {
    // Read after the claim: of two concurrent acceptances on one bill, the later reader sees the other.
    const siblings = (await deps.models.Dispute.find({ billId: d.billId, lineIndex: d.lineIndex, _id: { $ne: d._id } }).lean().exec()) as DisputeDoc[];
    const others = siblings.filter((x) => x.status === 'ACCEPTED' || (x.status === 'OPEN' && x.resolving)).map(correctionOf);
    checkCorrectionBound('input.amount', amount, chargedBy(bill, d.lineIndex), others, disputedThing(bill, d.lineIndex));
    adjustmentBillId = await billCorrection(deps, d, bill, selection, recordId, amount, now);
  } catch (err) {
    // Billed after all (the error came later, e.g. numbering): the decision stands with its bill.
    adjustmentBillId = await billOf(deps, recordId);
    if (!adjustmentBillId) {
      await withdrawCorrection(deps, recordId);
      adjustmentBillId = await billOf(deps, recordId);
    }
    if (!adjustmentBillId) {
      await deps.models.Dispute.updateOne({ _id: d._id, 'resolving.at': now }, { $unset: { resolving: 1 } }).exec();
      throw err;
    }
    deps.logger.error({ err, disputeId: d._id, adjustmentBillId }, 'dispute correction billed, but its bill run failed afterwards');
  }
  const correction = (await deps.models.BillingRecord.findById(recordId).select({ amount: 1 }).lean().exec()) as { amount?: string } | null;
  await deps.models.Dispute.updateOne(
    { _id: d._id, status: 'OPEN' },
    {
      $set: { status: 'ACCEPTED', resolutionReason: reason, resolvedAmount: correction?.amount ?? amount, resolvedBy: label(who), resolvedAt: now, adjustmentBillId },
      $unset: { resolving: 1 },
      $push: { history: { at: now, by: label(who), action: 'ACCEPTED', reason } },
    },
  ).exec();
  return (await deps.models.Dispute.findById(d._id).lean().exec()) as DisputeDoc;
}

/** The bill that claimed a billing record, if any. */
async function billOf(deps: Deps, recordId: string): Promise<string | null> {
  const claim = (await deps.models.BillClaim.findById(recordId).select({ billId: 1 }).lean().exec()) as { billId?: string } | null;
  if (!claim?.billId) return null;
  return (await deps.models.Bill.exists({ _id: claim.billId })) ? claim.billId : null;
}

/** Removes a correction no bill claimed (the acceptance failed before billing it). */
async function withdrawCorrection(deps: Deps, recordId: string): Promise<void> {
  const record = await deps.models.BillingRecord.findById(recordId).lean().exec();
  if (!record) return;
  await deps.models.BillingRecord.deleteOne({ _id: recordId }).exec();
  // Claimed meanwhile by a concurrent bill run: the bill counts it, so the record stays.
  if (await deps.models.BillClaim.exists({ _id: recordId })) await insertIgnoringDuplicates(deps.models.BillingRecord, [record as never]);
}

/**
 * The correction as a billing record of the bill's group and period (`dispute|<id>`), billed by
 * the period's bill run at once, so it lands on an ADJUSTMENT bill (an issued bill never changes).
 * Returns that bill; an error when no bill took the record.
 */
async function billCorrection(deps: Deps, d: DisputeDoc, bill: BillDoc, selection: SelectionDoc, recordId: string, amount: string, now: Date): Promise<string> {
  const billed = await billOf(deps, recordId);
  if (billed) return billed;
  // A leftover of an acceptance that died before billing it (this resolver holds the claim now).
  await withdrawCorrection(deps, recordId);
  const unit = bill.lines?.find((l) => l.unit)?.unit ?? selection.unit;
  await insertIgnoringDuplicates(deps.models.BillingRecord, [
    toStoredBillingRecord({
      _id: recordId,
      requestId: selection.requestId,
      selectionId: selection._id,
      buyerId: bill.buyerId!,
      carrierId: bill.carrierId!,
      // The bill's period label (its first day in the buyer's zone), as rating labels its records.
      period: bill.periodLabel ?? localDate(bill.periodStart!, bill.timeZone ?? 'UTC').slice(0, 7),
      intervalStart: bill.periodStart!,
      serviceType: selection.serviceType,
      unit,
      billableQuantity: '0',
      billableBaseQuantity: '0',
      cumulativeBefore: '0',
      segments: [{ tierIndex: 0, fromQuantity: '0', ratePerUnit: '0', quantity: '0', baseQuantity: '0', amount }],
      amount,
      currency: bill.currency!,
      ratedAt: now,
    }),
  ]);
  // Only this buyer: the bounds are its period, not other buyers' (a zoned buyer's differ from theirs).
  await generateBills(deps, { start: bill.periodStart!.toISOString(), end: bill.periodEnd!.toISOString() }, bill.groupBy ?? 'BUYER_REQUEST', {
    buyers: new Set([bill.buyerId!]),
    periodLabel: bill.periodLabel ?? undefined,
  });
  const adjustment = await billOf(deps, recordId);
  if (!adjustment) throw conflict(`the correction of dispute ${d._id} could not be billed now (a bill run of the period is under way); try again`, 'input.disputeId');
  return adjustment;
}

export async function disputesOf(deps: Deps, who: Identity, args: { billId?: unknown }): Promise<DisputeDoc[]> {
  if (!hasRole(who, SEES_EVERY_PARTY) && who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden(`${who.role} has no disputes`);
  if (typeof args.billId === 'string' && args.billId !== '') {
    const list = (await deps.models.Dispute.find({ billId: args.billId }).sort({ openedAt: 1 }).lean().exec()) as DisputeDoc[];
    return list.filter((d) => disputeVisible(who, d));
  }
  if (hasRole(who, SEES_EVERY_PARTY)) return (await deps.models.Dispute.find({ status: 'OPEN' }).limit(500).lean().exec()) as DisputeDoc[];
  if (who.role === 'BUYER') return (await deps.models.Dispute.find({ buyerId: who.sub }).limit(500).lean().exec()) as DisputeDoc[];
  if (who.role === 'CARRIER') return (await deps.models.Dispute.find({ carrierId: who.sub }).limit(500).lean().exec()) as DisputeDoc[];
  throw forbidden(`${who.role} has no disputes`);
}

/**
 * The disputes of one bill this caller may see, from the bill's disputes read in one batch for a
 * whole page of bills (graphql/context.ts disputesByBill), so a bill list is not one read per bill.
 */
export function visibleBillDisputes(who: Identity, list: DisputeDoc[]): DisputeDoc[] {
  if (!hasRole(who, SEES_EVERY_PARTY) && who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden(`${who.role} has no disputes`);
  return list.filter((d) => disputeVisible(who, d));
}
