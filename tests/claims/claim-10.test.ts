// Claim 10 (on claim 9): "the billing computer transmits a bill to the Buyer and the first Carrier".
import { agentToken, billDelivered, billsOfPeriod, deliverySummary, ingestOk, party, runAuction, signatureValid, startExchange, twoCalls, webhookEndpoint, type Exchange } from './support/scenario';

describe('claim 10: the billing computer transmits each bill to the buyer and the first carrier (signed webhooks)', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('posts every bill, HMAC-signed, to the buyer\'s and the carrier\'s registered endpoints', async () => {
    const secrets = { buyer: 'buyer-secret-0123456789', carrier: 'carrier-secret-0123456789' };
    const buyerHook = await webhookEndpoint(ex, await party(ex, 'BUYER', 'buyer-1'), secrets.buyer);
    const carrierHook = await webhookEndpoint(ex, await party(ex, 'CARRIER', 'carrier-low'), secrets.carrier);
    const loserHook = await webhookEndpoint(ex, await party(ex, 'CARRIER', 'carrier-high'), 'loser-secret-0123456789');

    const a = await runAuction(ex);
    const agent = await agentToken(ex);
    await ingestOk(ex, twoCalls(a), agent);
    const [periodic] = await billsOfPeriod(ex, a, agent);

    for (const b of [a.advanceBill, periodic]) {
      const [toBuyer, toCarrier] = await Promise.all([buyerHook.forBill(b.id), carrierHook.forBill(b.id)]);
      for (const [hit, secret] of [[toBuyer, secrets.buyer], [toCarrier, secrets.carrier]] as const) {
        expect(hit.payload).toMatchObject({ type: 'bill.issued', bill: { id: b.id, number: b.number, kind: b.kind, buyerId: 'buyer-1', carrierId: 'carrier-low', requestId: a.requestId, total: b.total } });
        expect(signatureValid(secret, hit.signature, hit.body)).toBe(true);
        expect(signatureValid('someone-elses-secret-0', hit.signature, hit.body)).toBe(false);
      }
      const delivered = await billDelivered(ex, b.id, agent, 'WEBHOOK');
      expect(deliverySummary(delivered).filter((d: string) => d.includes('WEBHOOK'))).toEqual(['BUYER:buyer-1:WEBHOOK/DIRECT:DELIVERED', 'CARRIER:carrier-low:WEBHOOK/DIRECT:DELIVERED']);
    }
    expect(loserHook.hits).toEqual([]);
  });
});
