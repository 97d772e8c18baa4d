// The usage summary is kept as running totals at rating time (on each (selection, period)'s tier
// slot), not recomputed from the billing records: it must equal the sum of the records, across
// batches and periods, for each party's view, and survive a totals pointer left behind by a crash.
import { gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, ingestOk, recordSelection, voice, type Billing } from './fixtures';
import { Dec } from '../../../billing-subgraph/src/domain';

const SUMMARY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ServiceRequest { usageSummary { period serviceType unit records billableQuantity amount { amount currency } } } } }`;

async function summary(b: Billing, requestId: string, bearer: string) {
  return (await gqlOk(b.url, SUMMARY, { r: [{ __typename: 'ServiceRequest', id: requestId }] }, bearer))._entities[0].usageSummary as any[];
}

describe('usage summary from running totals', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('equals the sum of the billing records, per period, over several batches', async () => {
    await recordSelection(b, {
      selectionId: 'us-sel', requestId: 'us-req', buyerId: 'us-b', carrierId: 'us-c', quantity: '10',
      start: '2026-10-01T00:00:00Z', end: '2026-12-01T00:00:00Z',
      incentive: { currency: 'USD', ratePerUnit: '0.013', tiers: [{ fromQuantity: '5', ratePerUnit: '0.011' }], billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } },
    });
    const batch = (from: number, n: number, month: string) =>
      Array.from({ length: n }, (_, i) => voice({ recordId: `us-${from + i}`, seconds: 37 + ((from + i) % 50), buyerId: 'us-b', carrierId: 'us-c', requestId: 'us-req', start: `2026-${month}-0${1 + (i % 9)}T0${i % 10}:00:00Z` }));
    await ingestOk(b, batch(0, 40, '10'));
    await ingestOk(b, batch(40, 25, '10'));
    await ingestOk(b, batch(100, 30, '11'));
    await ingestOk(b, batch(0, 10, '10')); // duplicates: nothing more rated

    const agent = await agentToken();
    const got = await summary(b, 'us-req', agent);
    // The same totals added up from the stored billing records.
    const recs = await b.models.BillingRecord.find({ requestId: 'us-req' }).lean().exec();
    const byPeriod = new Map<string, { records: number; qty: Dec; amount: Dec }>();
    for (const r of recs as any[]) {
      const p = r.period ?? new Date(r.intervalStart).toISOString().slice(0, 7);
      const cur = byPeriod.get(p) ?? { records: 0, qty: new Dec(0), amount: new Dec(0) };
      cur.records++;
      cur.qty = cur.qty.plus(r.billableQuantity);
      cur.amount = cur.amount.plus(r.amount);
      byPeriod.set(p, cur);
    }
    expect(got.map((s) => s.period)).toEqual(['2026-10', '2026-11']);
    for (const s of got) {
      const want = byPeriod.get(s.period)!;
      expect(s).toMatchObject({ serviceType: 'VOICE', records: want.records, billableQuantity: want.qty.toFixed(), amount: { amount: want.amount.toFixed(6), currency: 'USD' } });
    }
    expect(got.map((s) => s.records)).toEqual([65, 30]);

    // The buyer and the carrier see the same; another buyer sees nothing of it.
    expect(await summary(b, 'us-req', await token('BUYER', 'us-b'))).toEqual(got);
    expect(await summary(b, 'us-req', await token('CARRIER', 'us-c'))).toEqual(got);
    expect(await summary(b, 'us-req', await token('BUYER', 'someone-else'))).toEqual([]);

    // A crash after a slot was written but before its pointer advanced: the reader finds later slots.
    await b.models.UsageTotals.updateMany({ requestId: 'us-req' }, { $set: { seq: 0 } }).exec();
    expect(await summary(b, 'us-req', agent)).toEqual(got);

    // Slots written before running totals were kept: the summary adds the records up instead.
    const legacy = await b.models.Slot.updateMany({ key: { $in: ['tier|us-sel|2026-10', 'tier|us-sel|2026-11'] } }, { $unset: { records: 1, quantity: 1, amount: 1 } }).exec();
    expect(legacy.modifiedCount).toBeGreaterThanOrEqual(2);
    expect(await summary(b, 'us-req', agent)).toEqual(got);
  });
});
