// Claim 14 (on claim 9): "transferring payment from the Buyer to the first Carrier".
import { agentToken, billsOfPeriod, callOk, call, codes, ingestOk, PAY, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

describe('claim 14: the buyer pays the first carrier directly for the billing computer\'s bill', () => {
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

  it('takes partial DIRECT payments up to the bill total, never more', async () => {
    const pay = (amount: string) => call(ex.billingApi, PAY, { i: { billId: periodic.id, amount, path: 'DIRECT', paymentId: `claim14-${amount}` } }, a.buyer.billToken);
    const status = async () => (await callOk(ex.billingApi, `query($id: ID!) { bill(id: $id) { status outstanding { amount } } }`, { id: periodic.id }, a.winner.billToken)).bill;
    const first = (await pay('1.00')).data!.recordPayment;
    expect(first.ledgerEntries.map((l: any) => [l.account, l.amount])).toEqual([['carrier:carrier-low:payable', '1.00'], ['buyer:buyer-1:receivable', '-1.00']]);
    expect(await status()).toEqual({ status: 'PARTIALLY_PAID', outstanding: { amount: '1.30' } });
    const over = await pay('1.31');
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0].extensions!.field).toBe('input.amount');
    expect((await pay('1.30')).errors).toBeUndefined();
    expect(await status()).toEqual({ status: 'PAID', outstanding: { amount: '0.00' } });
    // only the buyer of the bill (or the billing agent) pays it directly
    expect(codes(await call(ex.billingApi, PAY, { i: { billId: a.advanceBill.id, amount: '0.10', path: 'DIRECT', paymentId: 'claim14-loser' } }, a.loser.billToken))).toEqual(['NOT_FOUND']);
  });

  it('credits the carrier with what the buyer paid directly on its settlement statement', async () => {
    const period = { start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() };
    const st = (await callOk(ex.billingApi, `query($p: IntervalInput!) { settlementStatement(carrierId: "carrier-low", period: $p) { totals { billed receivedDirect receivedViaModerator outstanding } } }`, { p: period }, a.winner.billToken)).settlementStatement;
    // billed: advance 1.00 + periodic 2.30; the buyer paid the periodic bill directly
    expect(st.totals).toEqual([{ billed: '3.30', receivedDirect: '2.30', receivedViaModerator: '0.00', outstanding: '1.00' }]);
  });
});
