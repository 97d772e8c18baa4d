// Claim 16 (on claim 9): the billing computer bills a Buyer who "is a reseller of
// telecommunication service".
import { agentToken, billsOfPeriod, csvRows, fetchDocument, ingestOk, runAuction, startExchange, voiceUsage, type Exchange } from './support/scenario';

const RESELLER = { id: 'reseller-1', isReseller: true, endUsers: [{ id: 'hotel', name: 'Harbour Hotel' }, { id: 'clinic', name: 'City Clinic' }] };

describe('claim 16: the billing computer bills a reseller, itemised per end user on the posted bill', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('itemises the reseller\'s end users on the bill, the website and the CSV', async () => {
    const a = await runAuction(ex, { buyer: RESELLER, endUserId: 'clinic' });
    expect(a.selectionRecord.buyerIsReseller).toBe(true);
    const agent = await agentToken(ex);
    await ingestOk(ex, [voiceUsage(a, { id: 'h1', seconds: 180, endUserId: 'hotel' }), voiceUsage(a, { id: 'c1', seconds: 60, atMin: 5, endUserId: 'clinic' })], agent);
    const [b] = await billsOfPeriod(ex, a, agent);
    expect(b.endUserSubtotals.map((s: any) => [s.endUserId, s.amount])).toEqual([['clinic', '0.500000'], ['hotel', '1.500000']]);
    const html = (await fetchDocument(b.documentUrls.html)).body.toString();
    expect(html).toContain('<h2>Per end user</h2>');
    expect(html).toContain('<tr><td>hotel</td><td class="n">1.50</td></tr>');
    const csv = csvRows((await fetchDocument(b.documentUrls.csv)).body);
    expect(csv.filter((r) => r.line_kind === 'USAGE').map((r) => [r.end_user_id, r.quantity, r.amount])).toEqual([['clinic', '1', '0.50'], ['hotel', '3', '1.50']]);
  });
});
