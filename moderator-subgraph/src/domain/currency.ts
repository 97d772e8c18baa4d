import { badInput } from './errors';

/**
 * ISO 4217 minor units for the currencies the exchange settles in. Bill totals are rounded to these,
 * so an unknown code is refused rather than guessed at.
 */
export const CURRENCY_MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2,
  HUF: 2, RON: 2, TRY: 2, UAH: 2, INR: 2, CNY: 2, HKD: 2, SGD: 2, TWD: 2, THB: 2, MYR: 2, IDR: 2,
  PHP: 2, PKR: 2, BDT: 2, LKR: 2, AED: 2, SAR: 2, QAR: 2, ILS: 2, EGP: 2, ZAR: 2, NGN: 2, KES: 2,
  MAD: 2, BRL: 2, MXN: 2, ARS: 2, COP: 2, PEN: 2,
  JPY: 0, KRW: 0, ISK: 0, VND: 0, CLP: 0, PYG: 0, UGX: 0, XOF: 0, XAF: 0,
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, IQD: 3, LYD: 3, TND: 3,
});

export function isKnownCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, code);
}

export function minorUnits(code: string): number {
  if (!isKnownCurrency(code)) throw new Error(`unknown currency ${code}`);
  return CURRENCY_MINOR_UNITS[code] as number;
}

export function validateCurrency(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Z]{3}$/.test(v)) {
    throw badInput(field, `${field} must be an ISO 4217 code of three uppercase letters`);
  }
  if (!isKnownCurrency(v)) throw badInput(field, `${field} ${v} is not a supported currency`);
  return v;
}
