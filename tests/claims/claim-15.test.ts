// Claim 15 (on claim 14): payment "from the Buyer to the Moderator and from the Moderator to the
// first Carrier".
import { agentToken, billsOfPeriod, callOk, ingestOk, moderatorCredential, PAY, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

describe('claim 15: the billing computer\'s bill is paid buyer → Moderator → first carrier', () => {
  let ex: Exchange;
  let a: Auction;
  let periodic: any;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
    const agent = await agentToken(ex);
    await ingestOk(ex, twoCalls(a), agent);
    [periodic] = await billsOfPeriod(ex, a, agent);
  });
  afterAll(() => ex?.stop());

  it('books both legs through the moderator\'s clearing account and settles the bill', async () => {
    const mod = await moderatorCredential(ex);
    const p = (await callOk(ex.billingApi, PAY, { i: { billId: periodic.id, amount: '2.30', path: 'VIA_MODERATOR', paymentId: 'pay-via-1', reference: 'moderator settlement run' } }, mod)).recordPayment;
    expect(p.ledgerEntries.map((l: any) => [l.event, l.account, l.amount])).toEqual([
      ['PAYMENT_BUYER_TO_MODERATOR', 'moderator:clearing', '2.30'],
      ['PAYMENT_BUYER_TO_MODERATOR', 'buyer:buyer-1:receivable', '-2.30'],
      ['PAYMENT_MODERATOR_TO_CARRIER', 'carrier:carrier-low:payable', '2.30'],
      ['PAYMENT_MODERATOR_TO_CARRIER', 'moderator:clearing', '-2.30'],
    ]);
    // a repeated payment id is the same payment, not a second transfer
    expect((await callOk(ex.billingApi, PAY, { i: { billId: periodic.id, amount: '2.30', path: 'VIA_MODERATOR', paymentId: 'pay-via-1', reference: 'moderator settlement run' } }, mod)).recordPayment.id).toBe('pay-via-1');
    const bill = (await callOk(ex.billingApi, `query($id: ID!) { bill(id: $id) { status payments { id path } } }`, { id: periodic.id }, a.buyer.billToken)).bill;
    expect(bill).toEqual({ status: 'PAID', payments: [{ id: 'pay-via-1', path: 'VIA_MODERATOR' }] });
    const period = { start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() };
    const st = (await callOk(ex.billingApi, `query($p: IntervalInput!) { settlementStatement(carrierId: "carrier-low", period: $p) { lines { billId receivedViaModerator outstanding } } }`, { p: period }, a.winner.billToken)).settlementStatement;
    expect(st.lines).toContainEqual({ billId: periodic.id, receivedViaModerator: '2.30', outstanding: '0.00' });
  });
});
