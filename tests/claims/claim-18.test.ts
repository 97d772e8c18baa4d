// Claim 18 (on claim 9): "the billing computer is a computer adjunct to the Moderator".
import { agentToken, billingDelivery, callOk, ingestOk, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

describe('claim 18: the billing computer runs adjunct to the Moderator, as one system', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex);
    await ingestOk(ex, twoCalls(a), await agentToken(ex));
  });
  afterAll(() => ex?.stop());

  it('sits on the Moderator\'s host and receives its selections there', async () => {
    const moderatorHost = new URL(ex.moderator.url).hostname;
    expect(new URL(ex.billing.url).hostname).toBe(moderatorHost);
    expect(await billingDelivery(ex, a.selectionId)).toEqual({ state: 'DELIVERED', attempts: 1, lastError: null });
  });

  it('extends the Moderator\'s own records: one query returns the request, its selection and its billing', async () => {
    const r = (
      await callOk(
        ex.moderatorApi,
        `query($id: ID!) { serviceRequest(id: $id) { id status selection { carrier { id } } billCount bills { kind total { amount } }
          billingRecords(first: 10) { nodes { amount { amount } request { status } } } usageSummary { serviceType records billableQuantity amount { amount currency } } } }`,
        { id: a.requestId },
        a.buyer.token,
      )
    ).serviceRequest;
    expect(r).toMatchObject({ id: a.requestId, status: 'AWARDED', selection: { carrier: { id: 'carrier-low' } }, billCount: 1, bills: [{ kind: 'ADVANCE', total: { amount: '1.00' } }] });
    expect(r.billingRecords.nodes).toEqual([
      { amount: { amount: '2.000000' }, request: { status: 'AWARDED' } },
      { amount: { amount: '1.300000' }, request: { status: 'AWARDED' } },
    ]);
    expect(r.usageSummary).toEqual([{ serviceType: 'VOICE', records: 2, billableQuantity: '7', amount: { amount: '3.300000', currency: 'USD' } }]);
  });
});
