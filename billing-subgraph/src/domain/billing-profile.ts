import { badInput } from './errors';
import { isTimeZone, wallParts, zonedWallTimeToInstant } from './zoned-time';

/**
 * A party's billing profile (issue 14 item 3): how and when a buyer is billed and what its bills
 * (and a carrier's statements) say about it. Periods, tier resets, minimum charges and due dates
 * follow the zone and cycle day; invoices show the legal name, address and tax registration.
 * A party without a stored profile bills as before: UTC calendar months, net 30, no tax.
 */
export interface PostalAddress {
  /** Street lines, first to last. */
  lines: string[];
  city: string;
  region?: string | null;
  postalCode?: string | null;
  /** ISO 3166-1 alpha-2 country code. */
  country: string;
}

export interface TaxRule {
  /** The tax's name on the bill ("VAT", "GST", "Sales tax"). */
  name: string;
  /** Percent of the bill's net amount, a decimal string ("20", "8.875"); "0" with reverseCharge. */
  ratePercent: string;
  /** Zero-rated: the buyer accounts for the tax (EU reverse charge); the bill says so. */
  reverseCharge: boolean;
}

export interface BillingProfile {
  partyId: string;
  role: 'BUYER' | 'CARRIER';
  /** IANA zone the party's periods and dates are in. */
  timeZone: string;
  /** Day of the month (1-28) each billing period starts on, at midnight in timeZone. */
  cycleDay: number;
  /** ISO 4217 code the party is billed in; null = any (each selection's incentive currency). */
  currency: string | null;
  legalName: string | null;
  address: PostalAddress | null;
  taxRegistration: string | null;
  /** The account number the party's counterparties know it by (printed on bills instead of the internal party id). */
  accountNumber: string | null;
  tax: TaxRule | null;
  /** Days after the issue date (in timeZone) the bill is due. */
  paymentTermsDays: number;
  /** How to pay this party (carriers: bank details), printed on bills it is paid by. */
  paymentInstructions: string | null;
  /**
   * The zones and cycle days in effect before the current ones, oldest first, each until the
   * instant the next took over (a period start under it): a party moves to its real zone from a
   * period boundary on, and what was billed before stays where it was (issue 21 item 6).
   */
  previousRules?: RuleSpan[];
}

/** A zone and cycle day that were in effect until `until` (exclusive). */
export interface RuleSpan {
  timeZone: string;
  cycleDay: number;
  until: Date;
}

type Rules = Pick<BillingProfile, 'timeZone' | 'cycleDay' | 'previousRules'>;

/** The rules in effect, oldest first, each with the instant it took over (null: always). */
function ruleChain(p: Rules): { timeZone: string; cycleDay: number; from: Date | null }[] {
  const spans = p.previousRules ?? [];
  return [...spans.map((s, i) => ({ timeZone: s.timeZone, cycleDay: s.cycleDay, from: i === 0 ? null : spans[i - 1].until })), { timeZone: p.timeZone, cycleDay: p.cycleDay, from: spans.length ? spans[spans.length - 1].until : null }];
}

/**
 * The first period under rules that took over at `from` (a period start of the rules before):
 * it starts at `from` and carries the label the old rules gave the period starting there; it ends
 * where the new rules end the period of that label. A move to a zone a few hours away shifts that
 * one period's end by those hours; a new cycle day makes it a transition period up to that day.
 */
function transitionPeriod(prev: Pick<BillingProfile, 'timeZone' | 'cycleDay'>, next: Pick<BillingProfile, 'timeZone' | 'cycleDay'>, from: Date): BillingPeriod {
  const label = periodContaining(prev, from).label;
  const end = periodOfLabel(next, label).end;
  return { start: from, end: end.getTime() > from.getTime() ? end : periodContaining(next, from).end, label };
}

/** The zone and cycle day in effect at `instant` (a period is read in the rules in effect at its start). */
export function rulesAt(p: Rules, instant: Date): { timeZone: string; cycleDay: number } {
  const chain = ruleChain(p);
  let k = chain.length - 1;
  while (k > 0 && instant.getTime() < chain[k].from!.getTime()) k--;
  return { timeZone: chain[k].timeZone, cycleDay: chain[k].cycleDay };
}

/** The billing period containing `instant` under the rules in effect then (previousRules, then the current ones). */
export function periodContainingAt(p: Rules, instant: Date): BillingPeriod {
  const chain = ruleChain(p);
  if (chain.length === 1) return periodContaining(p, instant);
  let k = chain.length - 1;
  while (k > 0 && instant.getTime() < chain[k].from!.getTime()) k--;
  const rule = chain[k];
  if (rule.from === null) return periodContaining(rule, instant);
  const first = transitionPeriod(chain[k - 1], rule, rule.from);
  return instant.getTime() < first.end.getTime() ? first : periodContaining(rule, instant);
}

