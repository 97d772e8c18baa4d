import { badInput } from './errors';

/** E.164: at most 15 digits, and no country code begins with 0. */
const PREFIX = /^[1-9]\d{0,14}$/;

/** Strips an optional leading '+'; returns null when the rest is not a valid E.164 prefix. */
export function normalizePrefix(v: string): string | null {
  const digits = v.startsWith('+') ? v.slice(1) : v;
  return PREFIX.test(digits) ? digits : null;
}

export function validatePrefix(field: string, v: unknown): string {
  if (typeof v !== 'string') throw badInput(field, `${field} must be a string of digits`);
  const p = normalizePrefix(v);
  if (p === null) {
    throw badInput(field, `${field} must be 1-15 digits (optional leading '+'), not starting with 0`);
  }
  return p;
}

/** Both arguments are expected in normalised form (digits only). */
export function isPrefixOf(prefix: string, number: string): boolean {
  return prefix.length > 0 && number.startsWith(prefix);
}

export function longestMatchingPrefix(prefixes: Iterable<string>, number: string): string | undefined {
  let best: string | undefined;
  for (const p of prefixes) {
    if (isPrefixOf(p, number) && (best === undefined || p.length > best.length)) best = p;
  }
  return best;
}
