import Decimal from 'decimal.js';

/**
 * Every price, quantity and amount of both subgraphs goes through this clone, so nothing else in
 * the process can change its precision or rounding. 60 significant digits leave head-room far
 * beyond 18 integer + 12 fraction digits, so a quantity times a rate is exact and rounding
 * happens only where a caller says so. The exponent limits keep `toString()` from printing "1e-7".
 */
export const Dec: Decimal.Constructor = Decimal.clone({
  precision: 60,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Dec = Decimal;
export type DecValue = Decimal.Value;
export const ROUND_HALF_UP = Decimal.ROUND_HALF_UP;
