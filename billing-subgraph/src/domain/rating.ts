import { badInput } from './errors';
import { billableSeconds, VOICE_SECONDS } from './increments';
import { normalizeIncentive, type BillingIncrement, type DataChargeModel, type EconomicIncentive, type ServiceType, type TierModel } from './incentive';
import { checkDecimal, Dec, formatQuantity, formatRecordAmount, sum } from './money';
import { splitAcrossTiers, type TierSegment } from './tiers';

export type RatedUnit = 'MINUTE' | 'GB' | 'MBPS_P95';

export const SECONDS_PER_MINUTE = 60;
/**
 * Decision: 1 GB = 10^9 bytes (SI). Transit and carrier contracts quote decimal gigabytes, and
 * a power of ten keeps bytes → GB an exact decimal division (at most 9 decimal places); the
 * binary GiB (2^30) would turn every volume into a long fraction.
 */
export const BYTES_PER_GB = '1000000000';
/** Share of 5-minute samples discarded from the top before taking the maximum. */
export const PERCENTILE_DROP_DIVISOR = 20;

export interface RatedSegment {
  tierIndex: number;
  fromQuantity: string;
  ratePerUnit: string;
  /** In the rate unit (minutes, GB, Mbps); display value, at most 12 dp. */
  quantity: string;
  /** In base units (billable seconds, bytes, Mbps): exact, what the amount was computed from. */
  baseQuantity: string;
  /** Rounded half-up at 6 dp. */
  amount: string;
}

export interface AppliedIncentive {
  currency: string;
  unit: RatedUnit;
  tierModel: TierModel;
  tierIndexes: number[];
  ratesPerUnit: string[];
  increment?: BillingIncrement;
  dataChargeModel?: DataChargeModel;
}

export interface RatedUsage {
  serviceType: ServiceType;
  unit: RatedUnit;
  /** Billable seconds (after increments) or bytes: integers, what cumulative totals add up. */
  billableBaseQuantity: string;
  /** Billable minutes (seconds / 60) or GB (bytes / 10^9), at most 12 dp, for display. */
  billableQuantity: string;
  segments: RatedSegment[];
  /** Sum of the segment amounts; 6 dp. */
  amount: string;
  /** cumulativeBefore + billableBaseQuantity: the next record's cumulativeBefore. */
  cumulativeAfter: string;
  /** True for PERCENTILE_95 data: the record carries no charge, the period is rated at close. */
  periodLevel: boolean;
  appliedIncentive: AppliedIncentive;
}

export interface RateUsageInput {
  incentive: EconomicIncentive;
  serviceType: ServiceType;
  usage: {
    /** Seconds (VOICE: up to 3 decimals, rounded by the increments) or bytes (DATA): a non-negative decimal / integer string. */
    quantity: string;
    /** Accepted for symmetry with usage records; 95th-percentile billing is period-level. */
    volumeSamples?: unknown;
  };
  /**
   * Billable quantity already rated for the same request in the same billing period, in BASE
   * units (billable seconds for VOICE, bytes for DATA) — i.e. the previous `cumulativeAfter`.
   * Base units keep the running total exact; minutes would not be (see tiers.ts).
   */
  cumulativeBefore?: string;
}

const INTEGER = /^\d{1,18}$/;

function priceSegments(segments: TierSegment[], scale: Dec): RatedSegment[] {
  return segments.map((s) => {
    const base = new Dec(s.quantity);
    return {
      tierIndex: s.tierIndex,
      fromQuantity: s.fromQuantity,
      ratePerUnit: s.ratePerUnit,
      quantity: formatQuantity(base.div(scale)),
      baseQuantity: s.quantity,
      // Multiply before dividing: 20 s × 0.0000015/min must come out as exactly 0.0000005
      // (and round up), which (20/60) × 0.0000015 with a truncated third would not.
      amount: formatRecordAmount(base.times(s.ratePerUnit).div(scale)),
    };
  });
}

/**
 * Rates one usage record with the winning incentive. A record crossing a tier boundary is
 * priced as one segment per tier, each rounded half-up at 6 dp, and the record's amount is
 * their sum, so the parts always add up to the whole and a bill can list them per tier.
 * VOICE billing increments apply per record, so a usage record should be one call.
 */
