import { callBucket, CALL_BUCKETS } from '../../../billing-subgraph/src/services/usage/call-locks';

// Issue 24 item 4: called numbers take turns in CALL_BUCKETS groups, so a batch of 1,000 calls
// takes at most CALL_BUCKETS leases instead of one per number.
describe('call turn groups', () => {
  it('a number always falls into the same group, within range', () => {
    for (const n of ['442079460000', '+442079460001', '12125550100', '', '4420794600001234567890']) {
      const b = callBucket(n);
      expect(Number.isInteger(b)).toBe(true);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(CALL_BUCKETS);
      expect(callBucket(n)).toBe(b);
    }
  });

  it('a thousand numbers spread over the groups and need at most CALL_BUCKETS leases', () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const b = callBucket(`44${200000000 + ((i * 31337) % 799999999)}`);
      seen.set(b, (seen.get(b) ?? 0) + 1);
    }
    expect(seen.size).toBe(CALL_BUCKETS);
    // Roughly even: no group holds more than three times its share.
    expect(Math.max(...seen.values())).toBeLessThan((3 * 1000) / CALL_BUCKETS);
  });
});
