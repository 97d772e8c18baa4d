// Claim 32 (on claim 31): the billing computer "sorts the billing database by Buyer identifier and
// by first Carrier identifier" and bills each buyer per first carrier for the billing period.
import { agentToken, billingPeriod, generateBills, HIGH_INCENTIVE, ingestOk, runAuction, startExchange, voiceUsage, type Exchange } from './support/scenario';

describe('claim 32: the billing computer bills per buyer per first carrier', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('sorts by buyer, then carrier, and issues one bill for each pair', async () => {
    const highWins = { bids: [{ carrier: 'low' as const, incentive: { currency: 'USD', ratePerUnit: '0.70' } }, { carrier: 'high' as const, incentive: HIGH_INCENTIVE }], winner: 'high' as const };
    const b2 = await runAuction(ex, { buyer: { id: 'buyer-2' } });
    const b1high = await runAuction(ex, { buyer: { id: 'buyer-1' }, ...highWins });
    const b1low = await runAuction(ex, { buyer: { id: 'buyer-1' }, destination: '331' });
    await ingestOk(ex, [
      voiceUsage(b2, { id: 'u1', seconds: 60 }),
      voiceUsage(b1high, { id: 'u2', seconds: 300, carrierId: 'carrier-high' }),
      voiceUsage(b1low, { id: 'u3', seconds: 240, destination: '+33179460000' }),
    ], await agentToken(ex));
    const run = await generateBills(ex, billingPeriod(b1low.interval.start), await agentToken(ex), 'BUYER_CARRIER');
    expect(run.bills.map((b) => [b.buyer.id, b.carrier.id, b.request, b.lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => l.requestId), b.total.amount])).toEqual([
      ['buyer-1', 'carrier-high', null, [b1high.requestId], '1.80'], // 5 min x 0.60 - 1.20 advance
      ['buyer-1', 'carrier-low', null, [b1low.requestId], '1.00'], // 4 min x 0.50 - 1.00 advance
      ['buyer-2', 'carrier-low', null, [b2.requestId], '0.00'],
    ]);
  });
});
