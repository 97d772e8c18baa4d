// Claim 43 (on claim 31): the billing computer receives usage "from telecommunication equipment
// measuring telecommunication service provided to an end user served by a Buyer who is a reseller".
import { agentToken, billsOfPeriod, callOk, until, FEED, measuringEquipment, runAuction, startExchange, usageRecords, voiceUsage, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 43: equipment at a reseller\'s end users is read by the billing computer', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('pulls the end users\' measurements and bills the reseller with per-end-user subtotals', async () => {
    const a = await runAuction(ex, { buyer: RESELLER, endUserId: 'hotel' });
    const strip = ({ source: _s, ...r }: Record<string, unknown>) => r;
    const equipment = await measuringEquipment(ex, [
      strip(voiceUsage(a, { id: 'gw-1', seconds: 90, endUserId: 'hotel' })),
      strip(voiceUsage(a, { id: 'gw-2', seconds: 30, atMin: 4, endUserId: 'clinic' })),
      strip(voiceUsage(a, { id: 'gw-3', seconds: 60, atMin: 6, endUserId: 'hotel' })),
    ]);
    const agent = await agentToken(ex);
    const feed = (await callOk(ex.billingApi, `mutation($i: UsageFeedInput!) { registerUsageFeed(input: $i) { ${FEED} } }`, { i: { url: equipment.url, equipmentId: 'reseller-gw-1', buyerIds: ['reseller-1'], intervalSeconds: 3600 } }, agent)).registerUsageFeed;
    await until(async () => (await callOk(ex.billingApi, `query($id: ID!) { usageFeed(id: $id) { acceptedTotal } }`, { id: feed.id }, agent)).usageFeed.acceptedTotal === 3, 'the feed poll');
    const usage = await usageRecords(ex, { buyerId: 'reseller-1' }, agent);
    expect(usage.map((u) => [u.recordId, u.source, u.equipmentId, u.endUserId, u.requestId])).toEqual([
      ['gw-1', 'MEASURING_EQUIPMENT', 'reseller-gw-1', 'hotel', a.requestId],
      ['gw-2', 'MEASURING_EQUIPMENT', 'reseller-gw-1', 'clinic', a.requestId],
      ['gw-3', 'MEASURING_EQUIPMENT', 'reseller-gw-1', 'hotel', a.requestId],
    ]);
    const [b] = await billsOfPeriod(ex, a, agent);
    expect(b.endUserSubtotals.map((s: any) => [s.endUserId, s.amount])).toEqual([['clinic', '0.250000'], ['hotel', '1.250000']]);
    expect(b.total.amount).toBe('0.50'); // 1.50 - 1.00 advance
  });
});
