/** A source of uniform numbers in [0, 1): seeded in the simulator so a run can be repeated. */
export type Rng = () => number;

/** mulberry32: small, fast, good enough for a simulation (not for anything secret). */
export function seededRng(seed: number): Rng {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi] (both inclusive). */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng() * items.length)];
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return rng() < p;
}

/** `digits` random decimal digits. */
export function randomDigits(rng: Rng, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += String(Math.floor(rng() * 10));
  return s;
}
