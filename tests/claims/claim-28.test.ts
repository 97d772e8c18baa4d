// Claim 28 (on claim 19): the moderating computer "generates and transmits a bill to the Buyer and
// the first Carrier prior to the specific future time interval".
import { callOk, runAuction, startExchange, type Auction, type Exchange } from './support/scenario';

describe('claim 28: the moderating computer bills the selected service before it starts', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex, { quantity: '8' });
  });
  afterAll(() => ex?.stop());

  it('generates the bill from the selection alone, rating the requested quantity under the winning incentive', async () => {
    // nothing has been used yet
    const r = (await callOk(ex.moderatorApi, `query($id: ID!) { serviceRequest(id: $id) { usageSummary { records } billingRecords { nodes { id } } bills { id kind } } }`, { id: a.requestId }, a.buyer.token)).serviceRequest;
    expect(r).toEqual({ usageSummary: [], billingRecords: { nodes: [] }, bills: [{ id: a.advanceBill.id, kind: 'ADVANCE' }] });
    // 8 min: 5 at 0.50 and 3 at the 0.40 tier, exactly what the ranking estimated
    expect(a.ranking[0].estimatedCost.total).toBe('3.7');
    expect(a.advanceBill.lines.map((l: any) => [l.kind, l.tierIndex, l.quantity, l.ratePerUnit, l.amount])).toEqual([
      ['USAGE', 0, '5', '0.5', '2.500000'],
      ['USAGE', 1, '3', '0.4', '1.200000'],
    ]);
    expect(a.advanceBill.total).toEqual({ amount: '3.70', currency: 'USD' });
  });

  it('issues and delivers it to buyer and carrier before interval.start', () => {
    const start = Date.parse(a.interval.start);
    expect(Date.parse(a.advanceBill.issuedAt)).toBeLessThan(start);
    const delivered = a.advanceBill.deliveries.filter((d: any) => d.state === 'DELIVERED');
    expect([...new Set(delivered.map((d: any) => d.recipientId))].sort()).toEqual(['buyer-1', 'carrier-low']);
    for (const d of delivered) expect(Date.parse(d.deliveredAt)).toBeLessThan(start);
  });
});
