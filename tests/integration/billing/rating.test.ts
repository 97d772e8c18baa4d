import { startBilling } from '../../support/harness';
import { billingRecords, ingestOk, recordSelection, voice, type Billing } from './fixtures';

// Rating through the API: usage records in, billing records out, exact to the 6th decimal.
describe('rating edge cases through ingestUsage', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  async function rate(selectionId: string, incentive: Record<string, unknown>, seconds: (number | string)[]) {
    const s = await recordSelection(b, { selectionId, incentive, buyerId: `buyer-${selectionId}` });
    const records = seconds.map((sec, i) =>
      voice({ recordId: `${selectionId}-${i}`, seconds: sec, buyerId: `buyer-${selectionId}`, start: new Date(Date.UTC(2026, 9, 5, 10, i)).toISOString() }),
    );
    const out = await ingestOk(b, records);
    expect(out).toEqual({ accepted: seconds.length, duplicates: 0, rejected: [] });
    const recs = await billingRecords(b, s.requestId);
    return seconds.map((_, i) => recs.find((r) => r.id === `MODERATOR:${selectionId}-${i}`));
  }

  it('applies 60/60, 30/6 and 1/1 increments at the block boundaries', async () => {
    const secs = [0, 1, 29, 30, 31, 35, 36, 37, 60, 61];
    const perMinute = await rate('inc-60-60', { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 } }, secs);
    expect(perMinute.map((r) => r.billableBaseQuantity)).toEqual(['0', '60', '60', '60', '60', '60', '60', '60', '60', '120']);
    const thirtySix = await rate('inc-30-6', { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } }, secs);
    expect(thirtySix.map((r) => r.billableBaseQuantity)).toEqual(['0', '30', '30', '30', '36', '36', '36', '42', '60', '66']);
    const perSecond = await rate('inc-1-1', { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, secs);
    expect(perSecond.map((r) => r.billableBaseQuantity)).toEqual(secs.map(String));
    // 0.6 per minute = 0.01 per second
    expect(thirtySix.map((r) => r.amount.amount)).toEqual(['0.000000', '0.300000', '0.300000', '0.300000', '0.360000', '0.360000', '0.360000', '0.420000', '0.600000', '0.660000']);
    expect(perSecond[2].amount).toEqual({ amount: '0.290000', currency: 'USD' });
  });

  it('splits a record that crosses a graduated tier boundary and continues the cumulative total', async () => {
    // base 0.10/min; from 10 min 0.05/min. 8 min, then 5 min (2 + 3 split), then 1 min at the tier rate.
    const [a, c, d] = await rate(
      'tier-cross',
      { currency: 'USD', ratePerUnit: '0.10', tiers: [{ fromQuantity: '10', ratePerUnit: '0.05' }], billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } },
      [480, 300, 60],
    );
    expect(a.tierIndexes).toEqual([0]);
    expect(a.amount.amount).toBe('0.800000');
    expect(c.cumulativeBefore).toBe('480');
    expect(c.tierIndexes).toEqual([0, 1]);
    expect(c.ratesPerUnit).toEqual(['0.10', '0.05']);
    expect(c.segments.map((s: any) => [s.tierIndex, s.quantity, s.amount])).toEqual([
      [0, '2', '0.200000'],
      [1, '3', '0.150000'],
    ]);
    expect(c.amount.amount).toBe('0.350000');
    expect(d.cumulativeBefore).toBe('780');
    expect(d.tierIndexes).toEqual([1]);
    expect(d.amount.amount).toBe('0.050000');
  });

  it('rounds each record half-up at the 6th decimal', async () => {
    // 1 s at 0.0000015/min = 0.000000025 -> 0.000000; 20 s = 0.0000005 -> 0.000001 (half-up)
    // 7 s at 0.00001/min = 0.0000011666… -> 0.000001
    const [one, twenty] = await rate('round-6', { currency: 'USD', ratePerUnit: '0.0000015', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, [1, 20]);
    expect(one.amount.amount).toBe('0.000000');
    expect(twenty.amount.amount).toBe('0.000001');
    const [seven] = await rate('round-6b', { currency: 'USD', ratePerUnit: '0.00001', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, [7]);
    expect(seven.amount.amount).toBe('0.000001');
  });

  it('concurrent batches for one request never rate two records from the same cumulative total', async () => {
    const s = await recordSelection(b, {
      selectionId: 'tier-race',
      buyerId: 'buyer-race',
      incentive: { currency: 'USD', ratePerUnit: '1', tiers: [{ fromQuantity: '5', ratePerUnit: '0.5' }], billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 } },
    });
    const batches = [0, 1, 2, 3].map((k) =>
      [0, 1, 2].map((i) => voice({ recordId: `race-${k}-${i}`, seconds: 60, buyerId: 'buyer-race', start: new Date(Date.UTC(2026, 9, 6, k, i)).toISOString() })),
    );
    await Promise.all(batches.map((r) => ingestOk(b, r)));
    const recs = await billingRecords(b, s.requestId);
    expect(recs).toHaveLength(12);
    // 12 one-minute calls: the first 5 at 1.00, the other 7 at 0.50, whatever the interleaving.
    expect(recs.map((r) => Number(r.cumulativeBefore)).sort((x, y) => x - y)).toEqual([0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 660]);
    const total = recs.reduce((acc, r) => acc + Math.round(Number(r.amount.amount) * 100), 0);
    expect(total).toBe(5 * 100 + 7 * 50);
  });
});
