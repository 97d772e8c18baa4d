import { insertIgnoringDuplicates } from '@exchange/platform';
import { assembleBill, Dec, destinationRows, formatRecordAmount, formatTotal, sum, type DestinationPart, type EconomicIncentive } from '../../domain';
import { claimDoc, withClaims, type ClaimableRecord } from '../../store/bill-claims';
import type { BillDoc, BillLineDoc, PeriodRateDoc, SelectionAmountDoc, SelectionDoc } from '../../store/models';
import { advancePool } from './advance-credit';
import { addRecord, newAgg, newSelectionAgg, recordInputs, volumeRerated, type DraftAgg } from './bill-aggregate';
import { finishIssue, linesOf } from './bill-issue';
import type { Deps } from '../deps';
import { percentileRecords } from './percentile-billing';

/** Claims the group's unbilled records for the draft (unique claim inserts), assembles the lines per selection and issues. */
export async function completeDraft(deps: Deps, draft: BillDoc, recordFilter: Record<string, unknown>, earlier: BillDoc[], minimumSelections: string[] = []): Promise<BillDoc> {
  const { Bill, BillClaim, Selection } = deps.models;

  // Stream the records, pre-aggregating per selection / end user / tier / rate, so memory stays
  // proportional to the number of lines, not of records. Records claimed by this draft before a
  // crash count; records claimed by other bills do not; the rest are claimed in chunks and only
  // the claims this run inserted count (a concurrent claimer keeps its own).
  const agg = newAgg();
  let chunk: ClaimableRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const dup = await insertIgnoringDuplicates(BillClaim, chunk.map((r) => claimDoc(r, draft._id)));
    chunk.forEach((r, i) => {
      if (!dup.has(i)) addRecord(agg, r);
    });
    chunk = [];
  };
  for await (const { rec, claimedBy } of withClaims(deps.models, recordFilter)) {
    if (claimedBy === draft._id) addRecord(agg, rec);
    else if (claimedBy === null) {
      chunk.push(rec);
      if (chunk.length >= 2000) await flush();
    }
  }
  await flush();
  for (const id of minimumSelections) if (!agg.perSelection.has(id)) agg.perSelection.set(id, newSelectionAgg());

  const ids = [...agg.perSelection.keys()];
  const selections = new Map(((await Selection.find({ _id: { $in: ids } }).lean().exec()) as SelectionDoc[]).map((s) => [s._id, s]));
  const fields = await assembleDraft(deps, draft, agg, earlier, selections, (id) => advancePool(deps, id, draft._id));
  // A draft whose earlier attempt died inside finishIssue carries that attempt's invoice snapshot
  // (taxes, taxed total): it is kept while the net is the same (what that attempt computed stays
  // what the bill says), and dropped when the net changed (late usage claimed into the draft), so
  // finishIssue taxes the new net; a stale taxed total must never be issued.
  const snapshotHolds = draft.netAmount !== undefined && draft.netAmount === fields.total;
  const update = snapshotHolds
    ? { $set: { ...fields, total: draft.total } }
    : { $set: fields, $unset: { netAmount: 1, taxLines: 1, buyerParty: 1, sellerParty: 1, paymentInstructions: 1 } };
  await Bill.updateOne({ _id: draft._id, status: 'DRAFT' }, update).exec();
  const updated = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  return finishIssue(deps, updated);
}

/** The lines and totals of a draft from its per-line totals, per selection (minimum top-up, advance credit, percentile). */
export async function assembleDraft(
  deps: Deps,
  draft: BillDoc,
  agg: DraftAgg,
  earlier: BillDoc[],
  selections: Map<string, SelectionDoc>,
  poolOf: (selectionId: string) => Promise<string>,
): Promise<Partial<BillDoc>> {
  const lines: BillLineDoc[] = [];
  const subtotals = new Map<string | null, { label: string; amount: Dec }>();
  const selectionAmounts: SelectionAmountDoc[] = [];
  const destinations: { parts: DestinationPart[]; usageAmount: string }[] = [];
  const periodRates: PeriodRateDoc[] = [];
  const totals = { usage: [] as string[], topUp: [] as string[], credit: [] as string[], subtotal: [] as string[] };
  const selectionIds = [...agg.perSelection.keys()].sort();
  for (const selectionId of selectionIds) {
    const s = selections.get(selectionId);
    if (!s) continue;
    const incentive = s.incentive as EconomicIncentive;
    const pool = await poolOf(selectionId);
    const alreadyBilled = sum(
      earlier.flatMap((b) => (b.selectionAmounts ?? []).filter((x) => x.selectionId === selectionId).map((x) => x.usage)),
    );
    const sa = agg.perSelection.get(selectionId)!;
    const rerated = draft.kind === 'PERIODIC' ? volumeRerated(incentive, sa) : null;
    if (rerated?.length) periodRates.push({ selectionId, unit: rerated[0].unit, ratePerUnit: rerated[0].ratePerUnit });
    const records = rerated ?? recordInputs(sa);
    if (s.serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95') {
      records.push(...(await percentileRecords(deps, s, sa, draft.kind === 'ADJUSTMENT' ? earlier : [], alreadyBilled, { start: draft.periodStart!, end: draft.periodEnd! })));
    }
    const a = assembleBill({
      kind: draft.kind!,
      currency: draft.currency!,
      records,
      minimumCharge: incentive.minimumCharge,
      isFirstBillForSelection: false,
      alreadyBilledUsageInPeriod: draft.kind === 'ADJUSTMENT' ? formatRecordAmount(alreadyBilled) : undefined,
      isReseller: s.buyerIsReseller,
      advanceCreditAvailable: pool,
    });
    lines.push(...linesOf(a, s));
    for (const st of a.endUserSubtotals) {
      const cur = subtotals.get(st.endUserId) ?? { label: st.label, amount: new Dec(0) };
      cur.amount = cur.amount.plus(st.amount);
      subtotals.set(st.endUserId, cur);
    }
    destinations.push({ parts: [...sa.destinations.values()], usageAmount: a.usageAmount });
    selectionAmounts.push({ selectionId, usage: a.usageAmount, credit: a.advanceCreditApplied });
    totals.usage.push(a.usageAmount);
    totals.topUp.push(a.minimumTopUp);
    totals.credit.push(a.advanceCreditApplied);
    totals.subtotal.push(a.subtotal);
  }
  const subtotal = sum(totals.subtotal);
  return {
    selectionIds,
    lines,
    endUserSubtotals: [...subtotals].map(([endUserId, v]) => ({ endUserId, label: v.label, amount: formatRecordAmount(v.amount) })),
    usageAmount: formatRecordAmount(sum(totals.usage)),
    minimumTopUp: formatRecordAmount(sum(totals.topUp)),
    setupFee: formatRecordAmount(0),
    advanceCreditApplied: formatRecordAmount(sum(totals.credit)),
    creditableAdvance: formatRecordAmount(0),
    selectionAmounts,
    subtotal: formatRecordAmount(subtotal),
    total: formatTotal(subtotal, draft.currency!),
    recordCount: agg.recordCount,
    destinationSummary: destinationRows(destinations),
    ...(periodRates.length ? { periodRates } : {}),
  };
}
