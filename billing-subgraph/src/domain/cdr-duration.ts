/** CDR durations as exact milliseconds, and back to the decimal seconds billing receives. */

/** A duration as exact milliseconds ("65.432" s → 65432; "65432" ms → 65432), or null. */
export function durationMs(v: string, unit: 's' | 'ms' = 's'): number | null {
  const m = /^(\d{1,9})(?:\.(\d+))?$/.exec(v);
  if (!m) return null;
  if (unit === 'ms') return Math.round(Number(v));
  const frac = (m[2] ?? '').padEnd(4, '0');
  // Thousandths kept; a fourth decimal rounds half up (switches write at most milliseconds).
  return Number(m[1]) * 1000 + Number(frac.slice(0, 3)) + (Number(frac[3]) >= 5 ? 1 : 0);
}

/** Milliseconds as decimal seconds with up to 3 decimals: 65432 → "65.432", 90000 → "90". */
export const secondsText = (ms: number): string =>
  ms % 1000 === 0 ? String(ms / 1000) : `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0').replace(/0+$/, '')}`;
