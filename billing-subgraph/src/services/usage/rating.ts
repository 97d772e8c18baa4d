import { isDuplicateKey, duplicateIndexes, insertIgnoringDuplicates } from '@exchange/platform';
import { Dec, periodContainingAt, rateUsage, type BillingProfile, type EconomicIncentive } from '../../domain';
import type { BillingModels, BillingRecordDoc, SelectionDoc, SlotDoc, UsageDoc } from '../../store/models';
import { toStoredBillingRecord } from '../../store/billing-record-format';
import { claimNextSlots } from '../../store/slots';
import { profilesOf } from '../../store/profiles';
import { periodOf, type Deps } from '../deps';


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

/**
 * The billing period label of each usage record: its buyer's period (profile zone and cycle day)
 * containing intervalStart. The batch's buyers' profiles are read once (one $in query); buyers
 * without a profile keep UTC calendar months without any date arithmetic.
 */
async function periodsFor(deps: Deps, usages: UsageDoc[]): Promise<(u: UsageDoc) => string> {
  const buyers = [...new Set(usages.map((u) => u.buyerId))];
  const stored = await profilesOf(deps.models.BillingProfile, buyers.map((id) => ({ id, role: 'BUYER' as const })));
  const zoned = new Map<string, BillingProfile>();
  for (const [id, p] of stored) if (p.role === 'BUYER' && (p.timeZone !== 'UTC' || p.cycleDay !== 1 || p.previousRules?.length)) zoned.set(id, p);
  if (zoned.size === 0) return (u) => periodOf(u.intervalStart);
  // A batch's records mostly share a period: the last one found per buyer answers without Intl.
  const last = new Map<string, { start: number; end: number; label: string }>();
  return (u) => {
    const p = zoned.get(u.buyerId);
    if (!p) return periodOf(u.intervalStart);
    const t = u.intervalStart.getTime();
    const hit = last.get(u.buyerId);
    if (hit && t >= hit.start && t < hit.end) return hit.label;
    const found = periodContainingAt(p, u.intervalStart);
    last.set(u.buyerId, { start: found.start.getTime(), end: found.end.getTime(), label: found.label });
    return found.label;
  };
}

