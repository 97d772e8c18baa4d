// Claim 7 (on claim 1): "the Buyer is a reseller of telecommunication service".
import { billsOfPeriod, callOk, ingestOk, operatorToken, runAuction, startExchange, voiceUsage, type Auction, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 7: a reseller buys through the auction and is billed per end user', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex, { buyer: RESELLER }); // capacity the reseller shares among its end users
  });
  afterAll(() => ex?.stop());

  it('runs the auction for the reseller and tells billing the buyer is a reseller', async () => {
    const r = (await callOk(ex.moderatorApi, `query($id: ID!) { serviceRequest(id: $id) { status buyer { id isReseller endUsers { id } } } }`, { id: a.requestId }, a.buyer.token)).serviceRequest;
    expect(r).toEqual({ status: 'AWARDED', buyer: { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel' }, { id: 'clinic' }] } });
    expect(a.selectionRecord).toMatchObject({ buyerId: 'reseller-1', buyerIsReseller: true, carrierId: 'carrier-low' });
  });

  it('bills the reseller with its end users\' usage itemised and subtotalled', async () => {
    const op = await operatorToken(ex);
    await ingestOk(ex, [
      voiceUsage(a, { id: 'hotel-1', seconds: 120, endUserId: 'hotel' }),
      voiceUsage(a, { id: 'clinic-1', seconds: 60, atMin: 5, endUserId: 'clinic' }),
      voiceUsage(a, { id: 'own-1', seconds: 60, atMin: 9 }),
    ], op);
    const [bill] = await billsOfPeriod(ex, a, op);
    expect(bill.lines.map((l: any) => [l.kind, l.endUserId, l.quantity, l.amount])).toEqual([
      ['USAGE', null, '1', '0.500000'],
      ['USAGE', 'clinic', '1', '0.500000'],
      ['USAGE', 'hotel', '2', '1.000000'],
      ['ADVANCE_CREDIT', null, null, '-1.000000'],
    ]);
    expect(bill.endUserSubtotals.map((s: any) => [s.label, s.amount]).sort()).toEqual([['(direct)', '0.500000'], ['clinic', '0.500000'], ['hotel', '1.000000']]);
    expect(bill.total.amount).toBe('1.00');
  });
});
