// Claim 9: after the bidding, the Moderator transmits request, buyer, first carrier and incentive to a billing
// computer, which produces and stores a billing record and generates a bill for the request.
import { agentToken, billingDelivery, billsOfPeriod, callOk, ingestOk, rated, runAuction, startExchange, twoCalls, TWO_CALLS_RATED, type Auction, type Exchange } from './support/scenario';

describe('claim 9: the Moderator transmits the selection to a billing computer, which bills the request', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex, { watch: true });
  });
  afterAll(() => ex?.stop());

  it('a.–e. request distributed, incentives received, stored and broadcast, first carrier selected', async () => {
    expect(a.observed.distributed).toMatchObject({ request: { id: a.requestId } });
    expect(a.observed.broadcast).toMatchObject({ board: { view: 'ANONYMOUS', bestRate: '0.6', entries: [{ carrier: null, ratePerUnit: '0.6' }] } });
    expect(a.ranking[0]).toMatchObject({ rank: 1, bid: { carrier: { id: 'carrier-low' } } });
    expect(a.routed.carrier).toEqual({ id: 'carrier-low' });
  });

  it('f. the Moderator transmits request, buyer, first carrier and incentive to the billing computer', async () => {
    const admin = await ex.modToken('ADMIN', 'moderator-operator');
    const sel = (await callOk(ex.moderatorApi, `query($id: ID!) { selection(id: $id) { request { id } carrier { id } incentive { ratePerUnit tiers { fromQuantity ratePerUnit } } } }`, { id: a.selectionId }, admin)).selection;
    expect(await billingDelivery(ex, a.selectionId)).toEqual({ state: 'DELIVERED', attempts: 1, lastError: null });
    expect(a.selectionRecord).toMatchObject({ id: a.selectionId, requestId: sel.request.id, buyerId: 'buyer-1', carrierId: sel.carrier.id, incentive: { ratePerUnit: sel.incentive.ratePerUnit, tiers: sel.incentive.tiers } });
  });

  it('g. the billing computer processes it into billing records stored in its billing database', async () => {
    // the selection itself is billed at once (advance), and the usage of the routed calls is rated under it
    expect(a.advanceBill.lines.map((l: any) => [l.kind, l.quantity, l.amount])).toEqual([['USAGE', '2', '1.000000']]);
    const agent = await agentToken(ex);
    await ingestOk(ex, twoCalls(a), agent);
    expect(await rated(ex, a, agent)).toEqual(TWO_CALLS_RATED);
    expect(await ex.billing.models.BillingRecord.countDocuments({ requestId: a.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low' })).toBe(2);
  });

  it('h. the billing computer generates the bill for the service associated with the request', async () => {
    const bills = await billsOfPeriod(ex, a, await agentToken(ex));
    expect(bills.map((b) => [b.kind, b.request?.id, b.carrier.id, b.recordCount, b.total.amount])).toEqual([['PERIODIC', a.requestId, 'carrier-low', 2, '2.30']]);
  });
});
