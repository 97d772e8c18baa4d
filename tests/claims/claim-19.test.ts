// Claim 19: the moderating computer stores request id, buyer, first carrier and incentive; associates usage
// with the request id into billing records with the incentive portion; sorts by buyer; bills per buyer per request.
import { billingPeriod, billingRecords, callOk, generateBills, ingestOk, operatorToken, runAuction, startExchange, usageRecords, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 19: the moderating computer bills usage per buyer per request', () => {
  let ex: Exchange;
  let london: Auction; // buyer-1, 4420
  let paris: Auction; // buyer-1, 331
  let other: Auction; // buyer-2, 4420
  beforeAll(async () => {
    ex = await startExchange();
    london = await runAuction(ex, { thorough: true });
    paris = await runAuction(ex, { destination: '331' });
    other = await runAuction(ex, { buyer: { id: 'buyer-2' } });
  });
  afterAll(() => ex?.stop());

  it('a. stores request identifier, buyer, first carrier and incentive of each selection', async () => {
    const admin = await ex.modToken('ADMIN', 'moderator-operator');
    for (const a of [london, paris, other]) {
      const s = (await callOk(ex.moderatorApi, `query($id: ID!) { selection(id: $id) { request { id buyer { id } } carrier { id } incentive { ratePerUnit } } }`, { id: a.selectionId }, admin)).selection;
      expect(s).toEqual({ request: { id: a.requestId, buyer: { id: a.buyer.id } }, carrier: { id: 'carrier-low' }, incentive: { ratePerUnit: '0.5' } });
      expect(a.selectionRecord).toMatchObject({ requestId: a.requestId, buyerId: a.buyer.id, carrierId: 'carrier-low', incentive: { ratePerUnit: '0.5' } });
    }
  });

  it('b.–d. receives usage without a request id and associates it into stored billing records', async () => {
    const op = await operatorToken(ex);
    const usage = [
      voiceUsage(london, { id: 'u-lon-1', seconds: 240, destination: '+442079460001' }),
      voiceUsage(paris, { id: 'u-par-1', seconds: 120, destination: '+33179460001' }),
      voiceUsage(london, { id: 'u-lon-2', seconds: 180, atMin: 30, destination: '+442079460002' }),
      voiceUsage(other, { id: 'u-oth-1', seconds: 60 }),
    ];
    for (const u of usage) expect(u.requestId).toBeUndefined();
    expect(await ingestOk(ex, usage, op)).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    const stored = await usageRecords(ex, {}, op);
    expect(stored.map((u) => [u.recordId, u.buyerId, u.carrierId, u.quantity, u.status, u.requestId]).sort()).toEqual([
      ['u-lon-1', 'buyer-1', 'carrier-low', '240', 'RATED', london.requestId],
      ['u-lon-2', 'buyer-1', 'carrier-low', '180', 'RATED', london.requestId],
      ['u-oth-1', 'buyer-2', 'carrier-low', '60', 'RATED', other.requestId],
      ['u-par-1', 'buyer-1', 'carrier-low', '120', 'RATED', paris.requestId],
    ]);
    // the billing record: request id, buyer, carrier, the usage, and the incentive portion applied
    const recs = await billingRecords(ex, london.requestId, op);
    expect(recs.map((r) => ({ id: r.id, requestId: r.requestId, buyerId: r.buyerId, carrierId: r.carrierId, usage: r.usage.recordId, start: r.usage.intervalStart, tiers: r.tierIndexes, rates: r.ratesPerUnit, amount: r.amount.amount }))).toEqual([
      { id: 'MODERATOR:u-lon-1', requestId: london.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low', usage: 'u-lon-1', start: usage[0].intervalStart, tiers: [0], rates: ['0.5'], amount: '2.000000' },
      { id: 'MODERATOR:u-lon-2', requestId: london.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low', usage: 'u-lon-2', start: usage[2].intervalStart, tiers: [0, 1], rates: ['0.5', '0.4'], amount: '1.300000' },
    ]);
    expect(await ex.billing.models.BillingRecord.countDocuments()).toBe(4);
  });

  it('e. sorts by buyer and issues one bill per buyer per request for the billing period', async () => {
    const run = await generateBills(ex, billingPeriod(london.interval.start), await operatorToken(ex));
    expect(run.bills.map((b) => [b.buyer.id, b.request.id, b.recordCount, b.total.amount]).sort()).toEqual(
      [
        ['buyer-1', london.requestId, 2, '2.30'], // 3.30 - 1.00 advance
        ['buyer-1', paris.requestId, 1, '0.00'], // 1.00 - 1.00 advance
        ['buyer-2', other.requestId, 1, '0.00'], // 0.50 - 0.50 of the advance
      ].sort(),
    );
    const buyers = run.bills.map((b) => b.buyer.id);
    expect(buyers).toEqual([...buyers].sort());
    for (const b of run.bills) for (const l of b.lines) expect(l.requestId).toBe(b.request.id);
  });
});
