import { validateCurrency, type BillingIncrement, type DataChargeModel, type EconomicIncentive, type RateTier, type TierModel } from '@exchange/pricing';
import { badInput } from './errors';
import { canonical, Dec, parseDecimal } from './money';
import type { ServiceType, ServiceUnit } from './service-request';

export { isCurrency, minorUnits, validateCurrency } from '@exchange/pricing';

// The incentive's types and the currency table are the pricing package's: billing rates and
// bills with the same ones.
export type { BillingIncrement, DataChargeModel, EconomicIncentive, RateTier, TierModel } from '@exchange/pricing';

export interface EconomicIncentiveInput {
  currency?: unknown;
  ratePerUnit?: unknown;
  tierModel?: unknown;
  tiers?: unknown;
  billingIncrement?: unknown;
  dataChargeModel?: unknown;
  minimumCharge?: unknown;
  setupFee?: unknown;
}

export const MAX_TIERS = 50;
export const DEFAULT_BILLING_INCREMENT: Readonly<BillingIncrement> = Object.freeze({ initialSeconds: 60, subsequentSeconds: 60 });
const DATA_MODEL_FOR_UNIT: Partial<Record<ServiceUnit, DataChargeModel>> = { GB: 'VOLUME_GB', MBPS: 'PERCENTILE_95' };

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function validateSeconds(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3600) {
    throw badInput(field, `${field} must be an integer from 1 to 3600`);
  }
  return v;
}

function validateTiers(v: unknown, field: string): RateTier[] {
  if (!present(v)) return [];
  if (!Array.isArray(v)) throw badInput(field, `${field} must be a list`);
  if (v.length > MAX_TIERS) throw badInput(field, `${field} may have at most ${MAX_TIERS} tiers`);
  let previous = new Dec(0);
  return v.map((raw: unknown, i) => {
    const f = `${field}[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw badInput(f, `${f} must be an object`);
    const t = raw as Record<string, unknown>;
    // The base ratePerUnit covers quantity from 0, so a tier at 0 would silently replace it.
    const from = parseDecimal(`${f}.fromQuantity`, t.fromQuantity, { positive: true });
    if (i > 0 && !from.gt(previous)) {
      throw badInput(`${f}.fromQuantity`, `${f}.fromQuantity must be greater than the previous tier's`);
    }
    previous = from;
    const rate = parseDecimal(`${f}.ratePerUnit`, t.ratePerUnit, {});
    return { fromQuantity: canonical(from), ratePerUnit: canonical(rate) };
  });
}

/**
 * `unit`, when known, makes the DATA charge model default to the one that matches the request
 * (GB → VOLUME_GB, MBPS → PERCENTILE_95) and rejects a bid priced in the other one.
 */
export function validateIncentive(
  input: EconomicIncentiveInput | null | undefined,
  serviceType: ServiceType,
  field = 'input.incentive',
  unit?: ServiceUnit,
): EconomicIncentive {
  if (typeof input !== 'object' || input === null) throw badInput(field, `${field} is required`);
  const currency = validateCurrency(`${field}.currency`, input.currency);
  const ratePerUnit = canonical(parseDecimal(`${field}.ratePerUnit`, input.ratePerUnit, {}));

  let tierModel: TierModel = 'GRADUATED';
  if (present(input.tierModel)) {
    if (input.tierModel !== 'GRADUATED' && input.tierModel !== 'VOLUME') {
      throw badInput(`${field}.tierModel`, `${field}.tierModel must be GRADUATED or VOLUME`);
    }
    tierModel = input.tierModel;
  }
  const tiers = validateTiers(input.tiers, `${field}.tiers`);
  const out: EconomicIncentive & Required<Pick<EconomicIncentive, 'tierModel' | 'tiers'>> = { currency, ratePerUnit, tierModel, tiers };

  if (serviceType === 'VOICE') {
    // Rejected rather than ignored: a carrier sending one expects it to be honoured.
    if (present(input.dataChargeModel)) {
      throw badInput(`${field}.dataChargeModel`, `${field}.dataChargeModel applies to DATA only`);
    }
    if (present(input.billingIncrement)) {
      const bi = input.billingIncrement;
      if (typeof bi !== 'object' || bi === null) throw badInput(`${field}.billingIncrement`, `${field}.billingIncrement must be an object`);
      const b = bi as Record<string, unknown>;
      out.billingIncrement = {
        initialSeconds: validateSeconds(`${field}.billingIncrement.initialSeconds`, b.initialSeconds),
        subsequentSeconds: validateSeconds(`${field}.billingIncrement.subsequentSeconds`, b.subsequentSeconds),
      };
    } else {
      out.billingIncrement = { ...DEFAULT_BILLING_INCREMENT };
    }
  } else {
    if (present(input.billingIncrement)) {
      throw badInput(`${field}.billingIncrement`, `${field}.billingIncrement applies to VOICE only`);
    }
    const expected = unit ? DATA_MODEL_FOR_UNIT[unit] : undefined;
    let model: DataChargeModel = expected ?? 'VOLUME_GB';
    if (present(input.dataChargeModel)) {
      if (input.dataChargeModel !== 'VOLUME_GB' && input.dataChargeModel !== 'PERCENTILE_95') {
        throw badInput(`${field}.dataChargeModel`, `${field}.dataChargeModel must be VOLUME_GB or PERCENTILE_95`);
      }
      model = input.dataChargeModel;
    }
    if (expected && model !== expected) {
      throw badInput(`${field}.dataChargeModel`, `${field}.dataChargeModel must be ${expected} for a request in ${unit}`);
    }
    out.dataChargeModel = model;
  }

  if (present(input.minimumCharge)) {
    out.minimumCharge = canonical(parseDecimal(`${field}.minimumCharge`, input.minimumCharge, {}));
  }
  if (present(input.setupFee)) {
    out.setupFee = canonical(parseDecimal(`${field}.setupFee`, input.setupFee, {}));
  }
  return out;
}
