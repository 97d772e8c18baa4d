import Decimal from 'decimal.js';
// The exact decimal, decimal parser and ISO 4217 table of both subgraphs (pricing package):
// rounding happens only where we say so (records: 6 dp, totals: minor unit).
import { Dec, MAX_FRACTION_DIGITS, minorUnits } from '@exchange/pricing';
export { Dec, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, checkDecimal, isCurrency, minorUnits, parseDecimal, type DecimalRules } from '@exchange/pricing';

/** Decimal places of a billing-record amount (the rule from the rating notes). */
export const RECORD_DP = 6;
/** Half-up (away from zero on a tie, so credits mirror charges) at 6 dp: one billing record. */
export function roundRecord(d: Decimal.Value): Dec {
  return new Dec(d).toDecimalPlaces(RECORD_DP, Decimal.ROUND_HALF_UP);
}

/** Half-up at the currency's minor unit: only bill totals and payments are rounded this far. */
export function roundTotal(d: Decimal.Value, currency: string): Dec {
  return new Dec(d).toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP);
}

// "-0.00" would be a distinct string for the same money; always print zero unsigned.
function fixed(d: Dec, dp: number): string {
  return (d.isZero() ? new Dec(0) : d).toFixed(dp);
}

/** Canonical record amount: rounded and always 6 places ("0.012346", "1.500000"). */
export function formatRecordAmount(d: Decimal.Value): string {
  return fixed(roundRecord(d), RECORD_DP);
}

/** Canonical total: rounded and fixed to the minor unit ("12.30" USD, "1235" JPY, "1.235" BHD). */
export function formatTotal(d: Decimal.Value, currency: string): string {
  return fixed(roundTotal(d, currency), minorUnits(currency));
}

/**
 * Canonical quantity: at most `maxDp` places, no trailing zeros. Used for display quantities
 * such as billable minutes (61 s = 1.016666666667 min), never as an input to a charge.
 */
export function formatQuantity(d: Decimal.Value, maxDp = MAX_FRACTION_DIGITS): string {
  const r = new Dec(d).toDecimalPlaces(maxDp, Decimal.ROUND_HALF_UP);
  return r.isZero() ? '0' : r.toFixed();
}

export function sum(values: Iterable<Decimal.Value>): Dec {
  let acc = new Dec(0);
  for (const v of values) acc = acc.plus(v);
  return acc;
}
