import type { BillRecordInput } from './bill-assembly';
import type { EconomicIncentive } from './incentive';
import { Dec, formatQuantity, formatRecordAmount } from './money';
import { BYTES_PER_GB, SECONDS_PER_MINUTE } from './rating';
import { tierReached } from './tiers';

/** A selection's usage of the period on one bill line: end user and unit, in exact base units. */
export interface PeriodUsage {
  endUserId: string | null;
  unit: string;
  /** Billable seconds (MINUTE) or bytes (GB): what the records were rated from. */
  baseQuantity: string;
}

/** Base units per rate unit, for the units rated record by record. */
function scaleOf(unit: string): Dec | null {
  if (unit === 'MINUTE') return new Dec(SECONDS_PER_MINUTE);
  if (unit === 'GB') return new Dec(BYTES_PER_GB);
  return null;
}

/**
 * VOLUME tiers at period close. Records are rated as they arrive at the tier their running total
 * had reached, which is provisional: under VOLUME the period's total decides one rate for every
 * unit of the period (what the Moderator ranked the bid by, pricing's usageCharge). So a period's
 * bill re-rates all the selection's records of the period at the tier the total reached, each line
 * priced exactly from base units and rounded once (6 dp), and says which tier was reached and by
 * what total. Null when the incentive is not VOLUME or the usage is not in one rated unit.
 */
export function volumePeriodRecords(incentive: EconomicIncentive, usage: PeriodUsage[]): BillRecordInput[] | null {
  if (incentive.tierModel !== 'VOLUME' || usage.length === 0) return null;
  const unit = usage[0].unit;
  const scale = scaleOf(unit);
  if (!scale || usage.some((u) => u.unit !== unit)) return null;
  const total = usage.reduce((acc, u) => acc.plus(u.baseQuantity), new Dec(0));
  const reached = tierReached(incentive, total, scale);
  const totalShown = formatQuantity(total.div(scale));
  const tier = reached.tierIndex === 0 ? 'the base rate' : `tier ${reached.tierIndex} (from ${reached.fromQuantity} ${unit})`;
  return usage.map((u) => {
    const base = new Dec(u.baseQuantity);
    const quantity = formatQuantity(base.div(scale));
    return {
      billingRecordId: JSON.stringify([u.endUserId, unit, 'VOLUME']),
      endUserId: u.endUserId,
      amount: formatRecordAmount(base.times(reached.ratePerUnit).div(scale)),
      quantity,
      unit,
      tierIndex: reached.tierIndex,
      ratePerUnit: reached.ratePerUnit,
      description: `${u.endUserId ? `End user ${u.endUserId} — ` : ''}Usage: ${quantity} ${unit} at ${reached.ratePerUnit} ${incentive.currency}/${unit}, VOLUME ${tier} reached by the period's total of ${totalShown} ${unit} (all units re-rated at period close)`,
    };
  });
}
