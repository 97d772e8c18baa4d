import { rateUsage } from '../../../billing-subgraph/src/domain';
import { fromStoredBillingRecord, segmentsOf, STORED_SEGMENT_FIELDS, toStoredBillingRecord } from '../../../billing-subgraph/src/store/billing-record-format';
import type { BillingRecordDoc } from '../../../billing-subgraph/src/store/models';

const incentive = { currency: 'USD', ratePerUnit: '0.010000', tierModel: 'GRADUATED', tiers: [{ fromQuantity: '100', ratePerUnit: '0.008000' }] };

function record(quantity: string, cumulativeBefore: string, intervalStart = new Date('2026-10-31T23:59:00Z')): BillingRecordDoc {
  const r = rateUsage({ incentive: incentive as never, serviceType: 'VOICE', usage: { quantity }, cumulativeBefore });
  return {
    _id: `CARRIER:${quantity}-${cumulativeBefore}`,
    requestId: 'req-1',
    selectionId: 'sel-1',
    buyerId: 'buyer-1',
    carrierId: 'carrier-1',
    period: '2026-10',
    intervalStart,
    serviceType: 'VOICE',
    unit: r.unit,
    billableQuantity: r.billableQuantity,
    billableBaseQuantity: r.billableBaseQuantity,
    cumulativeBefore,
    segments: r.segments,
    amount: r.amount,
    currency: 'USD',
    ratedAt: new Date('2026-11-01T00:00:00Z'),
  };
}

describe('stored form of a billing record', () => {
  it('stores a record rated within one tier without a segments array or period, and reads it back unchanged', () => {
    const r = record('125', '0');
    expect(r.segments).toHaveLength(1);
    const stored = toStoredBillingRecord(r);
    expect(stored).not.toHaveProperty('segments');
    expect(stored).not.toHaveProperty('period');
    expect(stored).toMatchObject({ tierIndex: 0, tierFrom: r.segments[0].fromQuantity, ratePerUnit: '0.010000' });
    expect(fromStoredBillingRecord(stored)).toEqual(r);
  });

  it('keeps every segment of a record that crossed a tier boundary', () => {
    const r = record('600', '5700');
    expect(r.segments.length).toBeGreaterThan(1);
    const stored = toStoredBillingRecord(r);
    expect(stored.segments).toEqual(r.segments);
    expect(stored).not.toHaveProperty('tierIndex');
    expect(fromStoredBillingRecord(stored)).toEqual(r);
  });

  it('keeps a period that is not the month of intervalStart, and a record without segments', () => {
    const r = { ...record('60', '0'), period: '2026-11', segments: [] };
    const stored = toStoredBillingRecord(r);
    expect(stored.period).toBe('2026-11');
    expect(stored.segments).toEqual([]);
    expect(fromStoredBillingRecord(stored)).toEqual(r);
  });

  it('rebuilds the segments from a projection of STORED_SEGMENT_FIELDS alone', () => {
    const r = record('30', '0');
    const stored = toStoredBillingRecord(r) as unknown as Record<string, unknown>;
    const projected = Object.fromEntries(Object.keys(STORED_SEGMENT_FIELDS).filter((k) => k in stored).map((k) => [k, stored[k]]));
    expect(segmentsOf(projected)).toEqual(r.segments);
  });
});
