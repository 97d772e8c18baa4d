import { data as ISO_4217_LIST } from 'currency-codes';
import { badInput } from './app-error';

/**
 * ISO 4217 codes whose minor unit is "N.A." in the standard: precious metals, bond-market units,
 * the SDR and the testing/no-currency codes. They are units of account, not money a bill can be
 * issued in, and `currency-codes` reports their minor unit as 0, which would be a guess.
 */
export const NOT_SETTLEMENT_CURRENCIES: readonly string[] = ['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX'];

/**
 * Codes the ISO list has added since the edition `currency-codes` ships (its publish date is in
 * `ISO_4217_EDITION`): the Caribbean guilder, which replaces the Netherlands Antillean guilder.
 */
const ADDED_SINCE_EDITION: Readonly<Record<string, number>> = { XCG: 2 };

/** The edition of the ISO 4217 list the table comes from (before ADDED_SINCE_EDITION). */
export { publishDate as ISO_4217_EDITION } from 'currency-codes';

const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...ISO_4217_LIST.filter((c) => !NOT_SETTLEMENT_CURRENCIES.includes(c.code)).map((c) => [c.code, c.digits] as const),
  ...Object.entries(ADDED_SINCE_EDITION),
]);

/**
 * Every currency the exchange prices, rates and bills in, both subgraphs alike: an auction priced
 * in a code one side refuses could not be billed. Unknown codes are refused, never given a guessed
 * 2 decimals (that would mis-round JPY-like or BHD-like currencies).
 */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && MINOR_UNITS.has(code);
}

/** Every supported code, sorted. */
export function currencyCodes(): string[] {
  return [...MINOR_UNITS.keys()].sort();
}

/** The currency's ISO 4217 minor unit (decimal places of a total); BAD_USER_INPUT naming `field` for an unknown code. */
export function minorUnits(currency: string, field = 'currency'): number {
  const digits = typeof currency === 'string' ? MINOR_UNITS.get(currency) : undefined;
  if (digits === undefined) {
    throw badInput(field, `${field} must be a supported ISO 4217 code such as "USD" (got ${JSON.stringify(currency)})`);
  }
  return digits;
}

/** The code itself when it is a supported ISO 4217 currency, else BAD_USER_INPUT naming `field`. */
export function validateCurrency(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Z]{3}$/.test(v)) {
    throw badInput(field, `${field} must be an ISO 4217 code of three uppercase letters`);
  }
  if (!isCurrency(v)) throw badInput(field, `${field} ${v} is not a supported currency`);
  return v;
}
