// Claim 13 (on claim 9): the billing computer's bill is posted "in electronic form at an Internet
// website ... accessible to the Buyer and the first Carrier".
import { agentToken, billsOfPeriod, csvRows, fetchDocument, ingestOk, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

describe('claim 13: the billing computer posts the usage bill on its website for buyer and carrier', () => {
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

  it('serves the bill as HTML, PDF and CSV to the buyer and to the first carrier', async () => {
    const { origin } = new URL(periodic.documentUrls.html);
    for (const p of [a.buyer, a.winner]) {
      const html = await fetchDocument(`${origin}/bills/${periodic.id}`, p.billToken);
      expect(html.status).toBe(200);
      expect(html.body.toString()).toContain('<span id="total">2.30</span> USD');
      const pdf = await fetchDocument(`${origin}/bills/${periodic.id}.pdf`, p.billToken);
      expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
      const csv = await fetchDocument(`${origin}/bills/${periodic.id}.csv`, p.billToken);
      expect(csvRows(csv.body).map((r) => [r.request_id, r.line_kind, r.amount])).toEqual([
        // amounts at the currency's minor unit (issue 21)
        [a.requestId, 'USAGE', '2.50'],
        [a.requestId, 'USAGE', '0.80'],
        [a.requestId, 'ADVANCE_CREDIT', '-1.00'],
        [a.requestId, 'TOTAL', '2.30'],
      ]);
    }
  });

  it('keeps it from everyone else and refuses a forged link', async () => {
    const { origin } = new URL(periodic.documentUrls.html);
    expect((await fetchDocument(`${origin}/bills/${periodic.id}`)).status).toBe(401);
    expect((await fetchDocument(`${origin}/bills/${periodic.id}`, a.loser.billToken)).status).toBe(403);
    expect((await fetchDocument(periodic.documentUrls.csv)).status).toBe(200);
    expect((await fetchDocument(periodic.documentUrls.csv.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);
  });
});
