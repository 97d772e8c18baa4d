// Claim 31: a billing computer receives and stores request id, buyer, first carrier and incentive from the moderating
// computer; associates usage with the request id into billing records; sorts by buyer; bills per buyer per request.
import { agentToken, billingPeriod, billingRecords, generateBills, ingestOk, runAuction, startExchange, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 31: the billing computer bills usage per buyer per request', () => {
  let ex: Exchange;
  let first: Auction; // buyer-1
  let second: Auction; // buyer-2
  beforeAll(async () => {
    ex = await startExchange();
    second = await runAuction(ex, { buyer: { id: 'buyer-2' }, thorough: true });
    first = await runAuction(ex, { buyer: { id: 'buyer-1' }, destination: '331' });
  });
  afterAll(() => ex?.stop());

  it('a. stores in its own database what the moderating computer sent for each selection', async () => {
    for (const a of [first, second]) {
      const doc = await ex.billing.models.Selection.findById(a.selectionId).lean();
      expect(doc).toMatchObject({ requestId: a.requestId, buyerId: a.buyer.id, carrierId: 'carrier-low', incentive: { currency: 'USD', ratePerUnit: '0.5' } });
    }
  });

  it('b.–d. receives usage, associates it with the request and stores billing records with the incentive portion', async () => {
    const agent = await agentToken(ex);
    expect(await ingestOk(ex, [
      voiceUsage(second, { id: 'b2-1', seconds: 90 }),
      voiceUsage(first, { id: 'b1-1', seconds: 330, destination: '+33179460000' }),
    ], agent)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const [b1] = await billingRecords(ex, first.requestId, agent);
    // 330 s = 5.5 min: 5 min at 0.50 and 0.5 min at the 0.40 tier
    expect(b1).toMatchObject({ requestId: first.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low', usage: { recordId: 'b1-1', quantity: '330' }, tierIndexes: [0, 1], ratesPerUnit: ['0.5', '0.4'], amount: { amount: '2.700000' } });
    const [b2] = await billingRecords(ex, second.requestId, agent);
    expect(b2).toMatchObject({ requestId: second.requestId, buyerId: 'buyer-2', usage: { recordId: 'b2-1' }, billableQuantity: '1.5', amount: { amount: '0.750000' } });
    expect(await ex.billing.models.BillingRecord.countDocuments()).toBe(2);
  });

  it('e. sorts by buyer and issues one bill per buyer and request', async () => {
    const run = await generateBills(ex, billingPeriod(first.interval.start), await agentToken(ex));
    expect(run.bills.map((b) => [b.buyer.id, b.request.id, b.total.amount])).toEqual([
      ['buyer-1', first.requestId, '1.70'],
      ['buyer-2', second.requestId, '0.00'],
    ]);
  });
});
