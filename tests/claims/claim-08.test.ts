// Claim 8 (on claim 1): "at least a portion of the processing and communication functions of the
// Moderator are performed by an adjunct computer".
import { billingDelivery, billsOfPeriod, callOk, ingestOk, operatorToken, runAuction, startExchange, twoCalls, type Auction, type Exchange } from './support/scenario';

const collections = async (conn: any) => (await conn.db.listCollections().toArray()).map((c: any) => c.name).sort();

describe('claim 8: an adjunct computer on the Moderator\'s host does its billing processing and communication', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('hands the selection to the adjunct on the same host, which accepted it at the first attempt', async () => {
    expect(new URL(ex.billing.url).hostname).toBe(new URL(ex.moderator.url).hostname);
    expect(await billingDelivery(ex, a.selectionId)).toEqual({ state: 'DELIVERED', attempts: 1, lastError: null });
  });

  it('does the rating and billing in the adjunct\'s database, none of it in the Moderator\'s', async () => {
    await ingestOk(ex, twoCalls(a), await operatorToken(ex));
    const [periodic] = await billsOfPeriod(ex, a, await operatorToken(ex));
    expect(periodic.total.amount).toBe('2.30');
    const mod = await collections(ex.moderator.conn);
    for (const c of ['bills', 'billing_records', 'usage_records', 'selection_records', 'ledger_entries']) expect(mod).not.toContain(c);
    expect(await ex.billing.models.Bill.countDocuments({ requestId: a.requestId })).toBe(2);
    expect(await ex.billing.models.BillingRecord.countDocuments({ requestId: a.requestId })).toBe(2);
  });

  it('communicates the bills to buyer and carrier, and they appear on the Moderator\'s request in one API', async () => {
    const r = (
      await callOk(ex.moderatorApi, `query($id: ID!) { serviceRequest(id: $id) { status selection { carrier { id } } bills { kind deliveries { recipientId channel state } } } }`, { id: a.requestId }, a.buyer.token)
    ).serviceRequest;
    expect(r.status).toBe('AWARDED');
    expect(r.bills.map((b: any) => b.kind).sort()).toEqual(['ADVANCE', 'PERIODIC']);
    for (const b of r.bills) {
      expect(new Set(b.deliveries.filter((d: any) => d.state === 'DELIVERED').map((d: any) => d.recipientId))).toEqual(new Set(['buyer-1', 'carrier-low']));
    }
  });
});
