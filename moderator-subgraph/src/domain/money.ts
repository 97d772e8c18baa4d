import Decimal from 'decimal.js';
// The exact decimal and the one decimal parser of both subgraphs (pricing package): a private
// clone nothing else in the process can reconfigure, 60 significant digits.
import { Dec, parseDecimal, type DecimalRules } from '@exchange/pricing';
export { Dec, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, parseDecimal, type DecimalRules } from '@exchange/pricing';

/** Scale of every rounded amount the domain emits (billing records are rated at 6 decimals too). */
export const AMOUNT_SCALE = 6;

/** Fixed-point string rounded half-up; never exponent notation, never "-0". */
export function toFixedString(d: Dec, scale: number): string {
  const s = d.toFixed(scale, Decimal.ROUND_HALF_UP);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Shortest exact plain string (trailing zeros stripped) – the one form stored and compared. */
export function canonical(d: Dec): string {
  if (d.isZero()) return '0';
  return d.toFixed();
}

/** Rounds half-up to `scale` decimals, then strips trailing zeros. */
export function roundCanonical(d: Dec, scale: number = AMOUNT_SCALE): string {
  return canonical(d.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP));
}

/** Re-emits a validated decimal string in canonical form ("1.50" → "1.5", "-0" → "0"). */
export function canonicalString(field: string, value: unknown, opts: DecimalRules = {}): string {
  return canonical(parseDecimal(field, value, opts));
}
