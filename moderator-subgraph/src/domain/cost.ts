import { usageCharge as pricedUsage } from '@exchange/pricing';
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

/**
 * Exact usage charge for `q` units, before minimum and setup fee: the pricing package's, the same
 * code the billing computer bills a period's usage with (VOLUME: all units at the tier the total reaches).
 */
export function usageCharge(incentive: EconomicIncentive, q: Dec): Dec {
  return pricedUsage(incentive, q);
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
