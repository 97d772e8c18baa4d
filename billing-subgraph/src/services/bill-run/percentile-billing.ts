import { Dec, formatRecordAmount, percentileBillRecords, ratePercentile, type BillRecordInput, type EconomicIncentive } from '../../domain';
import type { BillDoc, SelectionDoc } from '../../store/models';
import type { SelectionAgg } from './bill-aggregate';
import type { Deps } from '../deps';

/**
 * PERCENTILE_95 data is charged per billing period on the bill: the 95th percentile of all the
 * period's 5-minute samples of the selection, priced per Mbps. An ADJUSTMENT re-computes the
 * percentile over every sample of the period (earlier bills' and the late ones) and charges the
 * increase over what the earlier bills charged (never a negative line).
 */
export async function percentileRecords(deps: Deps, s: SelectionDoc, agg: SelectionAgg, earlier: BillDoc[], alreadyBilled: Dec, period: { start: Date; end: Date }): Promise<BillRecordInput[]> {
  let samples = agg.samples;
  let slotSamples = agg.slotSamples;
  if (earlier.length) {
    samples = [...samples];
    slotSamples = [...slotSamples];
    const cursor = deps.models.BillClaim.find({ billId: { $in: earlier.map((b) => b._id) }, selectionId: s._id }).select({ samplesMbps: 1, slotSamples: 1 }).lean().cursor({ batchSize: 2000 });
    for await (const r of cursor) {
      for (const m of r.samplesMbps ?? []) samples.push(m);
      for (const m of r.slotSamples ?? []) slotSamples.push(m);
    }
  }
  // Samples with time and meter: 5-minute slots over the part of the period the selection covers.
  if (slotSamples.length > 0) {
    const window = { start: new Date(Math.max(period.start.getTime(), s.intervalStart.getTime())), end: new Date(Math.min(period.end.getTime(), s.intervalEnd.getTime())) };
    return percentileBillRecords(s.incentive as EconomicIncentive, slotSamples, window, earlier.length ? alreadyBilled : null);
  }
  // Records rated before samples kept their time (samplesMbps only): the per-sample percentile.
  if (samples.length === 0) return [];
  const r = ratePercentile(s.incentive as EconomicIncentive, samples);
  if (earlier.length === 0) {
    return r.segments.map((seg) => ({ billingRecordId: `p95-${seg.tierIndex}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, description: `95th percentile ${r.p95Mbps} Mbps of ${r.sampleCount} samples (${r.droppedSamples} highest dropped), tier ${seg.tierIndex} at ${seg.ratePerUnit} ${(s.incentive as EconomicIncentive).currency}/Mbps` }));
  }
  const delta = Dec.max(0, new Dec(r.amount).minus(alreadyBilled));
  const last = r.segments[r.segments.length - 1];
  return [{ billingRecordId: 'p95-adjustment', amount: formatRecordAmount(delta), quantity: '0', unit: 'MBPS_P95', tierIndex: last?.tierIndex ?? 0, ratePerUnit: last?.ratePerUnit ?? '0', description: `95th percentile recomputed with late samples: ${r.p95Mbps} Mbps, ${r.amount} for the period, ${alreadyBilled.toFixed(6)} billed before` }];
}