export async function rateUsageDocs(deps: Deps, usages: UsageDoc[], selections: Map<string, SelectionDoc>, opts: RatingOptions = {}): Promise<number> {
  const groups = new Map<string, UsageDoc[]>();
  const billable = usages.filter((u) => u.selectionId);
  if (billable.length === 0) return 0;
  const periodOfUsage = await periodsFor(deps, opts.batchUsage ? [...billable, ...opts.batchUsage] : billable);
  for (const u of billable) {
    const key = `${u.selectionId}|${periodOfUsage(u)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(u);
  }
  // One slot per (selection, period) group, all inserted in one round trip, then every group's
  // billing records in one insertMany: a batch costs a constant number of round trips however
  // many requests it touches.
  const claims: { key: string; next: (prev: SlotDoc | null) => { slot: { value: string }; extra: BillingRecordDoc[] } }[] = [];
  // The seq each key's claim ends on (the last call of `next` is the one inserted).
  const claimedSeq = new Map<string, { seq: number; unit?: string; currency?: string }>();
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
      const whole = opts.batchUsage!.filter((u) => u.selectionId && `${u.selectionId}|${periodOfUsage(u)}` === key).sort(byStartThenId);
      const wanted = new Set(group.map((u) => u._id));
      rerated.push(...rateGroup(whole, selection, { value: before.from }, periodOfUsage).extra.filter((r) => wanted.has(r._id)));
      continue;
    }
    claims.push({
      key: `tier|${key}`,
      next: (prev) => {
        const rated = rateGroup(group, selection, prev, periodOfUsage, opts.batchId);
        claimedSeq.set(`tier|${key}`, { seq: (prev?.seq ?? 0) + 1, unit: rated.extra[0]?.unit, currency: rated.extra[0]?.currency });
        return rated;
      },
    });
  }
  await ensureTotals(deps.models, claims.map((c) => c.key), selections);
  const records = [...rerated, ...(await claimNextSlots(deps.models, claims)).flat()];
  await advanceTotals(deps.models, claimedSeq);
  await insertIgnoringDuplicates(deps.models.BillingRecord, records.map(toStoredBillingRecord));
  return records.length;
}

/** The meter (interface) that took a record's samples: its reporter, source and equipment. */
const meterOf = (u: UsageDoc) => `${u.reportedBy}/${u.source}/${u.equipmentId ?? ''}`;

/**
 * Rates one group from the previous cumulative total. The cumulative total per (selection, period)
 * advances by claiming the next slot with a unique insert: two concurrent batches can never both
 * rate from the same total.
 */
function rateGroup(group: UsageDoc[], selection: SelectionDoc, prev: Pick<SlotDoc, 'value' | 'records' | 'quantity' | 'amount'> | null, periodOfUsage: (u: UsageDoc) => string, batchId?: string): { slot: { value: string; batchId?: string; from?: string }; extra: BillingRecordDoc[] } {
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
      period: periodOfUsage(u),
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
    if (u.destination) doc.destination = u.destination;
    // Each sample keeps its time and meter: the bill aligns them to 5-minute slots and sums the meters (domain/percentile.ts).
    if (r.periodLevel) doc.slotSamples = (u.volumeSamples ?? []).map((x) => ({ at: new Date(x.at), mbps: x.mbps, meter: meterOf(u) }));
    cumulative = r.cumulativeAfter;
    return doc;
  });
  // Running totals continue the previous slot's; a chain started before totals were kept has none.
  const totals =
    prev && prev.records == null
      ? {}
      : {
          records: (prev?.records ?? 0) + records.length,
          quantity: records.reduce((q, r) => q.plus(r.billableQuantity), new Dec(prev?.quantity ?? '0')).toFixed(),
          amount: records.reduce((a, r) => a.plus(r.amount), new Dec(prev?.amount ?? '0')).toFixed(),
        };
  return { slot: { value: cumulative, ...(batchId ? { batchId, from } : {}), ...totals }, extra: records };
}

/** Keys whose totals document this process has seen exist (it is created once per key). */
const knownTotals = new WeakMap<BillingModels, Set<string>>();

/** Creates the totals document of each new key before its first slot, so readers can find it by request. */
async function ensureTotals(models: BillingModels, keys: string[], selections: Map<string, SelectionDoc>): Promise<void> {
  let known = knownTotals.get(models);
  if (!known) knownTotals.set(models, (known = new Set()));
  const missing = keys.filter((k) => !known!.has(k));
  if (missing.length === 0) return;
  const ops = missing.map((key) => {
    const [, selectionId, period] = key.split('|');
    const sel = selections.get(selectionId)!;
    const incentive = sel.incentive as EconomicIncentive & { unit?: string };
    return {
      updateOne: {
        filter: { _id: key },
        update: {
          $setOnInsert: {
            requestId: sel.requestId,
            selectionId,
            buyerId: sel.buyerId,
            carrierId: sel.carrierId,
            period,
            serviceType: sel.serviceType,
            unit: sel.unit,
            currency: incentive.currency,
          },
          $max: { seq: 0 },
        },
        upsert: true,
      },
    };
  });
  await models.UsageTotals.bulkWrite(ops as any[], { ordered: false }).catch((err: unknown) => {
    // Two processes creating the same key at once: the other's document is as good.
    if (!isDuplicateKey(err) && !duplicateIndexes(err)) throw err;
  });
  for (const k of missing) {
    if (known.size > 100_000) known.clear();
    known.add(k);
  }
}

/** Records the slots just claimed (best effort: a reader also finds later slots by _id). */
async function advanceTotals(models: BillingModels, seqs: Map<string, { seq: number; unit?: string; currency?: string }>): Promise<void> {
  if (seqs.size === 0) return;
  await models.UsageTotals.bulkWrite(
    [...seqs].map(([key, { seq, unit, currency }]) => ({
      // The rated unit and currency (as the billing records carry them) replace the selection's.
      updateOne: { filter: { _id: key }, update: { $max: { seq }, ...(unit && currency ? { $set: { unit, currency } } : {}) } },
    })),
    { ordered: false },
  );
}
