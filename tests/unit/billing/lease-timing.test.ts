import { leaseRenewEveryMs } from '../../../billing-subgraph/src/domain/lease-timing';

// The lease wait itself is the platform's backoffMs with jitter (tests/unit/platform/backoff.test.ts).
describe('lease timing', () => {
  it('renews three times per lifetime', () => {
    expect(leaseRenewEveryMs(30_000)).toBe(10_000);
    expect(leaseRenewEveryMs(1)).toBe(1);
  });
});
