import { rateUsage, type EconomicIncentive } from '../domain';
import type { BillingRecordDoc, SelectionDoc, UsageDoc } from '../store/models';
import { claimNextSlot } from './slots';
import { periodOf, type Deps } from './deps';


/** Inserts many documents, ignoring duplicate-key errors (idempotent re-runs); returns the indexes that failed as duplicates. */
export async function insertIgnoringDuplicates(model: { collection: { insertMany(docs: any[], o: any): Promise<unknown> } }, docs: any[]): Promise<Set<number>> {
  const dup = new Set<number>();
  if (docs.length === 0) return dup;
  try {
    await model.collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
    const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as { index: number; code: number }[];
    if (list.length === 0 || list.some((e) => e.code !== 11000)) throw err;
    for (const e of list) dup.add(e.index);
  }
  return dup;
}

/**
 * Rates associated usage records into billing records. Per (selection, billing period) the
 * cumulative billable quantity lives in one counter document, advanced with a conditional
 * update (compare-and-set on its previous value): two concurrent batches for the same request
 * can never both rate from the same cumulative total, so tier boundaries are never crossed twice.
 * Billing record ids equal usage ids, so a record is charged at most once even if rated twice.
 * Usage status is NOT updated here (per-document updates cost one write each on FerretDB):
 * callers store usage as RATED up front and guard the gap with a rating batch (see usage.ts).
 */
export async function rateUsageDocs(deps: Deps, usages: UsageDoc[], selections: Map<string, SelectionDoc>): Promise<number> {
  const groups = new Map<string, UsageDoc[]>();
  for (const u of usages) {
    if (!u.selectionId) continue;
    const key = `${u.selectionId}|${periodOf(u.intervalStart)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(u);
  }
  let rated = 0;
  for (const [key, group] of groups) {
    const selection = selections.get(group[0].selectionId!);
    if (!selection) continue;
    group.sort((a, b) => a.intervalStart.getTime() - b.intervalStart.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    const records = await rateGroup(deps, key, group, selection);
    await insertIgnoringDuplicates(deps.models.BillingRecord, records);
    rated += records.length;
  }
  return rated;
}

async function rateGroup(deps: Deps, counterId: string, group: UsageDoc[], selection: SelectionDoc): Promise<BillingRecordDoc[]> {
  const incentive = selection.incentive as EconomicIncentive;
  // The cumulative total per (selection, period) advances by claiming the next slot with a
  // unique insert: two concurrent batches can never both rate from the same total.
  const { extra } = await claimNextSlot(deps.models, `tier|${counterId}`, (prev) => {
    let cumulative = prev?.value ?? '0';
    const now = new Date();
    const records: BillingRecordDoc[] = group.map((u) => {
      const r = rateUsage({ incentive, serviceType: u.serviceType, usage: { quantity: u.quantity }, cumulativeBefore: cumulative });
      const doc: BillingRecordDoc = {
        _id: u._id,
        requestId: selection.requestId,
        selectionId: selection._id,
        buyerId: u.buyerId,
        carrierId: u.carrierId,
        period: periodOf(u.intervalStart),
        intervalStart: u.intervalStart,
        serviceType: u.serviceType,
        unit: r.appliedIncentive.unit,
        billableQuantity: r.billableQuantity,
        billableBaseQuantity: r.billableBaseQuantity,
        cumulativeBefore: cumulative,
        segments: r.segments,
        amount: r.amount,
        currency: r.appliedIncentive.currency,
        ratedAt: now,
      };
      // Fields are kept to what billing needs (document size dominates insert cost on FerretDB);
      // tier indexes and rates are derived from the segments when read.
      if (u.endUserId !== undefined) doc.endUserId = u.endUserId;
      if (r.periodLevel) doc.samplesMbps = (u.volumeSamples ?? []).map((x) => x.mbps);
      cumulative = r.cumulativeAfter;
      return doc;
    });
    return { slot: { value: cumulative }, extra: records };
  });
  return extra;
}
