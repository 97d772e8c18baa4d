import type { BillRecordInput } from './bill-assembly';
import { badInput } from './errors';
import type { EconomicIncentive } from './incentive';
import { checkDecimal, Dec, formatRecordAmount } from './money';
import { PERCENTILE_DROP_DIVISOR, ratePercentile } from './rating';

/** Burstable transit is measured in 5-minute slots. */
export const SLOT_MS = 300_000;

/**
 * One sample of a PERCENTILE_95 record: when, how much (an exact decimal), and which meter
 * (interface) took it. The stored sub-document has this shape (store/billing-record.model.ts).
 */
export interface SlotSample {
  at: Date;
  mbps: string;
  meter: string;
}

export interface SlotPercentile {
  p95Mbps: string;
  /** 5-minute slots in the billed window. */
  slots: number;
  slotsWithSamples: number;
  /** Slots no meter reported: counted as zero. */
  missingSlots: number;
  /** The highest floor(slots × 5 %) slot totals, not billed. */
  droppedSlots: number;
  meters: number;
  /** Samples of a meter for a slot it had already reported: counted once. */
  duplicateSamples: number;
  /** Samples outside the window (another billing period): not counted here. */
  outsideWindow: number;
}

/**
 * The 95th percentile as burstable transit is billed: every sample is aligned to the 5-minute slot
 * it falls in; a meter's several samples for one slot count once (the highest, whatever the order
 * they arrived in); the pair's meters (interfaces) are summed per slot; every slot of the window
 * counts, a slot nobody reported as zero; the totals are sorted and the top 5 % (floor) dropped;
 * the highest remaining total is billed.
 */
export function percentile95OfSlots(samples: readonly SlotSample[], window: { start: Date; end: Date }): SlotPercentile {
  const first = Math.floor(window.start.getTime() / SLOT_MS);
  const last = Math.ceil(window.end.getTime() / SLOT_MS); // exclusive
  const slots = last - first;
  if (!(slots > 0)) throw badInput('period', 'the billed window holds no 5-minute slot');
  const perMeterSlot = new Map<string, Dec>();
  const meters = new Set<string>();
  let duplicateSamples = 0;
  let outsideWindow = 0;
  samples.forEach((s, i) => {
    const atMs = s.at instanceof Date ? s.at.getTime() : NaN;
    const { mbps, meter } = s;
    if (!Number.isFinite(atMs) || typeof mbps !== 'string' || checkDecimal(mbps) || typeof meter !== 'string') {
      throw badInput(`samples[${i}]`, `sample ${JSON.stringify(s).slice(0, 120)} is not a slot sample (at: a date, mbps: a decimal, meter: a name)`);
    }
    const slot = Math.floor(atMs / SLOT_MS);
    if (slot < first || slot >= last) {
      outsideWindow++;
      return;
    }
    meters.add(meter);
    const key = `${slot}\u0000${meter}`;
    const prev = perMeterSlot.get(key);
    if (prev) {
      duplicateSamples++;
      if (new Dec(mbps).gt(prev)) perMeterSlot.set(key, new Dec(mbps));
    } else perMeterSlot.set(key, new Dec(mbps));
  });
  const totals = new Map<number, Dec>();
  for (const [key, v] of perMeterSlot) {
    const slot = Number(key.slice(0, key.indexOf('\u0000')));
    totals.set(slot, (totals.get(slot) ?? new Dec(0)).plus(v));
  }
  const values = [...totals.values()];
  const missingSlots = slots - values.length;
  const sorted = values.sort((a, b) => b.comparedTo(a)); // descending; missing slots are zeros at the end
  const droppedSlots = Math.floor(slots / PERCENTILE_DROP_DIVISOR);
  const p95 = droppedSlots < sorted.length ? sorted[droppedSlots] : new Dec(0);
  return { p95Mbps: p95.toFixed(), slots, slotsWithSamples: values.length, missingSlots, droppedSlots, meters: meters.size, duplicateSamples, outsideWindow };
}

/** Why a usage record cannot be billed under a PERCENTILE_95 selection, or null. */
export function unsampledPercentile(r: { serviceType?: string; volumeSamples?: unknown[] | null }, sel: { serviceType?: string; incentive?: { dataChargeModel?: string } } | undefined): string | null {
  if (!sel || sel.serviceType !== 'DATA' || sel.incentive?.dataChargeModel !== 'PERCENTILE_95') return null;
  if (Array.isArray(r.volumeSamples) && r.volumeSamples.length > 0) return null;
  return 'volumeSamples are required: the selection bills the 95th percentile of 5-minute samples, and a record without samples cannot be billed';
}

/**
 * The bill records of a PERCENTILE_95 selection for a window: the p95 priced per Mbps under the
 * incentive's tiers, its line saying how it was measured (slots, those without samples counted as
 * zero, dropped, meters summed, duplicates). With `alreadyBilled` (an ADJUSTMENT recomputed with
 * late samples) one line charges the increase over what earlier bills charged, never a negative one.
 */
export function percentileBillRecords(incentive: EconomicIncentive, samples: readonly SlotSample[], window: { start: Date; end: Date }, alreadyBilled: Dec | null): BillRecordInput[] {
  const p = percentile95OfSlots(samples, window);
  const r = ratePercentile(incentive, [p.p95Mbps]);
  const how = `95th percentile ${p.p95Mbps} Mbps of ${p.slots} five-minute slots (${p.missingSlots} without samples counted as zero, ${p.droppedSlots} highest dropped; ${p.meters} meter${p.meters === 1 ? '' : 's'} summed per slot${p.duplicateSamples ? `, ${p.duplicateSamples} duplicate sample${p.duplicateSamples === 1 ? '' : 's'} counted once` : ''})`;
  if (alreadyBilled === null) {
    return r.segments.map((seg) => ({ billingRecordId: `p95-${seg.tierIndex}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, description: `${how}, tier ${seg.tierIndex} at ${seg.ratePerUnit} ${incentive.currency}/Mbps` }));
  }
  const delta = Dec.max(0, new Dec(r.amount).minus(alreadyBilled));
  const last = r.segments[r.segments.length - 1];
  return [{ billingRecordId: 'p95-adjustment', amount: formatRecordAmount(delta), quantity: '0', unit: 'MBPS_P95', tierIndex: last?.tierIndex ?? 0, ratePerUnit: last?.ratePerUnit ?? '0', description: `${how} recomputed with late samples: ${r.amount} for the period, ${alreadyBilled.toFixed(6)} billed before` }];
}
