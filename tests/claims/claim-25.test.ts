// Claim 25 (on claim 19): the moderating computer "receives telecommunication service usage data by
// querying the telecommunication equipment measuring" the buyer's service.
import { billsOfPeriod, callOk, until, FEED, measuringEquipment, operatorToken, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, voiceUsage, type Exchange } from './support/scenario';

describe('claim 25: the moderating computer queries the measuring equipment for usage', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('polls the equipment over HTTP on its schedule, page by page with a cursor, and bills what it read', async () => {
    const a = await runAuction(ex);
    // the equipment keeps its own records (no source: it is measuring equipment) and serves them on request
    const calls = [...twoCalls(a, { prefix: 'eq' }), voiceUsage(a, { id: 'eq-3', seconds: 6, atMin: 40 })].map(({ source: _s, ...r }) => r);
    const equipment = await measuringEquipment(ex, calls, 2);
    const op = await operatorToken(ex);
    const feed = (await callOk(ex.billingApi, `mutation($i: UsageFeedInput!) { registerUsageFeed(input: $i) { ${FEED} } }`, { i: { url: equipment.url, equipmentId: 'probe-lhr-1', buyerIds: ['buyer-1'], intervalSeconds: 3600 } }, op)).registerUsageFeed;
    // the billing worker queries it by itself, at once, then hourly
    const polled = await until(async () => {
      const f = (await callOk(ex.billingApi, `query($id: ID!) { usageFeed(id: $id) { ${FEED} } }`, { id: feed.id }, op)).usageFeed;
      return f.acceptedTotal === 3 ? f : null;
    }, 'the scheduled poll');
    expect(equipment.cursors).toEqual([null, '2', '3']);
    expect(polled).toMatchObject({ cursor: '3', lastError: null, duplicatesTotal: 0, rejectedTotal: 0 });
    expect(Date.parse(polled.nextPollAt) - Date.parse(polled.lastSuccessAt)).toBeGreaterThan(3_500_000);

    // records read from the equipment are tagged with it and rated to the request (6 s bills the 30 s minimum)
    const recs = await rated(ex, a, op);
    expect(recs.slice(0, 2)).toEqual(TWO_CALLS_RATED);
    expect(recs[2]).toEqual({ amount: '0.200000', segments: [{ tierIndex: 1, ratePerUnit: '0.4', quantity: '0.5', amount: '0.200000' }] });
    const usage = (await callOk(ex.billingApi, `{ usageRecords(first: 10) { nodes { recordId source equipmentId } } }`, {}, op)).usageRecords.nodes;
    expect(usage.map((u: any) => [u.recordId, u.source, u.equipmentId])).toEqual([['eq-1', 'MEASURING_EQUIPMENT', 'probe-lhr-1'], ['eq-2', 'MEASURING_EQUIPMENT', 'probe-lhr-1'], ['eq-3', 'MEASURING_EQUIPMENT', 'probe-lhr-1']]);

    // a query on demand resumes at the cursor: nothing is read twice
    const again = (await callOk(ex.billingApi, `mutation($id: ID!) { pollUsageFeed(id: $id) { ${FEED} } }`, { id: feed.id }, op)).pollUsageFeed;
    expect(equipment.cursors.slice(3)).toEqual(['3']);
    expect(again).toMatchObject({ acceptedTotal: 3, duplicatesTotal: 0 });
    expect((await billsOfPeriod(ex, a, op))[0].recordCount).toBe(3);
  });
});
