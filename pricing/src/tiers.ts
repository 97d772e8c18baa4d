import { Dec, type DecValue } from './decimal';
import { badInput } from './app-error';

/** How tiers price a quantity. */
export type TierModel = 'GRADUATED' | 'VOLUME';

/** What pricing reads of an economic incentive: a base rate and tiers "from" a quantity on. */
export interface TieredPrice {
  ratePerUnit: string;
  tiers?: readonly { fromQuantity: string; ratePerUnit: string }[] | null;
  tierModel?: TierModel | null;
}

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

function bands(price: TieredPrice, scale: Dec): Band[] {
  const out: Band[] = [{ tierIndex: 0, fromQuantity: '0', ratePerUnit: price.ratePerUnit, from: new Dec(0) }];
  (price.tiers ?? []).forEach((t, i) =>
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

function check(field: string, v: Dec, positive = false): Dec {
  if (!v.isFinite() || v.isNegative() || (positive && !v.gt(0))) throw badInput(field, `${field} must be ${positive ? '> 0' : '≥ 0'}`);
  return v;
}

/** The tier a total reaches (its lower bound ≤ total): the VOLUME rate for the whole period. */
export function tierReached(price: TieredPrice, total: DecValue, scale: DecValue = 1): { tierIndex: number; fromQuantity: string; ratePerUnit: string } {
  const b = bandAt(bands(price, check('scale', new Dec(scale), true)), check('quantity', new Dec(total)));
  return { tierIndex: b.tierIndex, fromQuantity: b.fromQuantity, ratePerUnit: b.ratePerUnit };
}

/**
 * Splits `quantity` consumed after `cumulativeBefore` (both within one billing period) into the
 * tier bands it falls into. `scale` is how many of the caller's units make one rate unit (60 for
 * seconds against a per-minute rate, 10^9 for bytes against a per-GB rate): tier boundaries are
 * scaled, never the quantities, so running totals stay exact integers.
 *
 * GRADUATED (the default, what carriers mean by volume discounts): each band's rate applies to
 * the part of the quantity inside that band; a quantity crossing a boundary yields two segments.
 *
 * VOLUME: one rate for the whole quantity, the tier where the cumulative total ends. As records
 * arrive this is provisional: the period's tier is decided by the period's total, and the bill
 * re-rates every record of the period at it (volumeCharge); the Moderator ranks with that.
 *
 * A zero quantity yields one zero segment at the band the cumulative total is in.
 */
export function splitAcrossTiers(price: TieredPrice, cumulativeBefore: string, quantity: string, scale: DecValue = 1): TierSegment[] {
  const before = check('cumulativeBefore', new Dec(cumulativeBefore));
  const qty = check('quantity', new Dec(quantity));
  const k = check('scale', new Dec(scale), true);
  const all = bands(price, k);
  const end = before.plus(qty);
  const segment = (b: Band, q: Dec): TierSegment => ({ tierIndex: b.tierIndex, fromQuantity: b.fromQuantity, ratePerUnit: b.ratePerUnit, quantity: q.toFixed() });
  if (qty.isZero()) return [segment(bandAt(all, before), qty)];
  if ((price.tierModel ?? 'GRADUATED') === 'VOLUME') return [segment(bandAt(all, end), qty)];
  const out: TierSegment[] = [];
  all.forEach((b, i) => {
    const upper = i + 1 < all.length ? all[i + 1].from : null;
    const lo = Dec.max(b.from, before);
    const hi = upper === null ? end : Dec.min(upper, end);
    if (hi.gt(lo)) out.push(segment(b, hi.minus(lo)));
  });
  return out;
}

/**
 * The exact (unrounded) usage charge of `quantity` rate units consumed in one period: GRADUATED
 * sums each band's part, VOLUME prices all units at the tier the total reaches. What the Moderator
 * ranks bids by and what a period's bill charges for the same usage.
 */
export function usageCharge(price: TieredPrice, quantity: DecValue): Dec {
  const q = check('quantity', new Dec(quantity));
  let total = new Dec(0);
  for (const s of splitAcrossTiers(price, '0', q.toFixed())) total = total.plus(new Dec(s.quantity).times(s.ratePerUnit));
  return total;
}
