/**
 * Timing of database leases (store/leases.ts): how long to wait before asking again for a key
 * someone else holds, and how often a holder renews. Pure: the random source is injected.
 */
export interface LeaseTiming {
  /** How long a lease lives without renewal: a holder that died is replaced after this. */
  ttlMs: number;
  /** Give up (with an error naming the key and holder) after waiting this long in total. */
  maxWaitMs: number;
  /** First wait after finding a key held; doubles per attempt up to maxDelayMs, jittered (platform backoffMs). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { ttlMs: 30_000, maxWaitMs: 120_000, baseDelayMs: 5, maxDelayMs: 250 };

/** A holder renews its leases this often: three chances before one lapses. */
export const leaseRenewEveryMs = (ttlMs: number) => Math.max(1, Math.floor(ttlMs / 3));
