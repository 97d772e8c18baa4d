// Claim 5 (on claim 1): "transferring payment from the Buyer to the first Carrier".
import { callOk, PAY, runAuction, startExchange, type Auction, type Exchange } from './support/scenario';

describe('claim 5: the buyer pays the first carrier directly', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('records the buyer\'s DIRECT payment as a transfer from the buyer\'s receivable to the carrier\'s payable', async () => {
    const p = (await callOk(ex.billingApi, PAY, { i: { billId: a.advanceBill.id, amount: '1.00', path: 'DIRECT', paymentId: 'wire-4711', reference: 'wire 4711' } }, a.buyer.billToken)).recordPayment;
    expect(p).toMatchObject({ billId: a.advanceBill.id, amount: { amount: '1.00', currency: 'USD' }, path: 'DIRECT', recordedBy: 'BUYER:buyer-1' });
    expect(p.ledgerEntries).toEqual([
      { event: 'PAYMENT_DIRECT', account: 'carrier:carrier-low:payable', amount: '1.00', currency: 'USD' },
      { event: 'PAYMENT_DIRECT', account: 'buyer:buyer-1:receivable', amount: '-1.00', currency: 'USD' },
    ]);
  });

  it('shows the bill paid, and the money as received directly on the carrier\'s settlement statement', async () => {
    const bill = (await callOk(ex.billingApi, `query($id: ID!) { bill(id: $id) { status paid { amount } outstanding { amount } payments { path amount { amount } } } }`, { id: a.advanceBill.id }, a.winner.billToken)).bill;
    expect(bill).toEqual({ status: 'PAID', paid: { amount: '1.00' }, outstanding: { amount: '0.00' }, payments: [{ path: 'DIRECT', amount: { amount: '1.00' } }] });
    const period = { start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() };
    const st = (
      await callOk(ex.billingApi, `query($p: IntervalInput!) { settlementStatement(carrierId: "carrier-low", period: $p) { lines { billId buyerId billed receivedDirect receivedViaModerator outstanding } } }`, { p: period }, a.winner.billToken)
    ).settlementStatement;
    expect(st.lines).toEqual([{ billId: a.advanceBill.id, buyerId: 'buyer-1', billed: '1.00', receivedDirect: '1.00', receivedViaModerator: '0.00', outstanding: '0.00' }]);
  });
});
