import { DEFAULT_DIALLING_PLAN, normalizeDialled, type DiallingPlan } from './dialling';

/**
 * Which CDR rows are calls to a billable destination. A PBX's Master.csv also records calls
 * between its own extensions (dst 1001), dial plan entries that are no number at all (s, h, i,
 * t: the IVR's start, hangup, invalid and timeout extensions), feature codes (*72 call
 * forwarding) and numbers too short to be a destination anywhere (a 7-digit local number
 * without its area code). None of them went out over a carrier: they are skipped with their
 * reason, never billed to a made-up destination and never parked waiting for a selection.
 */
export interface BillablePolicy {
  /** Fewest digits of a billable destination after normalisation to E.164 (default 8). */
  minDestinationDigits: number;
  /** The PBX's own numbers beyond the length rule (--internal-pattern), matched against the number as written. */
  internalPattern?: RegExp;
  dialling?: DiallingPlan;
}

export const DEFAULT_MIN_DESTINATION_DIGITS = 8;

/** Asterisk's special extensions: dial plan entries, not dialled numbers. */
const SPECIAL_EXTENSIONS: Record<string, string> = {
  s: 'start',
  h: 'hangup',
  i: 'invalid',
  t: 'timeout',
  T: 'absolute timeout',
  o: 'operator',
  a: 'assistant',
  e: 'exception',
  fax: 'fax detection',
  talk: 'talk detection',
};

export type Billability =
  /** A billable destination: E.164 digits. */
  | { billable: true; digits: string }
  /** Not a call to bill: skipped with the reason (category counts the summary). */
  | { billable: false; skip: true; category: string; reason: string }
  /** Not a telephone number and not a known non-billable form: refused (a rejection). */
  | { billable: false; skip: false; reason: string };

/** Checks an --internal-pattern and compiles it anchored to the whole number; throws with what is wrong. */
export function internalPattern(source: string): RegExp {
  if (source.length === 0 || source.length > 500) throw new Error('--internal-pattern must be a regular expression of 1 to 500 characters');
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new Error(`--internal-pattern "${source}" is not a regular expression (${(err as Error).message})`);
  }
}

/** Decides one called number as the switch wrote it. */
export function billableDestination(raw: string, policy: BillablePolicy): Billability {
  const written = raw.trim();
  const bare = written.replace(/^(sips?|tel):/i, '').replace(/@.*$/, '');
  const special = SPECIAL_EXTENSIONS[bare];
  if (special) return { billable: false, skip: true, category: 'dial plan extension', reason: `dial plan extension "${bare}" (${special}): not a dialled number, nothing to bill` };
  if (/^[*#]/.test(bare)) return { billable: false, skip: true, category: 'feature code', reason: `feature code ${bare}: handled by the PBX, not a billable destination` };
  if (policy.internalPattern?.test(bare)) return { billable: false, skip: true, category: 'internal extension', reason: `internal extension ${bare}: matches --internal-pattern, not a billable destination` };
  const dialled = normalizeDialled(written, policy.dialling ?? DEFAULT_DIALLING_PLAN);
  if (!dialled.ok) return { billable: false, skip: false, reason: dialled.reason };
  if (dialled.digits.length < policy.minDestinationDigits) {
    const digits = bare.replace(/\D/g, '');
    // Up to 6 digits is a PBX's own extension; 7 is a local number dialled without its area code.
    const category = digits.length <= 6 ? 'internal extension' : 'short number';
    const what = category === 'internal extension' ? `internal extension ${bare}` : `${digits.length}-digit number ${bare} (a local number without its area code?)`;
    return { billable: false, skip: true, category, reason: `${what}: not a billable destination (shorter than --min-destination-digits ${policy.minDestinationDigits})` };
  }
  return { billable: true, digits: dialled.digits };
}
