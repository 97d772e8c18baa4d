// Claim 22 (on claim 19): the moderating computer "receives the telecommunication service usage
// data from the Buyer's local exchange carrier".
import { billsOfPeriod, codes, ingest, ingestOk, operatorToken, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageReporter, usageRecords, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 22: usage reported by the buyer\'s local exchange carrier is billed by the moderating computer', () => {
  let ex: Exchange;
  let a: Auction;
  let lec: string;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
    lec = await usageReporter(ex, 'LEC', 'lec-metro', ['buyer-1'], await operatorToken(ex));
  });
  afterAll(() => ex?.stop());

  it('takes the LEC\'s records for its subscriber (the buyer) and bills them under the request', async () => {
    expect(await ingestOk(ex, twoCalls(a, { prefix: 'lec', source: 'LOCAL_EXCHANGE_CARRIER' }), lec)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const op = await operatorToken(ex);
    const stored = await usageRecords(ex, { source: 'LOCAL_EXCHANGE_CARRIER' }, op);
    expect(stored.map((u) => [u.recordId, u.source, u.reportedBy, u.buyerId, u.requestId])).toEqual([
      ['lec-1', 'LOCAL_EXCHANGE_CARRIER', 'LEC:lec-metro', 'buyer-1', a.requestId],
      ['lec-2', 'LOCAL_EXCHANGE_CARRIER', 'LEC:lec-metro', 'buyer-1', a.requestId],
    ]);
    expect(await rated(ex, a, op)).toEqual(TWO_CALLS_RATED);
    expect((await billsOfPeriod(ex, a, op))[0].total.amount).toBe('2.30');
  });

  it('accepts from the LEC only LEC-sourced records of its own subscribers', async () => {
    expect(codes(await ingest(ex, [voiceUsage(a, { id: 'lec-other', seconds: 60, buyerId: 'buyer-2', source: 'LOCAL_EXCHANGE_CARRIER' })], lec))).toEqual(['FORBIDDEN']);
    expect(codes(await ingest(ex, [voiceUsage(a, { id: 'lec-as-meter', seconds: 60, source: 'MEASURING_EQUIPMENT' })], lec))).toEqual(['FORBIDDEN']);
  });
});
