import { isDuplicateKey } from '@exchange/platform';
import { assembleBill, Dec, formatRecordAmount, rateUsage, ratePercentile, type BillRecordInput, type EconomicIncentive } from '../../domain';
import type { BillDoc, SelectionDoc } from '../../store/models';
import { announceIssued, finishIssue, linesOf, newBillId } from './bill-issue';
import type { Deps } from '../deps';

/** The requested quantity rated under the incentive, as bill record inputs. */
function advanceRecords(s: SelectionDoc): BillRecordInput[] {
  const incentive = s.incentive as EconomicIncentive;
  const q = new Dec(s.quantity);
  if (s.unit === 'MBPS' || (s.serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95')) {
    const r = ratePercentile(incentive, [q.toFixed()]);
    return r.segments.map((seg, i) => ({ billingRecordId: `advance-${i}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit }));
  }
  const base = s.serviceType === 'VOICE' ? q.times(60).ceil() : q.times('1000000000').ceil();
  const r = rateUsage({ incentive, serviceType: s.serviceType, usage: { quantity: base.toFixed() } });
  return r.segments.map((seg, i) => ({ billingRecordId: `advance-${i}`, amount: seg.amount, quantity: seg.quantity, unit: r.unit, tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit }));
}

/** Issues (or completes) the selection's ADVANCE bill; unique key ADVANCE|<selectionId>. */
export async function ensureAdvanceBill(deps: Deps, s: SelectionDoc): Promise<BillDoc> {
  const { Bill, Selection } = deps.models;
  const key = `ADVANCE|${s._id}`;
  let bill = (await Bill.findOne({ key }).lean().exec()) as BillDoc | null;
  if (!bill) {
    const incentive = s.incentive as EconomicIncentive;
    const a = assembleBill({
      kind: 'ADVANCE',
      currency: incentive.currency,
      records: advanceRecords(s),
      minimumCharge: incentive.minimumCharge,
      setupFee: incentive.setupFee,
      isFirstBillForSelection: true,
      isReseller: s.buyerIsReseller,
    });
    const draft: BillDoc = {
      _id: newBillId(),
      key,
      groupKey: key,
      kind: 'ADVANCE',
      groupBy: null,
      buyerId: s.buyerId,
      carrierId: s.carrierId,
      requestId: s.requestId,
      selectionIds: [s._id],
      periodStart: s.intervalStart,
      periodEnd: s.intervalEnd,
      sequence: 0,
      currency: a.currency,
      lines: linesOf(a, s),
      endUserSubtotals: a.endUserSubtotals,
      usageAmount: a.usageAmount,
      minimumTopUp: a.minimumTopUp,
      setupFee: a.setupFee,
      advanceCreditApplied: a.advanceCreditApplied,
      creditableAdvance: a.creditableAdvance,
      selectionAmounts: [{ selectionId: s._id, usage: a.usageAmount, credit: a.advanceCreditApplied }],
      subtotal: a.subtotal,
      total: a.total,
      paidAmount: '0',
      payments: [],
      status: 'DRAFT',
      version: 0,
      recordCount: 0,
      issuedAt: new Date(),
      draftAt: new Date(),
      deliveryPath: deps.config.BILL_DELIVERY_PATH,
    };
    try {
      await Bill.create(draft);
      bill = draft;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      bill = (await Bill.findOne({ key }).lean().exec()) as BillDoc;
    }
  }
  if (bill.status === 'DRAFT') bill = await finishIssue(deps, bill);
  // A bill found issued may be one whose issuing run died before announcing it.
  else await announceIssued(deps, bill);
  if (s.advanceBillId !== bill._id) await Selection.updateOne({ _id: s._id }, { $set: { advanceBillId: bill._id } }).exec();
  return bill;
}

/** advancePool for many selections from one read of their bills (fresh drafts are never among them: DRAFTs do not count). */
export async function advancePools(deps: Deps, selectionIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (selectionIds.length === 0) return out;
  const wanted = new Set(selectionIds);
  const pools = new Map<string, Dec>();
  const bills = deps.models.Bill.find({ selectionIds: { $in: selectionIds } })
    .select({ kind: 1, creditableAdvance: 1, selectionAmounts: 1, status: 1, selectionIds: 1 })
    .lean()
    .cursor({ batchSize: 1000 });
  for await (const b of bills as AsyncIterable<BillDoc>) {
    if (b.kind === 'ADVANCE') {
      for (const id of b.selectionIds ?? []) if (wanted.has(id)) pools.set(id, (pools.get(id) ?? new Dec(0)).plus(b.creditableAdvance ?? '0'));
    } else if (b.status !== 'DRAFT') {
      for (const { selectionId: id, credit } of b.selectionAmounts ?? []) {
        if (wanted.has(id)) pools.set(id, (pools.get(id) ?? new Dec(0)).minus(credit));
      }
    }
  }
  for (const id of selectionIds) out.set(id, formatRecordAmount(Dec.max(0, pools.get(id) ?? new Dec(0))));
  return out;
}

/** What is left of the selection's advance prepayment: its creditable amount minus credits already applied on other bills. */
export async function advancePool(deps: Deps, selectionId: string, excludeBillId: string): Promise<string> {
  const bills = (await deps.models.Bill.find({ selectionIds: selectionId, _id: { $ne: excludeBillId } })
    .select({ kind: 1, creditableAdvance: 1, selectionAmounts: 1, status: 1 })
    .lean()
    .exec()) as BillDoc[];
  let pool = new Dec(0);
  for (const b of bills) {
    if (b.kind === 'ADVANCE') pool = pool.plus(b.creditableAdvance ?? '0');
    else if (b.status !== 'DRAFT') for (const x of b.selectionAmounts ?? []) if (x.selectionId === selectionId) pool = pool.minus(x.credit);
  }
  return formatRecordAmount(Dec.max(0, pool));
}
