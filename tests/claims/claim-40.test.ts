// Claim 40 (on claim 31): "the billing computer transmits a bill to the Buyer and the first Carrier".
import { agentToken, billDelivered, billsOfPeriod, followBills, ingestOk, nextEvent, runAuction, signatureValid, startExchange, twoCalls, webhookEndpoint, type Exchange } from './support/scenario';

describe('claim 40: the billing computer transmits the period\'s bill to the buyer and the first carrier', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('delivers it on every channel to both: website, subscription and signed webhook', async () => {
    const a = await runAuction(ex);
    const hooks = { buyer: await webhookEndpoint(ex, a.buyer, 'buyer-secret-0123456789'), carrier: await webhookEndpoint(ex, a.winner, 'carrier-secret-0123456789') };
    const subs = { buyer: await followBills(ex, a.buyer), carrier: await followBills(ex, a.winner) };
    const agent = await agentToken(ex);
    await ingestOk(ex, twoCalls(a), agent);
    const [periodic] = await billsOfPeriod(ex, a, agent);

    expect((await nextEvent(subs.buyer, 'bill at the buyer')).billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC' });
    expect((await nextEvent(subs.carrier, 'bill at the carrier')).billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC' });
    const atBuyer = await hooks.buyer.forBill(periodic.id);
    const atCarrier = await hooks.carrier.forBill(periodic.id);
    expect(signatureValid('buyer-secret-0123456789', atBuyer.signature, atBuyer.body)).toBe(true);
    expect(signatureValid('carrier-secret-0123456789', atCarrier.signature, atCarrier.body)).toBe(true);
    expect(atCarrier.payload.bill).toMatchObject({ id: periodic.id, total: { amount: '2.30', currency: 'USD' }, documentUrls: { pdf: expect.stringContaining(`/bills/${periodic.id}.pdf?`) } });

    const delivered = await billDelivered(ex, periodic.id, agent, 'WEBHOOK');
    const channels = (role: string) => delivered.deliveries.filter((d: any) => d.recipientRole === role && d.state === 'DELIVERED').map((d: any) => d.channel).sort();
    expect(channels('BUYER')).toEqual(['SUBSCRIPTION', 'WEBHOOK', 'WEBSITE']);
    expect(channels('CARRIER')).toEqual(['SUBSCRIPTION', 'WEBHOOK', 'WEBSITE']);
  });
});
