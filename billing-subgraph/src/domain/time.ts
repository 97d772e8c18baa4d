// Strict ISO 8601 instant with an explicit zone: a usage interval without a zone would be read
// in the server's local time and shift records between billing periods.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Parses an ISO 8601 instant ("2026-11-03T10:00:00Z", "...+01:00", fractions to ns) or a valid
 * Date. Returns null for anything else, including calendar impossibilities such as Feb 30,
 * which `Date.parse` would silently roll over into March. Sub-millisecond digits are dropped.
 */
export function parseInstant(v: unknown): Date | null {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? new Date(v.getTime()) : null;
  if (typeof v !== 'string') return null;
  const m = ISO_INSTANT.exec(v);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone, sign, oh, om] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.padEnd(3, '0').slice(0, 3)));
  if (zone !== 'Z') {
    const offH = Number(oh), offM = Number(om);
    if (offH > 23 || offM > 59) return null;
    ms -= (sign === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000;
  }
  // Date.UTC maps years 0-99 to 1900-1999; no usage record predates 1970 anyway.
  if (year < 1970) return null;
  return new Date(ms);
}
