// Claim 6 (on claim 5): "transferring payment from the Buyer to the Moderator and from the
// Moderator to the first Carrier".
import { callOk, moderatorCredential, PAY, runAuction, startExchange, type Auction, type Exchange } from './support/scenario';

describe('claim 6: the buyer pays through the Moderator, which pays the first carrier', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('posts buyer → moderator and moderator → carrier as two ledger legs', async () => {
    // the Moderator received the buyer's money and records it (its own credential)
    const p = (await callOk(ex.billingApi, PAY, { i: { billId: a.advanceBill.id, amount: '1.00', path: 'VIA_MODERATOR', paymentId: 'mod-settle-1' } }, await moderatorCredential(ex))).recordPayment;
    expect(p).toMatchObject({ path: 'VIA_MODERATOR', recordedBy: 'MODERATOR:moderator', amount: { amount: '1.00', currency: 'USD' } });
    expect(p.ledgerEntries).toEqual([
      { event: 'PAYMENT_BUYER_TO_MODERATOR', account: 'moderator:clearing', amount: '1.00', currency: 'USD' },
      { event: 'PAYMENT_BUYER_TO_MODERATOR', account: 'buyer:buyer-1:receivable', amount: '-1.00', currency: 'USD' },
      { event: 'PAYMENT_MODERATOR_TO_CARRIER', account: 'carrier:carrier-low:payable', amount: '1.00', currency: 'USD' },
      { event: 'PAYMENT_MODERATOR_TO_CARRIER', account: 'moderator:clearing', amount: '-1.00', currency: 'USD' },
    ]);
  });

  it('leaves nothing in the moderator\'s clearing account and shows the carrier paid via the Moderator', async () => {
    const ledger = (await callOk(ex.billingApi, `query($id: ID!) { ledgerEntries(billId: $id) { account amount } }`, { id: a.advanceBill.id }, a.winner.billToken)).ledgerEntries;
    const cents = (acct: string) => ledger.filter((l: any) => l.account === acct).reduce((s: number, l: any) => s + Math.round(Number(l.amount) * 100), 0);
    expect(cents('moderator:clearing')).toBe(0);
    expect(cents('buyer:buyer-1:receivable')).toBe(0); // issued +1.00, paid -1.00
    const period = { start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() };
    const st = (await callOk(ex.billingApi, `query($p: IntervalInput!) { settlementStatement(carrierId: "carrier-low", period: $p) { totals { billed receivedDirect receivedViaModerator outstanding } } }`, { p: period }, a.winner.billToken)).settlementStatement;
    expect(st.totals).toEqual([{ billed: '1.00', receivedDirect: '0.00', receivedViaModerator: '1.00', outstanding: '0.00' }]);
  });
});
