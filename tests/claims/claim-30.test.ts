// Claim 30 (on claim 19): the moderating computer receives usage "from telecommunication equipment
// measuring telecommunication service provided to an end user served by a Buyer who is a reseller".
import { billsOfPeriod, ingestOk, operatorToken, runAuction, startExchange, usageReporter, usageRecords, voiceUsage, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 30: equipment measuring a reseller\'s end users feeds the reseller\'s bill', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('keeps the end user measured on each record and subtotals the reseller\'s bill by it', async () => {
    const a = await runAuction(ex, { buyer: RESELLER, endUserId: 'hotel' });
    const op = await operatorToken(ex);
    // the meter at the hotel's PBX and the one at the clinic report for the reseller
    const hotelPbx = await usageReporter(ex, 'METER', 'pbx-hotel', ['reseller-1'], op);
    const clinicPbx = await usageReporter(ex, 'METER', 'pbx-clinic', ['reseller-1'], op);
    await ingestOk(ex, [voiceUsage(a, { id: 'pbx-h-1', seconds: 150, source: 'MEASURING_EQUIPMENT', equipmentId: 'pbx-hotel', endUserId: 'hotel' })], hotelPbx);
    await ingestOk(ex, [voiceUsage(a, { id: 'pbx-c-1', seconds: 31, atMin: 5, source: 'MEASURING_EQUIPMENT', equipmentId: 'pbx-clinic', endUserId: 'clinic' })], clinicPbx);
    const usage = await usageRecords(ex, { buyerId: 'reseller-1' }, op);
    expect(usage.map((u) => [u.recordId, u.equipmentId, u.endUserId, u.requestId])).toEqual([
      ['pbx-c-1', 'pbx-clinic', 'clinic', a.requestId],
      ['pbx-h-1', 'pbx-hotel', 'hotel', a.requestId],
    ]);
    const [bill] = await billsOfPeriod(ex, a, op);
    // 150 s → 150 s (30/6) = 2.5 min; 31 s → 36 s = 0.6 min; both at 0.50
    expect(bill.lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => [l.endUserId, l.quantity, l.amount])).toEqual([
      ['clinic', '0.6', '0.300000'],
      ['hotel', '2.5', '1.250000'],
    ]);
    expect(bill.endUserSubtotals.map((s: any) => [s.endUserId, s.amount])).toEqual([['clinic', '0.300000'], ['hotel', '1.250000']]);
  });
});
