import Decimal from 'decimal.js';
import { badInput } from './errors';

// The exact decimal of both subgraphs (pricing package): a private clone nothing else in the
// process can reconfigure, 60 significant digits.
import { Dec } from '@exchange/pricing';
export { Dec };

export const MAX_INTEGER_DIGITS = 18;
export const MAX_FRACTION_DIGITS = 12;
/** Scale of every rounded amount the domain emits (billing records are rated at 6 decimals too). */
export const AMOUNT_SCALE = 6;

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

export interface ParseDecimalOptions {
  positive?: boolean;
  nonNegative?: boolean;
  /** Fraction digits allowed; never more than MAX_FRACTION_DIGITS. */
  maxScale?: number;
}

/**
 * Accepts only plain decimal strings: numbers are refused because a JS float has already lost
 * exactness by the time it reaches us, and exponents/NaN/Infinity have no business in a price.
 */
export function parseDecimal(field: string, value: unknown, opts: ParseDecimalOptions = {}): Dec {
  if (typeof value !== 'string') throw badInput(field, `${field} must be a decimal string`);
  if (!PLAIN_DECIMAL.test(value)) {
    throw badInput(field, `${field} must be a plain decimal such as "12.5" (no exponent, sign only '-')`);
  }
  const unsigned = value.startsWith('-') ? value.slice(1) : value;
  const dot = unsigned.indexOf('.');
  const intPart = dot === -1 ? unsigned : unsigned.slice(0, dot);
  const fracPart = dot === -1 ? '' : unsigned.slice(dot + 1);
  if (intPart.length > MAX_INTEGER_DIGITS) {
    throw badInput(field, `${field} has more than ${MAX_INTEGER_DIGITS} integer digits`);
  }
  const maxScale = Math.min(opts.maxScale ?? MAX_FRACTION_DIGITS, MAX_FRACTION_DIGITS);
  if (fracPart.length > maxScale) {
    throw badInput(field, `${field} has more than ${maxScale} fraction digits`);
  }
  const d = new Dec(value);
  if (opts.positive && !d.gt(0)) throw badInput(field, `${field} must be greater than 0`);
  // lt(0) rather than isNegative(): "-0" is a legitimate way to write zero.
  if (opts.nonNegative && d.lt(0)) throw badInput(field, `${field} must not be negative`);
  return d;
}

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
export function canonicalString(field: string, value: unknown, opts: ParseDecimalOptions = {}): string {
  return canonical(parseDecimal(field, value, opts));
}
