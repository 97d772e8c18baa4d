// Claim 27 (on claim 19): "the moderating computer transmits a bill to the Buyer and the first Carrier".
import { deliverySummary, followBills, ingestOk, nextEvent, operatorToken, runAuction, startExchange, billsOfPeriod, twoCalls, callOk, type Auction, type Exchange } from './support/scenario';

describe('claim 27: the moderating computer transmits the usage bill of the period to buyer and first carrier', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex);
    await ingestOk(ex, twoCalls(a), await operatorToken(ex));
  });
  afterAll(() => ex?.stop());

  it('pushes the PERIODIC bill to both parties and lists it for both', async () => {
    const subs = [await followBills(ex, a.buyer), await followBills(ex, a.winner)];
    const [bill] = await billsOfPeriod(ex, a, await operatorToken(ex));
    for (const sub of subs) {
      expect((await nextEvent(sub, 'PERIODIC bill')).billIssued).toEqual({ id: bill.id, number: bill.number, kind: 'PERIODIC', buyer: { id: 'buyer-1' }, carrier: { id: 'carrier-low' }, request: { id: a.requestId }, total: { amount: '2.30', currency: 'USD' } });
    }
    expect(deliverySummary(bill)).toEqual([
      'BUYER:buyer-1:SUBSCRIPTION/DIRECT:DELIVERED',
      'BUYER:buyer-1:WEBSITE/DIRECT:DELIVERED',
      'CARRIER:carrier-low:SUBSCRIPTION/DIRECT:DELIVERED',
      'CARRIER:carrier-low:WEBSITE/DIRECT:DELIVERED',
    ]);
    const q = `{ bills(filter: { kind: PERIODIC }, first: 5) { nodes { id outstanding { amount } } } }`;
    for (const p of [a.buyer, a.winner]) expect((await callOk(ex.billingApi, q, {}, p.billToken)).bills.nodes).toEqual([{ id: bill.id, outstanding: { amount: '2.30' } }]);
    expect((await callOk(ex.billingApi, q, {}, a.loser.billToken)).bills.nodes).toEqual([]);
  });
});
