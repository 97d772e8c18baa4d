// Claim 21 (on claim 19): the moderating computer "receives the telecommunication service usage data from
// telecommunication equipment measuring the telecommunication service provided to the Buyer by the first Carrier".
import { billsOfPeriod, codes, ingest, ingestOk, operatorToken, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageReporter, usageRecords, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 21: usage pushed by measuring equipment is billed by the moderating computer', () => {
  let ex: Exchange;
  let a: Auction;
  let meter: string;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
    meter = await usageReporter(ex, 'METER', 'meter-lhr-7', ['buyer-1'], await operatorToken(ex));
  });
  afterAll(() => ex?.stop());

  it('accepts the meter\'s records for the buyer it measures and rates them to the request', async () => {
    const records = twoCalls(a, { prefix: 'm7', source: 'MEASURING_EQUIPMENT', equipmentId: 'meter-lhr-7' });
    expect(await ingestOk(ex, records, meter)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const op = await operatorToken(ex);
    const stored = await usageRecords(ex, { source: 'MEASURING_EQUIPMENT' }, op);
    expect(stored.map((u) => [u.recordId, u.reportedBy, u.equipmentId, u.requestId, u.status])).toEqual([
      ['m7-1', 'METER:meter-lhr-7', 'meter-lhr-7', a.requestId, 'RATED'],
      ['m7-2', 'METER:meter-lhr-7', 'meter-lhr-7', a.requestId, 'RATED'],
    ]);
    expect(await rated(ex, a, op)).toEqual(TWO_CALLS_RATED);
    const [bill] = await billsOfPeriod(ex, a, op);
    expect(bill).toMatchObject({ request: { id: a.requestId }, recordCount: 2, total: { amount: '2.30' } });
  });

  it('refuses a meter\'s records for buyers it is not registered for, and unregistered meters', async () => {
    const foreign = voiceUsage(a, { id: 'm7-x', seconds: 60, buyerId: 'buyer-9', source: 'MEASURING_EQUIPMENT', equipmentId: 'meter-lhr-7' });
    expect(codes(await ingest(ex, [foreign], meter))).toEqual(['FORBIDDEN']);
    const rogue = await ex.billToken('METER', 'meter-rogue');
    expect(codes(await ingest(ex, [voiceUsage(a, { id: 'r-1', seconds: 60, source: 'MEASURING_EQUIPMENT' })], rogue))).toEqual(['FORBIDDEN']);
  });
});