/** The period labelled `label` under the rules in effect for it (previousRules, then the current ones). */
export function periodOfLabelAt(p: Rules, label: string): BillingPeriod {
  const chain = ruleChain(p);
  if (chain.length === 1) return periodOfLabel(p, label);
  periodOfLabel(p, label); // checks the label
  let k = chain.length - 1;
  while (k > 0 && label < periodContaining(chain[k - 1], chain[k].from!).label) k--;
  const rule = chain[k];
  if (rule.from === null) return periodOfLabel(rule, label);
  const first = transitionPeriod(chain[k - 1], rule, rule.from);
  return label === first.label ? first : periodOfLabel(rule, label);
}

export const DEFAULT_PAYMENT_TERMS_DAYS = 30;

/** The profile of a party that has none stored: the behaviour before profiles existed. */
export function defaultProfile(partyId: string, role: 'BUYER' | 'CARRIER'): BillingProfile {
  return {
    partyId,
    role,
    timeZone: 'UTC',
    cycleDay: 1,
    currency: null,
    legalName: null,
    address: null,
    taxRegistration: null,
    accountNumber: null,
    tax: null,
    paymentTermsDays: DEFAULT_PAYMENT_TERMS_DAYS,
    paymentInstructions: null,
  };
}

export interface BillingPeriod {
  start: Date;
  end: Date;
  /** YYYY-MM of the period's first day in the party's zone: the tier and minimum-charge key. */
  label: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Midnight starting (year, month, day) in `zone`; month may overflow (13 = January next year). */
function localMidnight(year: number, month: number, day: number, zone: string): Date {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  return zonedWallTimeToInstant(Date.UTC(y, m - 1, day), zone);
}

/** The billing period of `profile` that contains `instant`. */
export function periodContaining(profile: Pick<BillingProfile, 'timeZone' | 'cycleDay'>, instant: Date): BillingPeriod {
  const w = wallParts(instant, profile.timeZone);
  let year = w.year;
  let month = w.month;
  if (w.day < profile.cycleDay) month -= 1;
  if (month < 1) {
    month += 12;
    year -= 1;
  }
  const start = localMidnight(year, month, profile.cycleDay, profile.timeZone);
  const end = localMidnight(year, month + 1, profile.cycleDay, profile.timeZone);
  return { start, end, label: `${pad(year, 4)}-${pad(month)}` };
}

/** The period with the given label ("2026-11"), for a bill run of one cycle. */
export function periodOfLabel(profile: Pick<BillingProfile, 'timeZone' | 'cycleDay'>, label: string): BillingPeriod {
  const m = /^(\d{4})-(\d{2})$/.exec(label);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw badInput('period', 'period must be a billing month such as "2026-11"');
  const year = Number(m[1]);
  const month = Number(m[2]);
  return { start: localMidnight(year, month, profile.cycleDay, profile.timeZone), end: localMidnight(year, month + 1, profile.cycleDay, profile.timeZone), label };
}

/**
 * When a bill issued at `issuedAt` is due: the end (23:59:59.999 local) of the day that is
 * paymentTermsDays after the issue date in the buyer's zone, so a payment made any time on the
 * due date, where the buyer is, is on time.
 */
export function dueDate(profile: Pick<BillingProfile, 'timeZone' | 'paymentTermsDays'>, issuedAt: Date): Date {
  const w = wallParts(issuedAt, profile.timeZone);
  const next = zonedWallTimeToInstant(Date.UTC(w.year, w.month - 1, w.day + profile.paymentTermsDays + 1), profile.timeZone);
  return new Date(next.getTime() - 1);
}

/** The calendar date of an instant in `zone`, "2026-11-30". */
export function localDate(instant: Date, zone: string): string {
  const w = wallParts(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** "Nov 30, 2026, 7:00 PM EST": an instant as a reader in `zone` expects it on a bill. */
export function formatLocal(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(instant);
}

/** "Nov 30, 2026": a date on a bill (issue date, due date, period days) in `zone`. */
export function formatLocalDay(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric' }).format(instant);
}

export function checkTimeZone(field: string, zone: unknown): string {
  if (typeof zone !== 'string' || zone.length > 64 || !isTimeZone(zone)) throw badInput(field, `${field} must be an IANA time zone such as "America/New_York"`);
  return zone;
}

export function checkCycleDay(field: string, day: unknown): number {
  if (typeof day !== 'number' || !Number.isInteger(day) || day < 1 || day > 28) throw badInput(field, `${field} must be a whole day of the month from 1 to 28 (every month has it)`);
  return day;
}
