import Decimal from 'decimal.js';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { Dec, formatQuantity, formatRecordAmount, RECORD_DP } from './money';

/**
 * The bill's summary by destination country (issue 14 item 4): calls, minutes and amount per
 * calling-code prefix and ISO country of the called number. Records without a called number
 * (data, or voice reported without one) are summed in one "Other / data" row.
 */
export interface DestinationRow {
  /** "+1", "+44"; null on the Other/data row. */
  prefix: string | null;
  /** ISO 3166-1 alpha-2; null when the number's country is not known (a non-geographic code, Other/data). */
  country: string | null;
  /** English name of the country ("United States"), the prefix for a non-geographic code, "Other / data". */
  countryName: string;
  calls: number;
  /** Billable minutes of the row's voice records ("0" on a data-only row). */
  minutes: string;
  /** Share of the bill's usage amount (6 dp); the rows add up to the bill's usage amount. */
  amount: string;
}

export interface Destination {
  key: string;
  prefix: string | null;
  country: string | null;
  countryName: string;
}

export const OTHER_DESTINATION: Destination = { key: '~other', prefix: null, country: null, countryName: 'Other / data' };

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** English name of an ISO 3166-1 alpha-2 code ("United States"), the code itself when unknown. */
export function countryName(code: string): string {
  try {
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}
// Country is decided by the calling code and at most the next 4 digits (NANP area codes, +44 1481
// Guernsey): numbers sharing their first 7 digits share their country, so a bill of millions of
// calls parses each prefix once.
const CACHE_PREFIX_DIGITS = 7;
const cache = new Map<string, Destination>();

/** The destination country of E.164 digits (no '+'); OTHER_DESTINATION without digits. */
export function destinationOf(digits: string | null | undefined): Destination {
  if (!digits) return OTHER_DESTINATION;
  const head = digits.slice(0, CACHE_PREFIX_DIGITS);
  const hit = cache.get(head);
  if (hit) return hit;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  let d: Destination;
  if (!parsed?.countryCallingCode) d = OTHER_DESTINATION;
  else {
    const prefix = `+${parsed.countryCallingCode}`;
    const country = parsed.country ?? null;
    d = { key: `${prefix}|${country ?? ''}`, prefix, country, countryName: country ? countryName(country) : `International ${prefix}` };
  }
  if (cache.size > 50_000) cache.clear();
  cache.set(head, d);
  return d;
}

/** What one selection's records add up to per destination, as they were rated. */
export interface DestinationPart {
  destination: Destination;
  calls: number;
  /** Billable minutes (MINUTE records only). */
  minutes: Dec;
  /** Billable base quantity (seconds, bytes): the weight of a re-priced amount. */
  base: Dec;
  /** Sum of the records' rated amounts. */
  rated: Dec;
}

/**
 * Splits `total` (6 dp) over `weights` in proportion, each share rounded down to 6 dp and the
 * remaining micro-units given to the largest remainders (ties: earlier first), so the shares add
 * up to `total` exactly. All-zero weights: everything on the first share.
 */
export function spreadAmount(total: Decimal.Value, weights: Decimal.Value[]): Dec[] {
  const t = new Dec(total);
  if (weights.length === 0) return [];
  const w = weights.map((x) => new Dec(x));
  const sumW = w.reduce((a, x) => a.plus(x), new Dec(0));
  if (sumW.isZero()) return w.map((_, i) => (i === 0 ? t : new Dec(0)));
  const unit = new Dec(1).div(new Dec(10).pow(RECORD_DP));
  const exact = w.map((x) => t.times(x).div(sumW));
  const shares = exact.map((x) => x.toDecimalPlaces(RECORD_DP, Decimal.ROUND_DOWN));
  let left = t.minus(shares.reduce((a, x) => a.plus(x), new Dec(0))).div(unit).round().toNumber();
  const order = exact.map((x, i) => ({ i, rem: x.minus(shares[i]).abs() })).sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i);
  const step = left < 0 ? unit.negated() : unit;
  for (let k = 0; left !== 0; k = (k + 1) % order.length) {
    shares[order[k].i] = shares[order[k].i].plus(step);
    left += left < 0 ? 1 : -1;
  }
  return shares;
}

/**
 * The destination shares of one selection's usage amount on the bill. When the bill charges what
 * the records were rated at, each destination keeps its records' amounts. When the bill re-priced
 * the usage (VOLUME tiers re-rated at period close, where every unit of the period is charged at
 * the rate of the tier reached; a period-level percentile charge), the bill's amount is spread
 * over the destinations in proportion to their billable base quantity (seconds, bytes) — exactly
 * how the re-rating priced them — rounded so that the shares add up to the bill's amount.
 */
export function selectionDestinationShares(parts: DestinationPart[], usageAmount: string): Dec[] {
  const rated = parts.reduce((a, p) => a.plus(p.rated), new Dec(0));
  if (new Dec(formatRecordAmount(rated)).eq(usageAmount)) return parts.map((p) => p.rated);
  const byBase = parts.some((p) => !p.base.isZero());
  return spreadAmount(usageAmount, parts.map((p) => (byBase ? p.base : p.rated)));
}

/** Merges the per-selection shares into the bill's rows: by country (largest amount first), Other/data last. */
export function destinationRows(selections: { parts: DestinationPart[]; usageAmount: string }[]): DestinationRow[] {
  const rows = new Map<string, { d: Destination; calls: number; minutes: Dec; amount: Dec }>();
  for (const s of selections) {
    const shares = selectionDestinationShares(s.parts, s.usageAmount);
    s.parts.forEach((p, i) => {
      const r = rows.get(p.destination.key) ?? { d: p.destination, calls: 0, minutes: new Dec(0), amount: new Dec(0) };
      r.calls += p.calls;
      r.minutes = r.minutes.plus(p.minutes);
      r.amount = r.amount.plus(shares[i]);
      rows.set(p.destination.key, r);
    });
  }
  return [...rows.values()]
    .sort((a, b) => Number(a.d.key === OTHER_DESTINATION.key) - Number(b.d.key === OTHER_DESTINATION.key) || b.amount.comparedTo(a.amount) || (a.d.key < b.d.key ? -1 : 1))
    .map((r) => ({ prefix: r.d.prefix, country: r.d.country, countryName: r.d.countryName, calls: r.calls, minutes: formatQuantity(r.minutes), amount: formatRecordAmount(r.amount) }));
}
