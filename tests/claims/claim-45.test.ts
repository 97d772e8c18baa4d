// Claim 45 (on claim 31): "the billing computer is a computer adjunct to the moderating computer".
import { agentToken, billsOfPeriod, callOk, ingestOk, PAY, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

describe('claim 45: the billing computer adjunct to the moderating computer, one system for its users', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex);
    await ingestOk(ex, twoCalls(a), await agentToken(ex));
    await billsOfPeriod(ex, a, await agentToken(ex));
  });
  afterAll(() => ex?.stop());

  it('runs on the moderating computer\'s host', () => {
    expect(new URL(ex.billing.url).hostname).toBe(new URL(ex.moderator.url).hostname);
  });

  it('adds bills and balances to the moderating computer\'s buyer and carrier in one API', async () => {
    const buyerView = `{ buyer(id: "buyer-1") { id name bills(first: 5) { nodes { kind total { amount } } } balance { amount currency } } }`;
    const before = (await callOk(ex.moderatorApi, buyerView, {}, a.buyer.token)).buyer;
    expect(before).toMatchObject({ id: 'buyer-1', name: 'Buyer buyer-1', balance: [{ amount: '3.30', currency: 'USD' }] });
    expect(before.bills.nodes.map((b: any) => [b.kind, b.total.amount]).sort()).toEqual([['ADVANCE', '1.00'], ['PERIODIC', '2.30']]);

    const periodic = before.bills.nodes.find((b: any) => b.kind === 'PERIODIC');
    const ids = (await callOk(ex.moderatorApi, `{ bills(filter: { kind: PERIODIC }) { nodes { id } } }`, {}, a.buyer.token)).bills.nodes;
    await callOk(ex.moderatorApi, PAY, { i: { billId: ids[0].id, amount: periodic.total.amount, path: 'DIRECT', paymentId: 'claim45-periodic' } }, a.buyer.token);
    const carrierView = `{ carrier(id: "carrier-low") { id name coverage receivables { amount currency } bills(first: 5) { nodes { kind status buyer { id } } } } }`;
    const carrier = (await callOk(ex.moderatorApi, carrierView, {}, a.winner.token)).carrier;
    expect(carrier).toMatchObject({ id: 'carrier-low', name: 'Carrier carrier-low', coverage: ['33', '44'], receivables: [{ amount: '1.00', currency: 'USD' }] });
    expect(carrier.bills.nodes.map((b: any) => [b.kind, b.status]).sort()).toEqual([['ADVANCE', 'ISSUED'], ['PERIODIC', 'PAID']]);
  });
});
