// Claim 3 (on claim 2): "the bill is transmitted to the Buyer and the first Carrier prior to the
// specific future time interval".
import { followBills, nextEvent, party, runAuction, startExchange, type Exchange } from './support/scenario';

describe('claim 3: the bill reaches buyer and first carrier before the service interval starts', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('issues the ADVANCE bill at selection and delivers it to both before interval.start', async () => {
    const [buyer, low] = await Promise.all([party(ex, 'BUYER', 'buyer-1'), party(ex, 'CARRIER', 'carrier-low')]);
    const subs = [await followBills(ex, buyer), await followBills(ex, low)];
    const a = await runAuction(ex);
    const start = Date.parse(a.interval.start);

    // received by both parties, over the subscription, while the interval still lies ahead
    for (const sub of subs) {
      const ev = (await nextEvent(sub, 'ADVANCE bill')).billIssued;
      expect(ev).toMatchObject({ id: a.advanceBill.id, kind: 'ADVANCE', request: { id: a.requestId } });
      expect(Date.now()).toBeLessThan(start);
    }
    const bill = a.advanceBill;
    expect(Date.parse(bill.issuedAt)).toBeLessThan(start);
    // every delivery to buyer and carrier happened before the interval
    expect(bill.deliveries.map((d: any) => d.recipientId).sort()).toEqual(['buyer-1', 'buyer-1', 'carrier-low', 'carrier-low']);
    for (const d of bill.deliveries) {
      expect(d.state).toBe('DELIVERED');
      expect(Date.parse(d.deliveredAt)).toBeLessThan(start);
    }
    // it bills the service of the future interval: the requested 2 min under the winning 0.50 rate
    expect(bill.period).toEqual({ start: new Date(a.interval.start).toISOString(), end: new Date(a.interval.end).toISOString() });
    expect(bill.lines.map((l: any) => [l.kind, l.quantity, l.unit, l.ratePerUnit, l.amount])).toEqual([['USAGE', '2', 'MINUTE', '0.5', '1.000000']]);
    expect(bill.total).toEqual({ amount: '1.00', currency: 'USD' });
  });
});
