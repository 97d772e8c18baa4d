// Claim 44 (on claim 31): "the billing computer is controlled by an agent independent of the moderating computer"
// (brought up on the agent's own schedule; the moderating computer keeps its selection records until accepted).
import { billingPeriod, call, callOk, codes, until, generateBills, ingestOk, runAuction, startIndependentExchange, twoCalls } from './support/scenario';

const DELIVERY = `query($id: ID!) { selection(id: $id) { billingDelivery { state attempts lastError } } }`;

describe('claim 44: the billing computer of an independent agent', () => {
  let ex: Awaited<ReturnType<typeof startIndependentExchange>>;
  beforeAll(async () => {
    ex = await startIndependentExchange({ deferBilling: true });
  });
  afterAll(() => ex?.stop());

  it('receives the selection once the agent starts it, bills usage and keeps the Moderator out of its operation', async () => {
    const a = await runAuction(ex, { awaitBilling: false });
    const admin = await ex.modToken('ADMIN', 'moderator-operator');
    // the agent's computer is not up: the moderating computer retries
    const pending = await until(async () => {
      const d = (await callOk(ex.moderatorApi, DELIVERY, { id: a.selectionId }, admin)).selection.billingDelivery;
      return d.attempts >= 1 ? d : null;
    }, 'a failed delivery attempt');
    expect(pending).toMatchObject({ state: expect.stringMatching(/PENDING|DELIVERING/), lastError: expect.stringContaining('billing unreachable') });

    await ex.startAgent();
    const delivered = await until(async () => {
      const d = (await callOk(ex.moderatorApi, DELIVERY, { id: a.selectionId }, admin)).selection.billingDelivery;
      return d.state === 'DELIVERED' ? d : null;
    }, 'delivery to the agent');
    expect(delivered.lastError).toBeNull();
    const agent = await ex.billToken('BILLING_AGENT', 'agent-staff');
    const rec = (await callOk(ex.billingApi, `query($id: ID!) { selectionRecord(id: $id) { requestId buyerId carrierId incentive { ratePerUnit } } }`, { id: a.selectionId }, agent)).selectionRecord;
    expect(rec).toEqual({ requestId: a.requestId, buyerId: 'buyer-1', carrierId: 'carrier-low', incentive: { ratePerUnit: '0.5' } });

    // the agent rates and bills in its own database
    await ingestOk(ex, twoCalls(a), agent);
    const run = await generateBills(ex, billingPeriod(a.interval.start), agent);
    expect(run.bills.map((b) => [b.buyer.id, b.request.id, b.total.amount])).toEqual([['buyer-1', a.requestId, '2.30']]);
    expect(await ex.billing.models.Bill.countDocuments()).toBe(2);
    expect(await ex.moderator.conn.db!.collection('bills').countDocuments()).toBe(0);

    // the Moderator's credentials do not operate it
    const gen = `mutation($p: IntervalInput!) { generateBills(period: $p) { issued } }`;
    expect(codes(await call(ex.billingApi, gen, { p: billingPeriod(a.interval.start) }, admin))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await call(ex.billingApi, gen, { p: billingPeriod(a.interval.start) }, await ex.billToken('MODERATOR', 'moderator')))).toEqual(['FORBIDDEN']);
    expect(codes(await call(ex.billingApi, `{ usageRecords { nodes { recordId } } }`, {}, await ex.forgedModeratorToken()))).toEqual(['UNAUTHENTICATED']);
  });
});
