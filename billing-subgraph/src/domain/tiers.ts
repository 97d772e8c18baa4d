import Decimal from 'decimal.js';
import { badInput } from './errors';
import { Dec } from './money';
import type { EconomicIncentive, TierModel } from './incentive';

export interface TierSegment {
  /** 0 = the base `ratePerUnit`; i ≥ 1 = `tiers[i - 1]`. */
  tierIndex: number;
  /** Lower bound of the band, in the rate's unit, as written in the incentive. */
  fromQuantity: string;
  ratePerUnit: string;
  /** Quantity priced at this rate, in the same unit as the `quantity` argument. */
  quantity: string;
}

interface Band {
  tierIndex: number;
  fromQuantity: string;
  ratePerUnit: string;
  /** Lower bound in the caller's unit (fromQuantity × scale). */
  from: Dec;
}

function bands(incentive: EconomicIncentive, scale: Dec): Band[] {
  const out: Band[] = [{ tierIndex: 0, fromQuantity: '0', ratePerUnit: incentive.ratePerUnit, from: new Dec(0) }];
  (incentive.tiers ?? []).forEach((t, i) =>
    out.push({ tierIndex: i + 1, fromQuantity: t.fromQuantity, ratePerUnit: t.ratePerUnit, from: new Dec(t.fromQuantity).times(scale) }),
  );
  return out;
}

/** The band whose lower bound is the highest one ≤ `at`: a tier applies "from" its quantity on. */
function bandAt(all: Band[], at: Dec): Band {
  let found = all[0];
  for (const b of all) if (b.from.lte(at)) found = b;
  return found;
}

/**
 * Splits `quantity` consumed after `cumulativeBefore` (both for one request within one billing
 * period) into the tier bands it falls into.
 *
 * `scale` is how many of the caller's units make one rate unit (60 when passing seconds
 * against a per-minute rate, 10^9 when passing bytes against a per-GB rate). Rating passes
 * integer base units so running totals stay exact: 61 s is 1.01666… min, which no decimal
 * string can hold, but it is exactly 61 s. Tier boundaries are scaled, never the quantities.
 *
 * GRADUATED (the default, what carriers mean by volume discounts): each band's rate applies
 * to the part of the quantity inside that band, so a record crossing a boundary yields two
 * (or more) segments.
 *
 * VOLUME: one rate for the whole quantity, chosen by where the cumulative total ends
 * (cumulativeBefore + quantity ≥ fromQuantity reaches the tier). Decision: earlier records in
 * the period are NOT repriced when a later record lifts the total into a cheaper tier. Billing
 * records are immutable once stored and a bill is the sum of its records; repricing would need
 * a retroactive credit, which is a commercial feature, not a rating rule. The consequence is
 * that the volume price applies prospectively from the moment the threshold is reached.
 *
 * A zero quantity yields one zero segment at the band the cumulative total is in, so every
 * billing record can name the tier it was rated under.
 */
export function splitAcrossTiers(
  incentive: EconomicIncentive,
  cumulativeBefore: string,
  quantity: string,
  scale: Decimal.Value = 1,
): TierSegment[] {
  const before = new Dec(cumulativeBefore);
  const qty = new Dec(quantity);
  const k = new Dec(scale);
  if (!before.isFinite() || before.isNegative()) throw badInput('cumulativeBefore', 'cumulativeBefore must be ≥ 0');
  if (!qty.isFinite() || qty.isNegative()) throw badInput('quantity', 'quantity must be ≥ 0');
  if (!k.isFinite() || !k.gt(0)) throw badInput('scale', 'scale must be > 0');

  const all = bands(incentive, k);
  const end = before.plus(qty);
  const model: TierModel = incentive.tierModel ?? 'GRADUATED';
  const segment = (b: Band, q: Dec): TierSegment => ({
    tierIndex: b.tierIndex,
    fromQuantity: b.fromQuantity,
    ratePerUnit: b.ratePerUnit,
    quantity: q.toFixed(),
  });

  if (qty.isZero()) return [segment(bandAt(all, before), qty)];
  if (model === 'VOLUME') return [segment(bandAt(all, end), qty)];

  const out: TierSegment[] = [];
  all.forEach((b, i) => {
    const upper = i + 1 < all.length ? all[i + 1].from : null;
    const lo = Dec.max(b.from, before);
    const hi = upper === null ? end : Dec.min(upper, end);
    if (hi.gt(lo)) out.push(segment(b, hi.minus(lo)));
  });
  return out;
}
