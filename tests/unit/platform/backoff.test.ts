// The one backoff of the exchange (bill deliveries, the Moderator's outbox and route-attempt
// pushes, database leases with jitter).
import { backoffMs } from '@exchange/platform';

describe('backoffMs', () => {
  it('doubles from the base per failure and stops at the cap, deterministically without jitter', () => {
    const delivery = { baseMs: 10_000, maxMs: 3_600_000 };
    expect([1, 2, 3, 4, 9, 10, 11, 1000].map((a) => backoffMs(a, delivery))).toEqual([
      10_000, 20_000, 40_000, 80_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
    const outbox = { baseMs: 1000, maxMs: 300_000 };
    expect([1, 2, 3, 4, 5, 9, 10, 20, 100].map((n) => backoffMs(n, outbox))).toEqual([1000, 2000, 4000, 8000, 16000, 256000, 300000, 300000, 300000]);
    expect(backoffMs(3, { baseMs: 100, maxMs: 250 })).toBe(250);
    expect(backoffMs(2, { baseMs: 100, maxMs: 250 })).toBe(200);
  });

  it('with jitter, waits within [half, full] of the step and never zero', () => {
    const lease = { baseMs: 5, maxMs: 250 };
    expect([1, 2, 3, 4].map((a) => backoffMs(a, { ...lease, jitter: () => 1 }))).toEqual([5, 10, 20, 40]);
    expect(backoffMs(4, { ...lease, jitter: () => 0 })).toBe(20);
    expect(backoffMs(11, { ...lease, jitter: () => 1 })).toBe(250);
    expect(backoffMs(1001, { ...lease, jitter: () => 1 })).toBe(250);
    expect(backoffMs(1, { baseMs: 1, maxMs: 1, jitter: () => 0 })).toBe(1);
  });

  it('refuses retry numbers that are not whole and ≥ 1', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => backoffMs(bad, { baseMs: 1, maxMs: 2 })).toThrow(RangeError);
  });
});
