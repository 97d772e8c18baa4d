// Claim 36 (on claim 31): "the billing computer receives the telecommunication service usage data
// from the first Carrier".
import { agentToken, billsOfPeriod, ingestOk, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageRecords, type Exchange } from './support/scenario';

describe('claim 36: the first carrier reports its traffic to the billing computer', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('bills the first carrier\'s CDRs once, however often they are re-sent', async () => {
    const a = await runAuction(ex);
    const [c1, c2] = twoCalls(a, { prefix: 'cdr', source: 'CARRIER' });
    expect(await ingestOk(ex, [c1], a.winner.billToken)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await ingestOk(ex, [c1, c2], a.winner.billToken)).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    const agent = await agentToken(ex);
    expect((await usageRecords(ex, { carrierId: 'carrier-low' }, agent)).map((u) => [u.recordId, u.source, u.reportedBy])).toEqual([
      ['cdr-1', 'CARRIER', 'CARRIER:carrier-low'],
      ['cdr-2', 'CARRIER', 'CARRIER:carrier-low'],
    ]);
    expect(await rated(ex, a, agent)).toEqual(TWO_CALLS_RATED);
    // the carrier sees its own usage too
    expect((await usageRecords(ex, {}, a.winner.billToken)).map((u) => u.recordId)).toEqual(['cdr-1', 'cdr-2']);
    expect((await billsOfPeriod(ex, a, agent))[0].total.amount).toBe('2.30');
  });
});
