// Claim 17 (on claim 9): "the billing computer is controlled by an agent independent of the Moderator"
// (own port, database and trusted keys; the Moderator reaches it only with its signed MODERATOR credential).
import { billingDelivery, billsOfPeriod, call, callOk, codes, ingestOk, runAuction, startIndependentExchange, twoCalls } from './support/scenario';
import { token } from '../support/harness';

const RECORD = `mutation($i: SelectionRecordInput!) { recordSelection(input: $i) { id } }`;
const collections = async (conn: any) => (await conn.db.listCollections().toArray()).map((c: any) => c.name);

describe('claim 17: a billing computer controlled by an independent agent', () => {
  let ex: Awaited<ReturnType<typeof startIndependentExchange>>;
  beforeAll(async () => {
    ex = await startIndependentExchange();
  });
  afterAll(() => ex?.stop());

  it('receives the selection only through the Moderator\'s signed credential and bills the request', async () => {
    const a = await runAuction(ex);
    // the moderator's outbox reached the agent with its ES256-signed MODERATOR token at once
    expect(await billingDelivery(ex, a.selectionId)).toEqual({ state: 'DELIVERED', attempts: 1, lastError: null });
    expect(a.selectionRecord).toMatchObject({ requestId: a.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low' });
    expect(a.advanceBill).toMatchObject({ kind: 'ADVANCE', total: { amount: '1.00' } });

    // the agent bills the usage: its own staff credential, its own database
    const agent = await ex.billToken('BILLING_AGENT', 'agent-staff');
    await ingestOk(ex, twoCalls(a), agent);
    const [periodic] = await billsOfPeriod(ex, a, agent);
    expect(periodic).toMatchObject({ kind: 'PERIODIC', request: { id: a.requestId }, total: { amount: '2.30' } });
    // buyer and carrier read their bills with credentials of the agent's identity provider
    const q = `{ bills(first: 10) { nodes { id } } }`;
    for (const p of [a.buyer, a.winner]) expect((await callOk(ex.billingApi, q, {}, p.billToken)).bills.nodes).toHaveLength(2);
  });

  it('is out of the Moderator operator\'s control: its tokens are worthless there, its role cannot bill', async () => {
    const input = { selectionId: 'forged-1', requestId: 'r', buyerId: 'b', buyerIsReseller: false, carrierId: 'c', routes: [{ origin: '1', destination: '44' }], serviceType: 'VOICE', interval: { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' }, quantity: '1', unit: 'MINUTE', incentive: { currency: 'USD', ratePerUnit: '1' }, selectedAt: '2029-12-31T00:00:00Z' };
    // a MODERATOR token made with the (development) shared secret instead of the moderator's key
    expect(codes(await call(ex.billingApi, RECORD, { i: input }, await ex.forgedModeratorToken()))).toEqual(['UNAUTHENTICATED']);
    // the Moderator operator's own ADMIN token does not run the agent's computer
    const period = { start: '2030-01-01T00:00:00Z', end: '2030-02-01T00:00:00Z' };
    const gen = `mutation($p: IntervalInput!) { generateBills(period: $p) { issued } }`;
    expect(codes(await call(ex.billingApi, gen, { p: period }, await token('ADMIN', 'moderator-operator')))).toEqual(['UNAUTHENTICATED']);
    // with its genuine credential the Moderator may record selections, but not issue bills
    const mod = await ex.billToken('MODERATOR', 'moderator');
    expect(codes(await call(ex.billingApi, gen, { p: period }, mod))).toEqual(['FORBIDDEN']);
    // nor may the agent's staff fabricate a selection record
    expect(codes(await call(ex.billingApi, RECORD, { i: input }, await ex.billToken('BILLING_AGENT', 'agent-staff')))).toEqual(['FORBIDDEN']);
    expect(await ex.billing.models.Selection.countDocuments({ _id: 'forged-1' })).toBe(0);
    // separate databases: neither side holds the other's data
    expect(ex.billing.dbName).not.toBe(ex.moderator.dbName);
    const [mod_, bil] = await Promise.all([collections(ex.moderator.conn), collections(ex.billing.conn)]);
    expect(mod_).not.toContain('bills');
    expect(bil).not.toContain('service_requests');
  });
});
