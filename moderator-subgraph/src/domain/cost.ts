import type { EconomicIncentive } from './incentive';
import { AMOUNT_SCALE, Dec, parseDecimal, roundCanonical } from './money';

export interface CostEstimate {
  /** usage + minimumTopUp + setupFee, exactly (each part already rounded). */
  total: string;
  usage: string;
  setupFee: string;
  /** What brings usage up to minimumCharge; "0" when usage already reaches it. */
  minimumTopUp: string;
  /** total / quantity – the all-in price per unit for this request. */
  effectiveRate: string;
}

/** A rate keeps the 12 decimals a ratePerUnit may carry; 6 would print tiny rates as 0. */
export const RATE_SCALE = 12;

/** Exact usage charge for `q` units, before minimum and setup fee. */
export function usageCharge(incentive: EconomicIncentive, q: Dec): Dec {
  const { tiers } = incentive;
  if (incentive.tierModel === 'VOLUME') {
    let rate = new Dec(incentive.ratePerUnit);
    for (const t of tiers) if (q.gte(t.fromQuantity)) rate = new Dec(t.ratePerUnit);
    return q.mul(rate);
  }
  // Graduated: band i runs from its lower bound up to the next tier's fromQuantity.
  let total = new Dec(0);
  let lower = new Dec(0);
  let rate = new Dec(incentive.ratePerUnit);
  for (const t of tiers) {
    const upper = new Dec(t.fromQuantity);
    if (q.lte(lower)) return total;
    total = total.add(Dec.min(q, upper).sub(lower).mul(rate));
    lower = upper;
    rate = new Dec(t.ratePerUnit);
  }
  if (q.gt(lower)) total = total.add(q.sub(lower).mul(rate));
  return total;
}

/**
 * Estimates what the buyer would pay for the requested quantity under one incentive. Voice billing
 * increments are not applied: they round individual calls, and the estimate knows no call durations.
 * Each component is rounded half-up to 6 decimals first and the total is their exact sum, so the parts
 * shown on the board always add up.
 */
export function estimateCost(incentive: EconomicIncentive, quantity: string): CostEstimate {
  const q = parseDecimal('quantity', quantity, { positive: true });
  const usage = new Dec(roundCanonical(usageCharge(incentive, q), AMOUNT_SCALE));
  const minimum = new Dec(roundCanonical(new Dec(incentive.minimumCharge ?? '0'), AMOUNT_SCALE));
  const topUp = Dec.max(minimum.sub(usage), 0);
  const setupFee = new Dec(roundCanonical(new Dec(incentive.setupFee ?? '0'), AMOUNT_SCALE));
  const total = usage.add(topUp).add(setupFee);
  return {
    total: roundCanonical(total),
    usage: roundCanonical(usage),
    setupFee: roundCanonical(setupFee),
    minimumTopUp: roundCanonical(topUp),
    effectiveRate: roundCanonical(total.div(q), RATE_SCALE),
  };
}
