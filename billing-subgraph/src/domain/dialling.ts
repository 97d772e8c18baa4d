/**
 * Dialling conventions of the switch that wrote a CDR: the international prefix its callers dial
 * (011 in the North American Numbering Plan, 00 almost everywhere else), and the country code
 * and trunk prefix that turn a national number into an international one. Billing needs E.164.
 */
export interface DiallingPlan {
  /** Prefixes that introduce an international number (besides '+'). */
  internationalPrefixes: string[];
  /** Country code of national numbers (digits, no '+'); absent: national numbers are refused. */
  countryCode?: string;
  /** Trunk prefix of national numbers ('1' in NANP, '0' elsewhere). */
  trunkPrefix?: string;
}

/** The plan for `--country-code` / `--international-prefix`: NANP dials 011 and trunk 1, others 00 and trunk 0. */
export function diallingPlan(opts: { countryCode?: string; internationalPrefix?: string } = {}): DiallingPlan {
  const cc = opts.countryCode?.replace(/^\+/, '');
  if (cc !== undefined && !/^[1-9]\d{0,2}$/.test(cc)) throw new Error(`country code "${opts.countryCode}" must be 1 to 3 digits (e.g. 1, 44, 353)`);
  const ip = opts.internationalPrefix;
  if (ip !== undefined && !/^\d{2,4}$/.test(ip)) throw new Error(`international prefix "${ip}" must be 2 to 4 digits (e.g. 00, 011)`);
  const nanp = cc === '1';
  const plan: DiallingPlan = { internationalPrefixes: [ip ?? (nanp ? '011' : '00')] };
  if (cc !== undefined) {
    plan.countryCode = cc;
    plan.trunkPrefix = nanp ? '1' : '0';
  }
  return plan;
}

export const DEFAULT_DIALLING_PLAN: DiallingPlan = { internationalPrefixes: ['00'] };

export type Dialled = { ok: true; digits: string } | { ok: false; reason: string };

const E164_DIGITS = /^[1-9]\d{0,14}$/;

/**
 * A dialled B-number as the switch wrote it → E.164 digits (no '+'). Strips a sip:/tel: URI and
 * punctuation; '+' or an international prefix introduce an international number; with a country
 * code, a number behind the trunk prefix (or a bare 10-digit NANP number) is national. Digits
 * that start with neither are taken as already international (how most switches log trunks).
 */
export function normalizeDialled(raw: string, plan: DiallingPlan = DEFAULT_DIALLING_PLAN): Dialled {
  let s = raw.trim().replace(/^(sips?|tel):/i, '');
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  s = s.replace(/[\s().\-/]/g, '');
  const bad = (why: string): Dialled => ({ ok: false, reason: `called_number "${raw}" ${why}` });
  if (!/^\+?\d+$/.test(s)) return bad('is not a telephone number');
  let digits: string | null = null;
  if (s.startsWith('+')) digits = s.slice(1);
  else {
    const prefix = [...plan.internationalPrefixes].sort((a, b) => b.length - a.length).find((p) => s.startsWith(p));
    if (prefix !== undefined) digits = s.slice(prefix.length);
    else if (plan.countryCode === '1' && /^[2-9]\d{9}$/.test(s)) digits = `1${s}`;
    else if (plan.countryCode === '1' && /^1[2-9]\d{9}$/.test(s)) digits = s;
    else if (plan.countryCode !== undefined && plan.trunkPrefix !== undefined && plan.trunkPrefix !== '1' && s.startsWith(plan.trunkPrefix)) {
      digits = plan.countryCode + s.slice(plan.trunkPrefix.length);
    } else if (s.startsWith('0')) {
      return bad(
        plan.countryCode === undefined
          ? `starts with 0 but not with the international prefix ${plan.internationalPrefixes.join('/')}: a national number needs --country-code, and a switch dialling 011 (North America) needs --international-prefix 011 or --country-code 1`
          : `starts with 0 but not with the international prefix ${plan.internationalPrefixes.join('/')}`,
      );
    } else digits = s;
  }
  if (!E164_DIGITS.test(digits)) return bad('is not an international (E.164) number');
  return { ok: true, digits };
}
