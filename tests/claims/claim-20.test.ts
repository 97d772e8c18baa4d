// Claim 20 (on claim 19): the moderating computer "sorts the billing database by Buyer identifier
// and by first Carrier identifier" and bills each buyer per first carrier for the billing period.
import { billingPeriod, generateBills, HIGH_INCENTIVE, ingestOk, operatorToken, runAuction, startExchange, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 20: the moderating computer bills per buyer per first carrier', () => {
  let ex: Exchange;
  let london: Auction; // won by carrier-low
  let paris: Auction; // won by carrier-low
  let city: Auction; // won by carrier-high
  beforeAll(async () => {
    ex = await startExchange();
    london = await runAuction(ex);
    paris = await runAuction(ex, { destination: '331' });
    city = await runAuction(ex, { bids: [{ carrier: 'low', incentive: { currency: 'USD', ratePerUnit: '0.70' } }, { carrier: 'high', incentive: HIGH_INCENTIVE }], winner: 'high' });
    await ingestOk(ex, [
      voiceUsage(london, { id: 'lon', seconds: 120 }),
      voiceUsage(paris, { id: 'par', seconds: 60, destination: '+33179460001' }),
      voiceUsage(city, { id: 'city', seconds: 180, carrierId: 'carrier-high' }),
    ], await operatorToken(ex));
  });
  afterAll(() => ex?.stop());

  it('issues one bill per (buyer, first carrier), spanning that carrier\'s requests', async () => {
    expect(city.winner.id).toBe('carrier-high');
    const run = await generateBills(ex, billingPeriod(london.interval.start), await operatorToken(ex), 'BUYER_CARRIER');
    expect(run.bills.map((b) => [b.buyer.id, b.carrier.id, b.groupBy, b.request, b.recordCount]).sort()).toEqual([
      ['buyer-1', 'carrier-high', 'BUYER_CARRIER', null, 1],
      ['buyer-1', 'carrier-low', 'BUYER_CARRIER', null, 2],
    ]);
    const low = run.bills.find((b) => b.carrier.id === 'carrier-low')!;
    // both of carrier-low's requests on one bill: usage 1.00 + 0.50, each advance 1.00 credited up to its usage
    expect(low.lines.map((l: any) => [l.requestId, l.kind, l.amount]).sort()).toEqual([
      [london.requestId, 'ADVANCE_CREDIT', '-1.000000'],
      [london.requestId, 'USAGE', '1.000000'],
      [paris.requestId, 'ADVANCE_CREDIT', '-0.500000'],
      [paris.requestId, 'USAGE', '0.500000'],
    ].sort());
    expect(low.total.amount).toBe('0.00');
    const high = run.bills.find((b) => b.carrier.id === 'carrier-high')!;
    // 3 min x 0.60 = 1.80, minus the 1.20 advance (2 min x 0.60)
    expect(high.lines.map((l: any) => [l.kind, l.requestId, l.amount])).toEqual([
      ['USAGE', city.requestId, '1.800000'],
      ['ADVANCE_CREDIT', city.requestId, '-1.200000'],
    ]);
    expect(high.total.amount).toBe('0.60');
  });
});
