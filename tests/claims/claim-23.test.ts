// Claim 23 (on claim 19): the moderating computer "receives the telecommunication service usage
// data from the first Carrier".
import { billsOfPeriod, codes, ingest, ingestOk, operatorToken, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageRecords, type Auction, type Exchange } from './support/scenario';

describe('claim 23: the first carrier reports the usage it carried, and the moderating computer bills it', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('rates the first carrier\'s own records under its winning incentive', async () => {
    expect(await ingestOk(ex, twoCalls(a, { prefix: 'cdr', source: 'CARRIER' }), a.winner.billToken)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const op = await operatorToken(ex);
    expect((await usageRecords(ex, { source: 'CARRIER' }, op)).map((u) => [u.recordId, u.reportedBy, u.carrierId, u.requestId])).toEqual([
      ['cdr-1', 'CARRIER:carrier-low', 'carrier-low', a.requestId],
      ['cdr-2', 'CARRIER:carrier-low', 'carrier-low', a.requestId],
    ]);
    expect(await rated(ex, a, op)).toEqual(TWO_CALLS_RATED);
    expect((await billsOfPeriod(ex, a, op))[0]).toMatchObject({ carrier: { id: 'carrier-low' }, total: { amount: '2.30' } });
  });

  it('never lets another carrier report the first carrier\'s traffic', async () => {
    const r = await ingest(ex, twoCalls(a, { prefix: 'fake', source: 'CARRIER' }), a.loser.billToken);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(await usageRecords(ex, { recordId: 'fake-1' }, await operatorToken(ex))).toEqual([]);
  });
});
