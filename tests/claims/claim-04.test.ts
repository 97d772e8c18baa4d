// Claim 4 (on claim 1): "posting the bill in electronic form at an Internet website ... accessible
// to the Buyer and the first Carrier".
import { fetchDocument, party, runAuction, startExchange, type Auction, type Exchange } from './support/scenario';

describe('claim 4: the bill is posted on the bill website for the buyer and the first carrier', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('serves the posted bill as HTML and PDF at its signed links', async () => {
    const bill = a.advanceBill;
    const html = await fetchDocument(bill.documentUrls.html);
    expect(html.status).toBe(200);
    expect(html.type).toMatch(/^text\/html/);
    const page = html.body.toString('utf8');
    expect(page).toContain(`<h1>Invoice ${bill.number}</h1>`);
    expect(page).toContain('<dd id="buyer">buyer-1</dd>');
    expect(page).toContain('<dd id="carrier">carrier-low</dd>');
    expect(page).toContain(`<dd id="request">${a.requestId}</dd>`);
    expect(page).toContain('<span id="total">1.00</span> USD');
    const pdf = await fetchDocument(bill.documentUrls.pdf);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe('application/pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('lets the buyer and the first carrier open it with their own credentials, nobody else', async () => {
    const url = new URL(a.advanceBill.documentUrls.html);
    const plain = `${url.origin}${url.pathname}`;
    for (const p of [a.buyer, a.winner]) {
      const r = await fetchDocument(plain, p.billToken);
      expect(r.status).toBe(200);
      expect(r.body.toString('utf8')).toContain(a.advanceBill.number);
    }
    expect((await fetchDocument(plain, a.loser.billToken)).status).toBe(403);
    expect((await fetchDocument(plain, (await party(ex, 'BUYER', 'buyer-other')).billToken)).status).toBe(403);
    expect((await fetchDocument(plain)).status).toBe(401);
  });
});
