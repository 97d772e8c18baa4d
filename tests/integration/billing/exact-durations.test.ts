// Exact durations (issue 25, item 6): a switch's 65.432 s is kept as reported and rounded only by
// the tariff's increments when rated; its start and end may be in whole seconds.
import { gql, gqlOk, startBilling } from '../../support/harness';
import { agentToken, billingRecords, GENERATE, INGEST, recordSelection, type Billing } from './fixtures';

const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };

describe('exact (fractional) VOICE durations', () => {
  let b: Billing;
  let agent: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    agent = await agentToken();
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  const call = (recordId: string, carrierId: string, requestId: string, quantity: string, end = '2026-11-03T10:01:05Z') => ({
    recordId, source: 'MEASURING_EQUIPMENT', buyerId: 'ms-buyer', carrierId, requestId, intervalStart: '2026-11-03T10:00:00Z', intervalEnd: end, serviceType: 'VOICE', quantity, destination: '+442079460000',
  });

  it('a 65.432 s call between whole-second times is accepted, kept exact, billed 66 s under 6/6 and 120 s under 60/60', async () => {
    const tariffs = [['ms-six', [6, 6], '0.660000', '66'], ['ms-minute', [60, 60], '1.200000', '120']] as const;
    for (const [carrierId, [initialSeconds, subsequentSeconds]] of tariffs) {
      await recordSelection(b, { selectionId: `${carrierId}-sel`, requestId: `${carrierId}-req`, buyerId: 'ms-buyer', carrierId, quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.60', billingIncrement: { initialSeconds, subsequentSeconds } } });
      const res = (await gqlOk(b.url, INGEST, { records: [call(`${carrierId}-1`, carrierId, `${carrierId}-req`, '65.432')] }, agent)).ingestUsage;
      expect(res).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    }
    const listed = await gqlOk(b.url, `query { usageRecords(filter: { buyerId: "ms-buyer" }, first: 10) { nodes { recordId quantity status } } }`, {}, agent);
    expect(listed.usageRecords.nodes.map((n: any) => [n.recordId, n.quantity, n.status]).sort()).toEqual([['ms-minute-1', '65.432', 'RATED'], ['ms-six-1', '65.432', 'RATED']]);

    for (const [carrierId, , amount, billable] of tariffs) {
      const [rec] = await billingRecords(b, `${carrierId}-req`);
      expect([rec.billableBaseQuantity, rec.amount.amount]).toEqual([billable, amount]);
    }
    const bills = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.filter((x: any) => x.buyer.id === 'ms-buyer');
    const usageOf = (carrierId: string) => bills.find((x: any) => x.carrier.id === carrierId).lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => [l.quantity, l.amount]);
    expect(usageOf('ms-six')).toEqual([['1.1', '0.660000']]);
    expect(usageOf('ms-minute')).toEqual([['2', '1.200000']]);
  });

  it('refuses 4 decimals and a duration 1 s or more beyond its interval, naming the field, and keeps the rejection', async () => {
    const res = (await gql(b.url, INGEST, { records: [call('ms-bad-1', 'ms-six', 'ms-six-req', '65.4321'), call('ms-bad-2', 'ms-six', 'ms-six-req', '66')] }, agent)).data!.ingestUsage;
    expect(res.accepted).toBe(0);
    expect(res.rejected.map((r: any) => [r.recordId, r.field])).toEqual([['ms-bad-1', 'quantity'], ['ms-bad-2', 'quantity']]);
    expect(res.rejected[1].reason).toMatch(/\(66 s\) must not exceed its interval \(65 s\) by 1 s or more/);
    expect(await b.models.Rejected.countDocuments({ recordId: { $in: ['ms-bad-1', 'ms-bad-2'] } })).toBe(2);
  });
});
