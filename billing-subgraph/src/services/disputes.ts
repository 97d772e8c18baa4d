import { randomUUID } from 'node:crypto';
import type { Identity } from '@exchange/platform';
import { checkCorrection, checkReason, localDate } from '../domain';
import type { BillDoc, DisputeDoc, SelectionDoc } from '../store/models';
import { toStoredBillingRecord } from '../store/billing-record-format';
import { badInput, forbidden, isOperator, maySeeParty, notFound } from './access';
import { generateBills } from './bill-run';
import type { Deps } from './deps';
import { insertIgnoringDuplicates } from './rating';
import { reconciliation } from './reconciliation';

const label = (who: Identity) => `${who.role}:${who.sub}`;

/** Who may see a dispute: the bill's buyer and carrier and the operators. */
export const disputeVisible = (who: Identity, d: DisputeDoc) => maySeeParty(who, d.buyerId, d.carrierId);

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
    const res = await deps.models.Dispute.updateOne(
      { _id: d._id, status: 'OPEN' },
      { $set: { status: 'REJECTED', resolutionReason: reason, resolvedBy: label(who), resolvedAt: now }, $push: { history: { at: now, by: label(who), action: 'REJECTED', reason } } },
    ).exec();
    if (res.modifiedCount !== 1) throw badInput('input.disputeId', `dispute ${d._id} was decided meanwhile`);
    return (await deps.models.Dispute.findById(d._id).lean().exec()) as DisputeDoc;
  }
  const amount = input.amount === undefined || input.amount === null ? d.amount : checkCorrection('input.amount', input.amount, d.currency);
  const bill = (await deps.models.Bill.findById(d.billId).lean().exec()) as BillDoc;
  const selection = (await deps.models.Selection.findById(bill.selectionIds?.[0]).lean().exec()) as SelectionDoc | null;
  if (!selection) throw badInput('input.disputeId', `bill ${bill._id} has no selection to adjust`);
  // The decision first (conditional): a second resolver gets an error, never a second credit.
  const res = await deps.models.Dispute.updateOne(
    { _id: d._id, status: 'OPEN' },
    { $set: { status: 'ACCEPTED', resolutionReason: reason, resolvedAmount: amount, resolvedBy: label(who), resolvedAt: now }, $push: { history: { at: now, by: label(who), action: 'ACCEPTED', reason } } },
  ).exec();
  if (res.modifiedCount !== 1) throw badInput('input.disputeId', `dispute ${d._id} was decided meanwhile`);
  const unit = bill.lines?.find((l) => l.unit)?.unit ?? selection.unit;
  await insertIgnoringDuplicates(deps.models.BillingRecord, [
    toStoredBillingRecord({
      _id: `dispute|${d._id}`,
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
  const run = await generateBills(deps, { start: bill.periodStart!.toISOString(), end: bill.periodEnd!.toISOString() }, bill.groupBy ?? 'BUYER_REQUEST', {
    buyers: new Set([bill.buyerId!]),
    periodLabel: bill.periodLabel ?? undefined,
  });
  const adjustment = run.bills.find((b) => b.kind === 'ADJUSTMENT' && b.groupKey === bill.groupKey && (b.sequence ?? 0) > (bill.sequence ?? 0));
  if (adjustment) await deps.models.Dispute.updateOne({ _id: d._id }, { $set: { adjustmentBillId: adjustment._id } }).exec();
  return (await deps.models.Dispute.findById(d._id).lean().exec()) as DisputeDoc;
}

export async function disputesOf(deps: Deps, who: Identity, args: { billId?: unknown }): Promise<DisputeDoc[]> {
  if (!isOperator(who) && who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden(`${who.role} has no disputes`);
  if (typeof args.billId === 'string' && args.billId !== '') {
    const list = (await deps.models.Dispute.find({ billId: args.billId }).sort({ openedAt: 1 }).lean().exec()) as DisputeDoc[];
    return list.filter((d) => disputeVisible(who, d));
  }
  if (isOperator(who)) return (await deps.models.Dispute.find({ status: 'OPEN' }).limit(500).lean().exec()) as DisputeDoc[];
  if (who.role === 'BUYER') return (await deps.models.Dispute.find({ buyerId: who.sub }).limit(500).lean().exec()) as DisputeDoc[];
  if (who.role === 'CARRIER') return (await deps.models.Dispute.find({ carrierId: who.sub }).limit(500).lean().exec()) as DisputeDoc[];
  throw forbidden(`${who.role} has no disputes`);
}

/**
 * The disputes of one bill this caller may see, from the bill's disputes read in one batch for a
 * whole page of bills (graphql/context.ts disputesByBill), so a bill list is not one read per bill.
 */
export function visibleBillDisputes(who: Identity, list: DisputeDoc[]): DisputeDoc[] {
  if (!isOperator(who) && who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden(`${who.role} has no disputes`);
  return list.filter((d) => disputeVisible(who, d));
}