export function rateUsage(input: RateUsageInput): RatedUsage {
  const incentive = normalizeIncentive(input.incentive);
  const { serviceType } = input;
  if (serviceType !== 'VOICE' && serviceType !== 'DATA') throw badInput('serviceType', 'serviceType must be VOICE or DATA');
  const q = input.usage?.quantity;
  if (typeof q !== 'string' || !(serviceType === 'VOICE' ? VOICE_SECONDS : INTEGER).test(q)) {
    throw badInput('quantity', serviceType === 'VOICE' ? 'quantity must be a non-negative string of seconds with at most 3 decimals' : 'quantity must be a non-negative integer string of bytes');
  }
  const before = input.cumulativeBefore ?? '0';
  if (typeof before !== 'string' || !INTEGER.test(before)) {
    throw badInput('cumulativeBefore', 'cumulativeBefore must be a non-negative integer string in base units');
  }

  let base: Dec;
  let scale: Dec;
  let unit: RatedUnit;
  const applied: Partial<AppliedIncentive> = {};
  if (serviceType === 'VOICE') {
    // The exact duration (65.432 s) becomes whole billable seconds here, by the increments only.
    base = new Dec(billableSeconds(q, incentive.billingIncrement));
    scale = new Dec(SECONDS_PER_MINUTE);
    unit = 'MINUTE';
    applied.increment = { ...incentive.billingIncrement };
  } else {
    base = new Dec(q);
    scale = new Dec(BYTES_PER_GB);
    unit = 'GB';
    applied.dataChargeModel = incentive.dataChargeModel;
  }
  const cumulativeAfter = base.plus(before).toFixed();

  if (serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95') {
    return {
      serviceType,
      unit: 'GB',
      billableBaseQuantity: base.toFixed(),
      billableQuantity: formatQuantity(base.div(scale)),
      segments: [],
      amount: formatRecordAmount(0),
      cumulativeAfter,
      periodLevel: true,
      appliedIncentive: {
        currency: incentive.currency,
        unit: 'MBPS_P95',
        tierModel: incentive.tierModel,
        tierIndexes: [],
        ratesPerUnit: [],
        dataChargeModel: 'PERCENTILE_95',
      },
    };
  }

  const segments = priceSegments(splitAcrossTiers(incentive, before, base.toFixed(), scale), scale);
  return {
    serviceType,
    unit,
    billableBaseQuantity: base.toFixed(),
    billableQuantity: formatQuantity(base.div(scale)),
    segments,
    amount: formatRecordAmount(sum(segments.map((s) => s.amount))),
    cumulativeAfter,
    periodLevel: false,
    appliedIncentive: {
      currency: incentive.currency,
      unit,
      tierModel: incentive.tierModel,
      tierIndexes: segments.map((s) => s.tierIndex),
      ratesPerUnit: segments.map((s) => s.ratePerUnit),
      ...applied,
    },
  };
}

/**
 * Burstable-transit 95th percentile: sort ascending, drop the top floor(n × 5 %) samples, bill
 * the highest remaining one. With 288 five-minute samples (one day) 14 are dropped and the
 * 274th smallest is billed; with fewer than 20 samples nothing is dropped (the maximum).
 */
export function percentile95(samplesMbps: string[]): string {
  if (!Array.isArray(samplesMbps) || samplesMbps.length === 0) {
    throw badInput('volumeSamples', 'volumeSamples must contain at least one sample');
  }
  const values = samplesMbps.map((s, i) => {
    const reason = checkDecimal(s);
    if (reason) throw badInput(`volumeSamples[${i}].mbps`, `volumeSamples[${i}].mbps ${reason}`);
    return new Dec(s);
  });
  values.sort((a, b) => a.comparedTo(b));
  const dropped = Math.floor(values.length / PERCENTILE_DROP_DIVISOR);
  return values[values.length - 1 - dropped].toFixed();
}

export interface RatedPercentile {
  unit: 'MBPS_P95';
  p95Mbps: string;
  sampleCount: number;
  droppedSamples: number;
  segments: RatedSegment[];
  amount: string;
  appliedIncentive: AppliedIncentive;
}

/**
 * Period-level charge for PERCENTILE_95 data: the p95 (Mbps) is priced per Mbps for the
 * billing period; tiers apply to the Mbps value from 0 under the incentive's tier model.
 */
export function ratePercentile(incentiveRaw: EconomicIncentive, samplesMbps: string[]): RatedPercentile {
  const incentive = normalizeIncentive(incentiveRaw);
  const p95 = percentile95(samplesMbps);
  const one = new Dec(1);
  const segments = priceSegments(splitAcrossTiers(incentive, '0', p95, one), one);
  return {
    unit: 'MBPS_P95',
    p95Mbps: p95,
    sampleCount: samplesMbps.length,
    droppedSamples: Math.floor(samplesMbps.length / PERCENTILE_DROP_DIVISOR),
    segments,
    amount: formatRecordAmount(sum(segments.map((s) => s.amount))),
    appliedIncentive: {
      currency: incentive.currency,
      unit: 'MBPS_P95',
      tierModel: incentive.tierModel,
      tierIndexes: segments.map((s) => s.tierIndex),
      ratesPerUnit: segments.map((s) => s.ratePerUnit),
      dataChargeModel: 'PERCENTILE_95',
    },
  };
}
