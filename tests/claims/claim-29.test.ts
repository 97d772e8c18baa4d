// Claim 29 (on claim 19): the moderating computer bills a Buyer who "is a reseller of
// telecommunication service".
import { billingPeriod, generateBills, ingestOk, operatorToken, runAuction, startExchange, voiceUsage, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 29: a reseller\'s requests are billed per request, with its end users itemised', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('bills each of the reseller\'s requests separately, with per-end-user lines and subtotals', async () => {
    const shared = await runAuction(ex, { buyer: RESELLER }); // the reseller's own trunk, shared by its end users
    const forClinic = await runAuction(ex, { buyer: RESELLER, endUserId: 'clinic', destination: '331' });
    for (const a of [shared, forClinic]) expect(a.selectionRecord).toMatchObject({ buyerId: 'reseller-1', buyerIsReseller: true });
    const op = await operatorToken(ex);
    await ingestOk(ex, [
      voiceUsage(shared, { id: 'h-1', seconds: 180, endUserId: 'hotel' }),
      voiceUsage(shared, { id: 'own-1', seconds: 60, atMin: 4 }),
      voiceUsage(forClinic, { id: 'c-1', seconds: 120, endUserId: 'clinic', destination: '+33179460000' }),
    ], op);
    const run = await generateBills(ex, billingPeriod(shared.interval.start), op);
    const byRequest = Object.fromEntries(run.bills.map((b) => [b.request.id, b]));
    expect(byRequest[shared.requestId].endUserSubtotals.map((s: any) => [s.endUserId, s.label, s.amount])).toEqual([
      [null, '(direct)', '0.500000'],
      ['hotel', 'hotel', '1.500000'],
    ]);
    expect(byRequest[forClinic.requestId].endUserSubtotals.map((s: any) => [s.endUserId, s.amount])).toEqual([['clinic', '1.000000']]);
    expect(byRequest[shared.requestId].total.amount).toBe('1.00'); // 2.00 - 1.00 advance
    expect(byRequest[forClinic.requestId].total.amount).toBe('0.00'); // 1.00 - 1.00 advance
  });
});
