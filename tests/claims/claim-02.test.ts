// Claim 2 (on claim 1): "the Moderator transmits a bill to the Buyer and the first Carrier".
import { billsOfPeriod, callOk, deliverySummary, followBills, ingestOk, nextEvent, operatorToken, party, runAuction, sleep, startExchange, twoCalls, type Exchange } from './support/scenario';

describe('claim 2: the Moderator (adjunct billing) transmits the bill to the buyer and the first carrier', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('pushes each bill to the buyer and the selected carrier only, and records both deliveries', async () => {
    // buyer, first carrier and the losing carrier follow their bills through the gateway
    const [buyer, low, high] = await Promise.all([party(ex, 'BUYER', 'buyer-1'), party(ex, 'CARRIER', 'carrier-low'), party(ex, 'CARRIER', 'carrier-high')]);
    const subs = { buyer: await followBills(ex, buyer), carrier: await followBills(ex, low), loser: await followBills(ex, high) };

    const a = await runAuction(ex);
    const advance = { id: a.advanceBill.id, number: a.advanceBill.number, kind: 'ADVANCE', buyer: { id: 'buyer-1' }, carrier: { id: 'carrier-low' }, request: { id: a.requestId }, total: { amount: '1.00', currency: 'USD' } };
    expect((await nextEvent(subs.buyer, 'ADVANCE bill at the buyer')).billIssued).toEqual(advance);
    expect((await nextEvent(subs.carrier, 'ADVANCE bill at the first carrier')).billIssued).toEqual(advance);
    expect(deliverySummary(a.advanceBill)).toEqual([
      'BUYER:buyer-1:SUBSCRIPTION/DIRECT:DELIVERED',
      'BUYER:buyer-1:WEBSITE/DIRECT:DELIVERED',
      'CARRIER:carrier-low:SUBSCRIPTION/DIRECT:DELIVERED',
      'CARRIER:carrier-low:WEBSITE/DIRECT:DELIVERED',
    ]);

    // the usage bill of the period goes the same way
    const op = await operatorToken(ex);
    await ingestOk(ex, twoCalls(a), op);
    const [periodic] = await billsOfPeriod(ex, a, op);
    expect((await nextEvent(subs.buyer, 'PERIODIC bill at the buyer')).billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC', total: { amount: '2.30' } });
    expect((await nextEvent(subs.carrier, 'PERIODIC bill at the first carrier')).billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC' });
    await sleep(100); // a look-out for an event that must NOT come (an absence has no event)
    expect(subs.loser.events).toEqual([]); // the losing carrier never receives the buyer's bills

    // both parties find both bills in their own bill lists
    const q = `{ bills(first: 10) { nodes { id } } }`;
    for (const p of [buyer, low]) {
      const ids = (await callOk(ex.billingApi, q, {}, p.billToken)).bills.nodes.map((n: any) => n.id);
      expect(ids.sort()).toEqual([a.advanceBill.id, periodic.id].sort());
    }
  });
});
