// Claim 38 (on claim 31): the billing computer "receives telecommunication service usage data by
// querying telecommunication equipment measuring" the buyer's service.
import { agentToken, billsOfPeriod, callOk, FEED, measuringEquipment, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, voiceUsage, type Exchange } from './support/scenario';

describe('claim 38: the billing computer queries the measuring equipment on demand', () => {
  let ex: Exchange;
  beforeAll(async () => {
    // no background poller: every query is the agent's explicit pollUsageFeed
    ex = await startExchange({ billing: { WORKERS: 'false' } });
  });
  afterAll(() => ex?.stop());

  it('queries over HTTP, retries after a failed query and resumes from its cursor', async () => {
    const a = await runAuction(ex);
    const equipment = await measuringEquipment(ex, twoCalls(a, { prefix: 'q' }).map(({ source: _s, ...r }) => r), 1);
    const agent = await agentToken(ex);
    const feed = (await callOk(ex.billingApi, `mutation($i: UsageFeedInput!) { registerUsageFeed(input: $i) { ${FEED} } }`, { i: { url: equipment.url, equipmentId: 'probe-9', intervalSeconds: 300 } }, agent)).registerUsageFeed;
    const poll = async () => (await callOk(ex.billingApi, `mutation($id: ID!) { pollUsageFeed(id: $id) { ${FEED} } }`, { id: feed.id }, agent)).pollUsageFeed;

    equipment.failNext = 1;
    expect(await poll()).toMatchObject({ cursor: null, lastError: 'feed answered HTTP 503', consecutiveFailures: 1, acceptedTotal: 0 });
    const ok = await poll();
    expect(equipment.cursors).toEqual([null, null, '1', '2']);
    expect(ok).toMatchObject({ cursor: '2', lastError: null, consecutiveFailures: 0, acceptedTotal: 2, duplicatesTotal: 0 });
    expect(await rated(ex, a, agent)).toEqual(TWO_CALLS_RATED);

    // a new measurement appears; the next query reads only it
    const { source: _s, ...third } = voiceUsage(a, { id: 'q-3', seconds: 30, atMin: 20 });
    equipment.records.push(third);
    const later = await poll();
    expect(equipment.cursors.slice(4)).toEqual(['2', '3']);
    expect(later).toMatchObject({ cursor: '3', acceptedTotal: 3, duplicatesTotal: 0 });
    expect((await billsOfPeriod(ex, a, agent))[0].recordCount).toBe(3);
  });
});
