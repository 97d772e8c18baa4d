// Claim 42 (on claim 31): the billing computer bills a Buyer who "is a reseller of
// telecommunication service".
import { agentToken, billingPeriod, generateBills, ingestOk, runAuction, startExchange, voiceUsage, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 42: the billing computer bills a reseller per carrier, with its end users subtotalled', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('puts the reseller\'s requests on one bill per carrier, itemised by request and end user', async () => {
    const london = await runAuction(ex, { buyer: RESELLER, endUserId: 'hotel' });
    const paris = await runAuction(ex, { buyer: RESELLER, endUserId: 'clinic', destination: '331' });
    const agent = await agentToken(ex);
    await ingestOk(ex, [
      voiceUsage(london, { id: 'l-hotel', seconds: 120, endUserId: 'hotel' }),
      voiceUsage(paris, { id: 'p-clinic', seconds: 60, endUserId: 'clinic', destination: '+33179460000' }),
      voiceUsage(paris, { id: 'p-hotel', seconds: 60, atMin: 3, endUserId: 'hotel', destination: '+33179460001' }),
    ], agent);
    const run = await generateBills(ex, billingPeriod(london.interval.start), agent, 'BUYER_CARRIER');
    expect(run.bills).toHaveLength(1);
    const [b] = run.bills;
    expect(b).toMatchObject({ buyer: { id: 'reseller-1' }, carrier: { id: 'carrier-low' }, request: null, recordCount: 3 });
    expect(b.lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => [l.requestId, l.endUserId, l.amount]).sort()).toEqual(
      [
        [london.requestId, 'hotel', '1.000000'],
        [paris.requestId, 'clinic', '0.500000'],
        [paris.requestId, 'hotel', '0.500000'],
      ].sort(),
    );
    expect(b.endUserSubtotals.map((s: any) => [s.endUserId, s.amount]).sort()).toEqual([['clinic', '0.500000'], ['hotel', '1.500000']]);
  });
});
