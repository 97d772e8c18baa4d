import { checkCycleDay, checkTimeZone, type BillingProfile, type PostalAddress, type TaxRule } from './billing-profile';
import { badInput, conflict } from './errors';
import { checkDecimal, Dec, isCurrency } from './money';
import { hasControlCharacters } from './text';

/**
 * A billing profile as a BILLING_AGENT sets it (setBillingProfile): each field checked and
 * named by its path ("profile.timeZone") so the form can point at it. Fields left out keep the
 * current value (the default for a party without a profile); null clears an optional field.
 */
export interface ProfileChange {
  timeZone?: unknown;
  cycleDay?: unknown;
  currency?: unknown;
  legalName?: unknown;
  address?: unknown;
  taxRegistration?: unknown;
  accountNumber?: unknown;
  tax?: unknown;
  paymentTermsDays?: unknown;
  paymentInstructions?: unknown;
}

/** Fields that decide which period a record lands in or what it is billed in: fixed once the party has been billed. */
export const LOCKED_PROFILE_FIELDS = ['timeZone', 'cycleDay', 'currency'] as const;

export const PROFILE_TEXT_LIMITS = { legalName: 200, addressLine: 100, addressLines: 4, city: 100, region: 100, postalCode: 20, taxRegistration: 50, accountNumber: 40, taxName: 40, paymentInstructions: 2000 } as const;
export const MAX_PAYMENT_TERMS_DAYS = 365;

function text(field: string, v: unknown, max: number, opts: { optional?: boolean; multiline?: boolean } = {}): string | null {
  if (v === null && opts.optional) return null;
  if (typeof v !== 'string') throw badInput(field, `${field} must be text`);
  const s = v.trim();
  if (s === '') {
    if (opts.optional) return null;
    throw badInput(field, `${field} must not be empty`);
  }
  if (s.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  if (hasControlCharacters(opts.multiline ? s.replace(/\r?\n/g, '') : s)) throw badInput(field, `${field} must not contain control characters`);
  return s;
}

function address(field: string, v: unknown): PostalAddress | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput(field, `${field} must be an address`);
  const a = v as Record<string, unknown>;
  const L = PROFILE_TEXT_LIMITS;
  if (!Array.isArray(a.lines) || a.lines.length < 1 || a.lines.length > L.addressLines) throw badInput(`${field}.lines`, `${field}.lines must have 1 to ${L.addressLines} street lines`);
  const lines = a.lines.map((l, i) => text(`${field}.lines.${i}`, l, L.addressLine)!);
  const country = a.country;
  if (typeof country !== 'string' || !/^[A-Z]{2}$/.test(country)) throw badInput(`${field}.country`, `${field}.country must be an ISO 3166-1 alpha-2 code such as "US"`);
  return {
    lines,
    city: text(`${field}.city`, a.city, L.city)!,
    region: a.region === undefined ? null : text(`${field}.region`, a.region, L.region, { optional: true }),
    postalCode: a.postalCode === undefined ? null : text(`${field}.postalCode`, a.postalCode, L.postalCode, { optional: true }),
    country,
  };
}

function tax(field: string, v: unknown): TaxRule | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput(field, `${field} must be a tax rule`);
  const t = v as Record<string, unknown>;
  const name = text(`${field}.name`, t.name, PROFILE_TEXT_LIMITS.taxName)!;
  if (typeof t.reverseCharge !== 'boolean') throw badInput(`${field}.reverseCharge`, `${field}.reverseCharge must be true or false`);
  const rateField = `${field}.ratePercent`;
  const reason = checkDecimal(t.ratePercent, { maxIntegerDigits: 3, maxFractionDigits: 4 });
  if (reason) throw badInput(rateField, `${rateField} ${reason}`);
  const rate = new Dec(t.ratePercent as string);
  if (rate.gt(100)) throw badInput(rateField, `${rateField} must be from 0 to 100`);
  // Zero-rated: the buyer self-assesses the tax; a rate on the bill would charge it twice.
  if (t.reverseCharge && !rate.isZero()) throw badInput(rateField, `${rateField} must be "0" when reverseCharge is true`);
  return { name, ratePercent: rate.toFixed(), reverseCharge: t.reverseCharge };
}

/** The profile `current` becomes with `change` applied, every given field checked (field names prefixed with `prefix`). */
export function applyProfileChange(current: BillingProfile, change: ProfileChange | null | undefined, prefix = 'profile'): BillingProfile {
  if (!change || typeof change !== 'object') throw badInput(prefix, `${prefix} is required`);
  const f = (name: string) => `${prefix}.${name}`;
  const next: BillingProfile = { ...current };
  if (change.timeZone !== undefined) next.timeZone = checkTimeZone(f('timeZone'), change.timeZone);
  if (change.cycleDay !== undefined) next.cycleDay = checkCycleDay(f('cycleDay'), change.cycleDay);
  if (change.currency !== undefined) {
    if (change.currency !== null && !isCurrency(change.currency)) throw badInput(f('currency'), `${f('currency')} must be a supported ISO 4217 code such as "USD"`);
    next.currency = change.currency;
  }
  if (change.legalName !== undefined) next.legalName = text(f('legalName'), change.legalName, PROFILE_TEXT_LIMITS.legalName, { optional: true });
  if (change.address !== undefined) next.address = address(f('address'), change.address);
  if (change.taxRegistration !== undefined) next.taxRegistration = text(f('taxRegistration'), change.taxRegistration, PROFILE_TEXT_LIMITS.taxRegistration, { optional: true });
  if (change.accountNumber !== undefined) next.accountNumber = text(f('accountNumber'), change.accountNumber, PROFILE_TEXT_LIMITS.accountNumber, { optional: true });
  if (change.tax !== undefined) next.tax = tax(f('tax'), change.tax);
  if (change.paymentTermsDays !== undefined) {
    const d = change.paymentTermsDays;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_PAYMENT_TERMS_DAYS) throw badInput(f('paymentTermsDays'), `${f('paymentTermsDays')} must be a whole number of days from 0 to ${MAX_PAYMENT_TERMS_DAYS}`);
    next.paymentTermsDays = d;
  }
  if (change.paymentInstructions !== undefined) next.paymentInstructions = text(f('paymentInstructions'), change.paymentInstructions, PROFILE_TEXT_LIMITS.paymentInstructions, { optional: true, multiline: true });
  return next;
}

/**
 * Refuses a change of the zone, cycle day or currency of a party already billed: its records
 * were assigned to periods (and tier totals) under the old ones, and moving them would re-bill
 * usage already on issued bills. Names and terms apply to bills issued afterwards.
 */
export function assertLockedUnchanged(current: BillingProfile, next: BillingProfile, billed: boolean, prefix = 'profile'): void {
  if (!billed) return;
  for (const k of LOCKED_PROFILE_FIELDS) {
    if (current[k] !== next[k]) throw conflict(`${prefix}.${k} cannot change: the party already has billing records or bills under ${JSON.stringify(current[k])}`, `${prefix}.${k}`);
  }
}
