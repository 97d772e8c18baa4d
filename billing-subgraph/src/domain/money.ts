import Decimal from 'decimal.js';
import { badInput } from './errors';

// The exact decimal of both subgraphs (pricing package): rounding happens only where we say so
// (records: 6 dp, totals: minor unit).
import { Dec } from '@exchange/pricing';
export { Dec };

/** Decimal places of a billing-record amount (the rule from the rating notes). */
export const RECORD_DP = 6;
export const MAX_INTEGER_DIGITS = 18;
export const MAX_FRACTION_DIGITS = 12;

export interface DecimalOptions {
  /** Allow a leading '-' (credits); off by default because inputs are charges and quantities. */
  allowNegative?: boolean;
  /** Require a value > 0 (rates may be zero, payments may not). */
  positive?: boolean;
  maxFractionDigits?: number;
  maxIntegerDigits?: number;
}

// Plain notation only: no exponent, no '+', no leading/trailing dot, no whitespace. Anything a
// float could have produced ("1e-7", "NaN", "Infinity") is refused rather than interpreted.
const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The reason `v` is not an acceptable decimal string, or null when it is. */
export function checkDecimal(v: unknown, opts: DecimalOptions = {}): string | null {
  if (typeof v !== 'string') return 'must be a decimal string such as "12.50"';
  const m = PLAIN_DECIMAL.exec(v);
  if (!m) return `must be a plain decimal string such as "12.50" (got ${JSON.stringify(v.slice(0, 40))})`;
  const [, sign, int, frac = ''] = m;
  const maxInt = opts.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  const maxFrac = opts.maxFractionDigits ?? MAX_FRACTION_DIGITS;
  if (int.replace(/^0+(?=\d)/, '').length > maxInt) return `must have at most ${maxInt} integer digits`;
  if (frac.length > maxFrac) return `must have at most ${maxFrac} decimal places`;
  const d = new Dec(v);
  if (sign === '-' && !opts.allowNegative) return 'must not be negative';
  if (opts.positive && !d.gt(0)) return 'must be greater than zero';
  return null;
}

/** Parses a strict decimal string or throws BAD_USER_INPUT naming `field`. */
export function parseDecimal(field: string, v: unknown, opts: DecimalOptions = {}): Dec {
  const reason = checkDecimal(v, opts);
  if (reason) throw badInput(field, `${field} ${reason}`);
  return new Dec(v as string);
}

/**
 * ISO 4217 minor units. Only listed currencies are accepted: guessing 2 dp for an unknown
 * code would silently mis-round JPY-like or BHD-like currencies.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze({
  // 0 decimals
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // 3 decimals
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // 4 decimals
  CLF: 4, UYW: 4,
  // 2 decimals
  AED: 2, ARS: 2, AUD: 2, BDT: 2, BGN: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2, COP: 2, CZK: 2,
  DKK: 2, DZD: 2, EGP: 2, EUR: 2, GBP: 2, GHS: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2,
  KES: 2, KZT: 2, LKR: 2, MAD: 2, MXN: 2, MYR: 2, NGN: 2, NOK: 2, NZD: 2, PEN: 2, PHP: 2,
  PKR: 2, PLN: 2, QAR: 2, RON: 2, RSD: 2, RUB: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TRY: 2,
  TWD: 2, UAH: 2, USD: 2, ZAR: 2,
});

export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(MINOR_UNITS, code);
}

export function minorUnits(currency: string, field = 'currency'): number {
  if (!isCurrency(currency)) {
    throw badInput(field, `${field} must be a supported ISO 4217 code such as "USD" (got ${JSON.stringify(currency)})`);
  }
  return MINOR_UNITS[currency];
}

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
