import { Dec } from './decimal';
import { badInput } from './app-error';

/** Widest amount either subgraph stores: 18 integer and 12 fraction digits. */
export const MAX_INTEGER_DIGITS = 18;
export const MAX_FRACTION_DIGITS = 12;

export interface DecimalRules {
  /**
   * Accept a leading '-' (credits, corrections, relayed credit notes). Off by default because
   * inputs are charges, rates and quantities; off, even "-0" is refused: it is not how anyone
   * writes a rate and one canonical spelling per value keeps stored strings comparable.
   */
  allowNegative?: boolean;
  /** Require a value > 0 (rates may be zero, quantities and payments may not). */
  positive?: boolean;
  maxFractionDigits?: number;
  maxIntegerDigits?: number;
}

// Plain notation only: no exponent, no '+', no leading/trailing dot, no whitespace. Anything a
// float could have produced ("1e-7", "NaN", "Infinity") is refused rather than interpreted.
const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The reason `v` is not an acceptable decimal string (to follow the field's name), or null when it is. */
export function checkDecimal(v: unknown, rules: DecimalRules = {}): string | null {
  if (typeof v !== 'string') return 'must be a decimal string such as "12.50"';
  const m = PLAIN_DECIMAL.exec(v);
  if (!m) return `must be a plain decimal string such as "12.50" (got ${JSON.stringify(v.slice(0, 40))})`;
  const [, sign, int, frac = ''] = m;
  const maxInt = rules.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  const maxFrac = rules.maxFractionDigits ?? MAX_FRACTION_DIGITS;
  if (int.replace(/^0+(?=\d)/, '').length > maxInt) return `must have at most ${maxInt} integer digits`;
  if (frac.length > maxFrac) return `must have at most ${maxFrac} decimal places`;
  if (sign === '-' && !rules.allowNegative) return 'must not be negative';
  if (rules.positive && !new Dec(v).gt(0)) return 'must be greater than zero';
  return null;
}

/** The exchange's one decimal parser: a strict decimal string, or BAD_USER_INPUT naming `field`. */
export function parseDecimal(field: string, v: unknown, rules: DecimalRules = {}): Dec {
  const reason = checkDecimal(v, rules);
  if (reason) throw badInput(field, `${field} ${reason}`);
  return new Dec(v as string);
}
