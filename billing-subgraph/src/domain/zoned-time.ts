/**
 * Wall-clock times in an IANA zone ("2026-11-03 14:02:11" written by a New York switch) → the
 * instant. Switch CDRs carry no offset; reading them as UTC shifts every call by hours, out of
 * its selection's interval. Uses the runtime's time zone database (Intl), no dependency.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** True when the runtime knows the zone ("America/New_York", "UTC", "Europe/London"). */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `zone` from UTC at instant `ms`, in ms (east positive). */
function offsetAt(ms: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant whose wall time in `zone` is the given one (ms since epoch of that wall time read
 * as UTC). A repeated hour (clocks going back) resolves to its first occurrence, a skipped one
 * (clocks going forward) to the instant after the gap, as the switch's clock showed it.
 */
export function zonedWallTimeToInstant(wallAsUtcMs: number, zone: string): Date {
  if (zone === 'UTC' || zone === 'Etc/UTC') return new Date(wallAsUtcMs);
  // The offsets half a day either side cover any transition near this wall time.
  const before = wallAsUtcMs - offsetAt(wallAsUtcMs - 43_200_000, zone);
  const after = wallAsUtcMs - offsetAt(wallAsUtcMs + 43_200_000, zone);
  const valid = [before, after].filter((c) => c + offsetAt(c, zone) === wallAsUtcMs);
  // Two valid candidates: a repeated hour, the first occurrence; none: a skipped hour, read with
  // the offset in force before the gap.
  return new Date(valid.length ? Math.min(...valid) : before);
}

/** The wall-clock date and time of an instant in `zone` (month 1-12). */
export function wallParts(instant: Date, zone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}
