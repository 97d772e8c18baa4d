import { Dec, destinationOf, volumePeriodRecords, type BillRecordInput, type DestinationPart, type EconomicIncentive, type PeriodUsage, type SlotSample } from '../../domain';
import type { ClaimableRecord } from '../../store/bill-claims';

/** Per-line totals of one selection on a bill (one entry per end user / unit / tier / rate). */
export interface SelectionAgg {
  lines: Map<string, { endUserId: string | null; unit: string; tierIndex: number; ratePerUnit: string; amount: Dec; quantity: Dec; base: Dec }>;
  count: number;
  samples: string[];
  /** PERCENTILE_95 samples with time and meter (domain/percentile.ts). */
  slotSamples: SlotSample[];
  /** Per destination country of the called number (domain/destination.ts): calls, minutes, base quantity, rated amount. */
  destinations: Map<string, DestinationPart>;
}

export interface DraftAgg {
  perSelection: Map<string, SelectionAgg>;
  recordCount: number;
}

export const newSelectionAgg = (): SelectionAgg => ({ lines: new Map(), count: 0, samples: [], slotSamples: [], destinations: new Map() });
export const newAgg = (): DraftAgg => ({ perSelection: new Map(), recordCount: 0 });

export function addRecord(agg: DraftAgg, r: ClaimableRecord): void {
  agg.recordCount++;
  let sa = agg.perSelection.get(r.selectionId);
  if (!sa) agg.perSelection.set(r.selectionId, (sa = newSelectionAgg()));
  sa.count++;
  if (r.samplesMbps) for (const m of r.samplesMbps) sa.samples.push(m);
  if (r.slotSamples) for (const m of r.slotSamples) sa.slotSamples.push(m);
  const destination = destinationOf(r.destination);
  let dest = sa.destinations.get(destination.key);
  if (!dest) sa.destinations.set(destination.key, (dest = { destination, calls: 0, minutes: new Dec(0), base: new Dec(0), rated: new Dec(0) }));
  // Calls net of corrections (issue 21): a reversal of a superseded call (negative quantity) takes
  // its call back, an accepted dispute's correction (quantity 0) is no call; a replaced call then
  // reads as 0 calls and the difference in minutes, not as 2 calls.
  const quantity = r.segments.reduce((a, seg) => a.plus(seg.quantity), new Dec(0));
  dest.calls += quantity.isNegative() ? -1 : r._id.startsWith('dispute|') ? 0 : 1;
  for (const seg of r.segments) {
    if (r.unit === 'MINUTE') dest.minutes = dest.minutes.plus(seg.quantity);
    dest.base = dest.base.plus(seg.baseQuantity);
    dest.rated = dest.rated.plus(seg.amount);
    const key = `${r.endUserId === undefined || r.endUserId === null ? '\u0001' : `=${r.endUserId}`}\u0000${r.unit}\u0000${seg.tierIndex}\u0000${seg.ratePerUnit}`;
    const cur = sa.lines.get(key);
    if (cur) {
      cur.amount = cur.amount.plus(seg.amount);
      cur.quantity = cur.quantity.plus(seg.quantity);
      cur.base = cur.base.plus(seg.baseQuantity);
    } else {
      sa.lines.set(key, { endUserId: r.endUserId ?? null, unit: r.unit, tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, amount: new Dec(seg.amount), quantity: new Dec(seg.quantity), base: new Dec(seg.baseQuantity) });
    }
  }
}

export function recordInputs(sa: SelectionAgg): BillRecordInput[] {
  return [...sa.lines.values()].map((l) => ({
    billingRecordId: JSON.stringify([l.endUserId, l.unit, l.tierIndex, l.ratePerUnit]),
    endUserId: l.endUserId,
    amount: l.amount.toFixed(),
    quantity: l.quantity.toFixed(),
    unit: l.unit,
    tierIndex: l.tierIndex,
    ratePerUnit: l.ratePerUnit,
  }));
}

/** VOLUME: the period's records re-rated at the tier the period's total reached (domain/volume-period.ts). */
export function volumeRerated(incentive: EconomicIncentive, sa: SelectionAgg): BillRecordInput[] | null {
  const perLine = new Map<string, PeriodUsage>();
  for (const l of sa.lines.values()) {
    const key = JSON.stringify([l.endUserId, l.unit]);
    const cur = perLine.get(key);
    if (cur) cur.baseQuantity = new Dec(cur.baseQuantity).plus(l.base).toFixed();
    else perLine.set(key, { endUserId: l.endUserId, unit: l.unit, baseQuantity: l.base.toFixed() });
  }
  return volumePeriodRecords(incentive, [...perLine.values()]);
}
