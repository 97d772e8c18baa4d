/** How a retry loop spaces its attempts. */
export interface Backoff {
  /** Wait after the first failure. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
  /**
   * Spreads each wait over [½, 1] of its step (random in [0, 1)), so that many waiters that
   * collided once do not collide again (database leases). Without it the schedule is exact and
   * reproducible (deliveries and pushes: their first failures are already spread out).
   */
  jitter?: () => number;
}

/**
 * The one backoff of the exchange: the wait before retry number `retry` (1 = after the first
 * failure) is base × 2^(retry − 1), capped at max; with jitter, at least 1 ms.
 */
export function backoffMs(retry: number, b: Backoff): number {
  if (!Number.isSafeInteger(retry) || retry < 1) throw new RangeError(`retry must be a whole number ≥ 1 (got ${retry})`);
  // The exponent is bounded so 2 ** n stays finite however many failures a dead peer racks up.
  const step = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(retry - 1, 40));
  if (!b.jitter) return step;
  return Math.max(1, Math.round(step * (0.5 + b.jitter() / 2)));
}
