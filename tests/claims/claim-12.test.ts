// Claim 12 (on claim 9): "the billing computer transmits the bill to the Moderator and the
// Moderator transmits the bill to the Buyer and the first Carrier".
import { agentToken, billDelivered, callOk, deliverySummary, fetchDocument, nextEvent, party, runAuction, sleep, startExchange, subscribeReady, TOPIC_BILL_RELAYED, type Exchange } from './support/scenario';

const RELAYED = `subscription { billRelayed { billId billNumber kind buyerId carrierId requestId total { amount currency } url } }`;

describe('claim 12: bills travel billing computer → Moderator → buyer and first carrier', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true, billing: { BILL_DELIVERY_PATH: 'VIA_MODERATOR' } });
  });
  afterAll(() => ex?.stop());

  it('relays the bill through the Moderator, which pushes it to the buyer and the carrier only', async () => {
    const [buyer, low, high] = await Promise.all([party(ex, 'BUYER', 'buyer-1'), party(ex, 'CARRIER', 'carrier-low'), party(ex, 'CARRIER', 'carrier-high')]);
    const subs = [];
    for (const p of [buyer, low, high]) subs.push(await subscribeReady(ex, 'moderator', TOPIC_BILL_RELAYED, p.token, RELAYED));
    const a = await runAuction(ex);
    const b = a.advanceBill;

    // billing hands the bill to the Moderator for each recipient: the deliveries show the path
    const delivered = await billDelivered(ex, b.id, await agentToken(ex), 'MODERATOR_RELAY');
    expect(deliverySummary(delivered).filter((d: string) => d.includes('MODERATOR_RELAY'))).toEqual([
      'BUYER:buyer-1:MODERATOR_RELAY/VIA_MODERATOR:DELIVERED',
      'CARRIER:carrier-low:MODERATOR_RELAY/VIA_MODERATOR:DELIVERED',
    ]);

    // the Moderator transmits it to the buyer and the first carrier
    const expected = { billId: b.id, billNumber: b.number, kind: 'ADVANCE', buyerId: 'buyer-1', carrierId: 'carrier-low', requestId: a.requestId, total: { amount: '1', currency: 'USD' } };
    for (const sub of subs.slice(0, 2)) expect((await nextEvent(sub, 'billRelayed')).billRelayed).toMatchObject(expected);
    const q = `{ billRelays { billId recipients url } }`;
    for (const p of [buyer, low]) expect((await callOk(ex.moderatorApi, q, {}, p.token)).billRelays).toEqual([{ billId: b.id, recipients: ['buyer-1', 'carrier-low'], url: expect.stringContaining(`/bills/${b.id}`) }]);
    expect((await callOk(ex.moderatorApi, q, {}, high.token)).billRelays).toEqual([]);
    await sleep(100); // a look-out for an event that must NOT come (an absence has no event)
    expect(subs[2].events).toEqual([]);
    // the relayed link opens the posted bill for the recipients
    const url = (await callOk(ex.moderatorApi, q, {}, buyer.token)).billRelays[0].url;
    expect((await fetchDocument(url, buyer.billToken)).status).toBe(200);
    expect((await fetchDocument(url, low.billToken)).status).toBe(200);
  });
});
