import { leaseBackoffMs, leaseRenewEveryMs } from '../../../billing-subgraph/src/domain/lease-timing';

describe('lease timing', () => {
  const t = { baseDelayMs: 5, maxDelayMs: 250 };
  it('doubles the wait per attempt up to the cap, jittered within [half, full] step', () => {
    expect([0, 1, 2, 3].map((a) => leaseBackoffMs(a, t, () => 1))).toEqual([5, 10, 20, 40]);
    expect(leaseBackoffMs(3, t, () => 0)).toBe(20);
    expect(leaseBackoffMs(10, t, () => 1)).toBe(250);
    expect(leaseBackoffMs(1000, t, () => 1)).toBe(250);
  });
  it('never waits zero, renews three times per lifetime', () => {
    expect(leaseBackoffMs(0, { baseDelayMs: 1, maxDelayMs: 1 }, () => 0)).toBe(1);
    expect(leaseRenewEveryMs(30_000)).toBe(10_000);
  });
});
