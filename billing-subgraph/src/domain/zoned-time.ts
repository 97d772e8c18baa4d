/**
 * Wall-clock times in an IANA zone for billing's calendar (bill periods and due dates at local
 * midnight, call-detail dates). A thin wrapper over local-time.ts (Luxon): one answer per wall
 * time. CDR times do not use it: they keep both readings of a repeated hour (resolveCallTimes).
 */
import { firstInstantOfWallTime, isIanaZone, wallTimeOf } from './local-time';

/** True when the zone is a real IANA zone ("America/New_York", "UTC", "Europe/London"). */
export function isTimeZone(zone: string): boolean {
  return isIanaZone(zone);
}

/**
 * The instant whose wall time in `zone` is the given one (ms since epoch of that wall time read
 * as UTC). A repeated hour (clocks going back) resolves to its first occurrence, a skipped one
 * (clocks going forward) is read with the offset in force before the gap.
 */
export function zonedWallTimeToInstant(wallAsUtcMs: number, zone: string): Date {
  return firstInstantOfWallTime(wallAsUtcMs, zone);
}

/** The wall-clock date and time of an instant in `zone` (month 1-12). */
export function wallParts(instant: Date, zone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const w = wallTimeOf(instant, zone);
  return { year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute, second: w.second };
}
