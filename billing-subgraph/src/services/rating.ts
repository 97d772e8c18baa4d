import { rateUsage, type EconomicIncentive } from '../domain';
import type { BillingRecordDoc, SelectionDoc, SlotDoc, UsageDoc } from '../store/models';
import { toStoredBillingRecord } from '../store/billing-record-format';
import { claimNextSlots } from './slots';
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
export interface RatingOptions {
  /** The ingest batch being rated: each tier slot it claims records the batch and the total it started from. */
  batchId?: string;
  /**
   * Recovery of an interrupted batch (with `batchId`): every RATED usage record of that batch. A
   * group whose tier slot the interrupted run had already claimed is rated again from that slot's
   * starting total (the same records that run computed) rather than advancing the total twice.
   */
  batchUsage?: UsageDoc[];
}

const byStartThenId = (a: UsageDoc, b: UsageDoc) => a.intervalStart.getTime() - b.intervalStart.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

export async function rateUsageDocs(deps: Deps, usages: UsageDoc[], selections: Map<string, SelectionDoc>, opts: RatingOptions = {}): Promise<number> {
  const groups = new Map<string, UsageDoc[]>();
  for (const u of usages) {
    if (!u.selectionId) continue;
    const key = `${u.selectionId}|${periodOf(u.intervalStart)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(u);
  }
  // One slot per (selection, period) group, all inserted in one round trip, then every group's
  // billing records in one insertMany: a batch costs a constant number of round trips however
  // many requests it touches.
  const claims: { key: string; next: (prev: SlotDoc | null) => { slot: { value: string }; extra: BillingRecordDoc[] } }[] = [];
  // Recovery: the slots the interrupted run claimed, by key (a key claimed twice under one batch id,
  // e.g. a feed page re-read, cannot be attributed and takes the general path).
  const claimedBefore = new Map<string, SlotDoc>();
  if (opts.batchId && opts.batchUsage && groups.size) {
    const slots = (await deps.models.Slot.find({ batchId: opts.batchId, key: { $in: [...groups.keys()].map((k) => `tier|${k}`) } }).lean().exec()) as SlotDoc[];
    for (const slot of slots) {
      if (typeof slot.from !== 'string') continue;
      claimedBefore.set(slot.key, claimedBefore.has(slot.key) ? ({ ...slot, from: null } as SlotDoc) : slot);
    }
  }
  const rerated: BillingRecordDoc[] = [];
  for (const [key, group] of groups) {
    const selection = selections.get(group[0].selectionId!);
    if (!selection) continue;
    group.sort(byStartThenId);
    const before = claimedBefore.get(`tier|${key}`);
    if (before && typeof before.from === 'string') {
      const whole = opts.batchUsage!.filter((u) => u.selectionId && `${u.selectionId}|${periodOf(u.intervalStart)}` === key).sort(byStartThenId);
      const wanted = new Set(group.map((u) => u._id));
      rerated.push(...rateGroup(whole, selection, { value: before.from }).extra.filter((r) => wanted.has(r._id)));
      continue;
    }
    claims.push({ key: `tier|${key}`, next: (prev) => rateGroup(group, selection, prev, opts.batchId) });
  }
  const records = [...rerated, ...(await claimNextSlots(deps.models, claims)).flat()];
  await insertIgnoringDuplicates(deps.models.BillingRecord, records.map(toStoredBillingRecord));
  return records.length;
}

/**
 * Rates one group from the previous cumulative total. The cumulative total per (selection, period)
 * advances by claiming the next slot with a unique insert: two concurrent batches can never both
 * rate from the same total.
 */
function rateGroup(group: UsageDoc[], selection: SelectionDoc, prev: { value: string } | null, batchId?: string): { slot: { value: string; batchId?: string; from?: string }; extra: BillingRecordDoc[] } {
  const incentive = selection.incentive as EconomicIncentive;
  const from = prev?.value ?? '0';
  let cumulative = from;
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
  return { slot: batchId ? { value: cumulative, batchId, from } : { value: cumulative }, extra: records };
}
