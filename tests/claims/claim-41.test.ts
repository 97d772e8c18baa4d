// Claim 41 (on claim 31): the billing computer "generates and transmits a bill to the Buyer and the
// first Carrier prior to the specific future time interval".
import { fetchDocument, followBills, nextEvent, party, runAuction, startExchange, type Exchange } from './support/scenario';

describe('claim 41: the billing computer\'s bill is generated and in the parties\' hands before the interval', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('pushes the ADVANCE bill to buyer and carrier and lets both download it before interval.start', async () => {
    const [buyer, low] = await Promise.all([party(ex, 'BUYER', 'buyer-1'), party(ex, 'CARRIER', 'carrier-low')]);
    const subs = [await followBills(ex, buyer), await followBills(ex, low)];
    const a = await runAuction(ex);
    const start = Date.parse(a.interval.start);
    expect(Date.parse(a.advanceBill.issuedAt)).toBeLessThan(start);
    for (const sub of subs) expect((await nextEvent(sub, 'ADVANCE bill')).billIssued).toMatchObject({ id: a.advanceBill.id, kind: 'ADVANCE', total: { amount: '1.00' } });
    const { origin } = new URL(a.advanceBill.documentUrls.pdf);
    for (const p of [buyer, low]) {
      const pdf = await fetchDocument(`${origin}/bills/${a.advanceBill.id}.pdf`, p.billToken);
      expect(pdf.status).toBe(200);
      expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    }
    expect(Date.now()).toBeLessThan(start);
    expect(a.advanceBill.period.start).toBe(new Date(start).toISOString());
  });
});
