// Claim 35 (on claim 31): "the billing computer receives the telecommunication service usage data
// from the Buyer's local exchange carrier".
import { agentToken, billsOfPeriod, callOk, ingestOk, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageReporter, voiceUsage, type Exchange } from './support/scenario';

describe('claim 35: the buyer\'s local exchange carrier reports usage to the billing computer', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('bills the LEC\'s good records and keeps a bad one with its reason', async () => {
    const a = await runAuction(ex);
    const agent = await agentToken(ex);
    const lec = await usageReporter(ex, 'LEC', 'lec-metro', ['buyer-1'], agent);
    const bad = { ...voiceUsage(a, { id: 'lec-bad', seconds: 60, source: 'LOCAL_EXCHANGE_CARRIER' }), quantity: '61.5' };
    const out = await ingestOk(ex, [...twoCalls(a, { prefix: 'lec', source: 'LOCAL_EXCHANGE_CARRIER' }), bad], lec);
    expect(out).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 2, recordId: 'lec-bad', field: 'quantity' }] });
    const kept = (await callOk(ex.billingApi, `{ rejectedUsage(filter: { source: LOCAL_EXCHANGE_CARRIER }) { nodes { recordId field reason reportedBy } } }`, {}, agent)).rejectedUsage.nodes;
    expect(kept).toEqual([{ recordId: 'lec-bad', field: 'quantity', reason: expect.stringContaining('quantity'), reportedBy: 'LEC:lec-metro' }]);
    expect(await rated(ex, a, agent)).toEqual(TWO_CALLS_RATED);
    expect((await billsOfPeriod(ex, a, agent))[0]).toMatchObject({ recordCount: 2, total: { amount: '2.30' } });
  });
});
