// Claim 33 (on claim 31): "the billing computer receives the telecommunication service usage data
// from the moderating computer".
import { agentToken, billsOfPeriod, ingestOk, moderatorCredential, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, usageRecords, type Exchange } from './support/scenario';

describe('claim 33: usage sent by the moderating computer is billed by the billing computer', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('accepts MODERATOR-sourced usage on the Moderator\'s credential and bills it', async () => {
    const a = await runAuction(ex);
    const mod = await moderatorCredential(ex);
    const records = twoCalls(a, { prefix: 'mod', source: 'MODERATOR' });
    expect(await ingestOk(ex, records, mod)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    // a re-sent batch (the Moderator retrying) is recognised, never billed twice
    expect(await ingestOk(ex, records, mod)).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    const agent = await agentToken(ex);
    expect((await usageRecords(ex, { source: 'MODERATOR' }, agent)).map((u) => [u.recordId, u.reportedBy, u.requestId])).toEqual([
      ['mod-1', 'MODERATOR:moderator', a.requestId],
      ['mod-2', 'MODERATOR:moderator', a.requestId],
    ]);
    expect(await rated(ex, a, agent)).toEqual(TWO_CALLS_RATED);
    expect((await billsOfPeriod(ex, a, agent))[0]).toMatchObject({ recordCount: 2, total: { amount: '2.30' } });
  });
});
