import { badInput } from './errors';
import type { BillingIncrement, NormalizedIncentive, RateTier } from '@exchange/pricing';
import { checkDecimal, Dec, isCurrency } from './money';

export type ServiceType = 'VOICE' | 'DATA';
export const SERVICE_TYPES: readonly ServiceType[] = ['VOICE', 'DATA'];
// The incentive's types are the pricing package's, the same the Moderator validates bids with.
export type { BillingIncrement, DataChargeModel, EconomicIncentive, NormalizedIncentive, RateTier, TierModel } from '@exchange/pricing';

/** 60/60: the customary per-minute voice increment when the carrier named none. */
export const DEFAULT_INCREMENT: Readonly<BillingIncrement> = Object.freeze({ initialSeconds: 60, subsequentSeconds: 60 });
/** Increments above an hour are not a billing increment but a different product. */
export const MAX_INCREMENT_SECONDS = 3600;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decimalField(field: string, v: unknown): string {
  const reason = checkDecimal(v);
  if (reason) throw badInput(field, `${field} ${reason}`);
  return v as string;
}

function incrementSeconds(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_INCREMENT_SECONDS) {
    throw badInput(field, `${field} must be a whole number of seconds between 1 and ${MAX_INCREMENT_SECONDS}`);
  }
  return v;
}

/**
 * Validates an incentive and fills defaults. Tiers must start above 0 and strictly ascend:
 * the base `ratePerUnit` is the band from 0, so a tier "from 0" would make it dead and a
 * repeated boundary would make the band between them empty and the intent ambiguous.
 */
export function normalizeIncentive(raw: unknown, field = 'incentive'): NormalizedIncentive {
  if (!isPlainObject(raw)) throw badInput(field, `${field} must be an object`);
  if (!isCurrency(raw.currency)) {
    throw badInput(`${field}.currency`, `${field}.currency must be a supported ISO 4217 code such as "USD"`);
  }
  const ratePerUnit = decimalField(`${field}.ratePerUnit`, raw.ratePerUnit);

  const tiers: RateTier[] = [];
  if (raw.tiers !== undefined && raw.tiers !== null) {
    if (!Array.isArray(raw.tiers)) throw badInput(`${field}.tiers`, `${field}.tiers must be a list`);
    if (raw.tiers.length > 100) throw badInput(`${field}.tiers`, `${field}.tiers must have at most 100 tiers`);
    let previous = new Dec(0);
    raw.tiers.forEach((t: unknown, i: number) => {
      const f = `${field}.tiers[${i}]`;
      if (!isPlainObject(t)) throw badInput(f, `${f} must be an object`);
      const fromQuantity = decimalField(`${f}.fromQuantity`, t.fromQuantity);
      if (!new Dec(fromQuantity).gt(previous)) {
        throw badInput(`${f}.fromQuantity`, `${f}.fromQuantity must be greater than ${i === 0 ? '0' : 'the previous tier\'s'}`);
      }
      previous = new Dec(fromQuantity);
      tiers.push({ fromQuantity, ratePerUnit: decimalField(`${f}.ratePerUnit`, t.ratePerUnit) });
    });
  }

  const tierModel = raw.tierModel ?? 'GRADUATED';
  if (tierModel !== 'GRADUATED' && tierModel !== 'VOLUME') {
    throw badInput(`${field}.tierModel`, `${field}.tierModel must be GRADUATED or VOLUME`);
  }
  const dataChargeModel = raw.dataChargeModel ?? 'VOLUME_GB';
  if (dataChargeModel !== 'VOLUME_GB' && dataChargeModel !== 'PERCENTILE_95') {
    throw badInput(`${field}.dataChargeModel`, `${field}.dataChargeModel must be VOLUME_GB or PERCENTILE_95`);
  }

  let billingIncrement: BillingIncrement = { ...DEFAULT_INCREMENT };
  if (raw.billingIncrement !== undefined && raw.billingIncrement !== null) {
    const b = raw.billingIncrement;
    if (!isPlainObject(b)) throw badInput(`${field}.billingIncrement`, `${field}.billingIncrement must be an object`);
    billingIncrement = {
      initialSeconds: incrementSeconds(`${field}.billingIncrement.initialSeconds`, b.initialSeconds),
      subsequentSeconds: incrementSeconds(`${field}.billingIncrement.subsequentSeconds`, b.subsequentSeconds),
    };
  }

  const out: NormalizedIncentive = {
    currency: raw.currency,
    ratePerUnit,
    tiers,
    tierModel,
    billingIncrement,
    dataChargeModel,
  };
  if (raw.minimumCharge !== undefined && raw.minimumCharge !== null) {
    out.minimumCharge = decimalField(`${field}.minimumCharge`, raw.minimumCharge);
  }
  if (raw.setupFee !== undefined && raw.setupFee !== null) {
    out.setupFee = decimalField(`${field}.setupFee`, raw.setupFee);
  }
  return out;
}
