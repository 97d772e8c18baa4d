// Claim 11 (on claim 10): the billing computer's bill reaches the Buyer and the first Carrier
// "prior to the specific future time interval".
import { agentToken, billDelivered, party, runAuction, startExchange, webhookEndpoint, type Exchange } from './support/scenario';

describe('claim 11: the billing computer delivers the bill to buyer and carrier before the interval', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('has the ADVANCE bill at both webhook endpoints before interval.start', async () => {
    const buyerHook = await webhookEndpoint(ex, await party(ex, 'BUYER', 'buyer-1'), 'buyer-secret-0123456789');
    const carrierHook = await webhookEndpoint(ex, await party(ex, 'CARRIER', 'carrier-low'), 'carrier-secret-0123456789');
    const a = await runAuction(ex);
    const start = Date.parse(a.interval.start);
    for (const hook of [buyerHook, carrierHook]) {
      const hit = await hook.forBill(a.advanceBill.id);
      expect(hit.at).toBeLessThan(start);
      expect(hit.payload.bill).toMatchObject({ kind: 'ADVANCE', period: { start: new Date(start).toISOString() }, total: { amount: '1.00', currency: 'USD' } });
      expect(Date.parse(hit.payload.bill.issuedAt)).toBeLessThan(start);
    }
    const delivered = await billDelivered(ex, a.advanceBill.id, await agentToken(ex), 'WEBHOOK');
    const hooks = delivered.deliveries.filter((d: any) => d.channel === 'WEBHOOK');
    expect(hooks.map((d: any) => d.recipientId).sort()).toEqual(['buyer-1', 'carrier-low']);
    for (const d of hooks) expect(Date.parse(d.deliveredAt)).toBeLessThan(start);
  });
});
