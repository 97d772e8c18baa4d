// The billing computer crashes (SIGKILL) three times while the Moderator's outbox delivers a burst
// of 200 selections, each time at a bad point of recording one: right after the ADVANCE bill's
// DRAFT was written, right after the ledger postings of an issue, and right after a bill was
// flipped to ISSUED but before its billIssued announcement was sent (its SUBSCRIPTION delivery leased). It is restarted on the
// same database and the same URL each time. Afterwards every selection is recorded exactly once and every ADVANCE
// bill is issued exactly once (one bill, one number, one set of postings and deliveries) and
// announced to both parties (every SUBSCRIPTION delivery DELIVERED, the lost ones after the restart).
import mongoose from 'mongoose';
import { registerModels as billingModels } from '../../../billing-subgraph/src/store/models';
import { gqlOk, mongoUri, startModerator, uniqueName } from '../../support/harness';
import { bid, CLOSE, createRequest, registerParties } from '../moderator/helpers';
import { freePort, startChild, until, type ChildService } from './support/children';
import { MongoProxy } from './support/mongo-proxy';

const N = 200;

describe('failure: billing killed during a burst of 200 selections', () => {
  const billingDb = uniqueName('t_fail_billing');
  const moderatorDb = uniqueName('t_fail_mod');
  let proxy: MongoProxy;
  let port: number;
  let billing: ChildService | undefined;
  let mods: Awaited<ReturnType<typeof startModerator>>[] = [];
  let conn: mongoose.Connection;
  let bm: ReturnType<typeof billingModels>;

  const startBillingChild = () =>
    startChild('billing', port, { MONGODB_URI: proxy.uri(mongoUri()), BILLING_DB_NAME: billingDb, WORKER_INTERVAL_MS: '60000', BILL_ISSUE_RECOVERY_AFTER_MS: '2000' });

  beforeAll(async () => {
    proxy = await MongoProxy.forUri(mongoUri()).start();
    port = await freePort();
    billing = await startBillingChild();
    const env = {
      MODERATOR_DB_NAME: moderatorDb,
      BILLING_URL: billing.url,
      SCHEDULER_ENABLED: 'false',
      OUTBOX_INTERVAL_MS: '25',
      OUTBOX_BATCH_SIZE: '100',
      OUTBOX_BACKOFF_BASE_MS: '20',
      OUTBOX_BACKOFF_MAX_MS: '250',
      BILLING_TIMEOUT_MS: '5000',
    };
    // Two instances, both running the outbox.
    mods = [await startModerator(env), await startModerator(env)];
    conn = await mongoose.createConnection(mongoUri(), { dbName: billingDb }).asPromise();
    bm = billingModels(conn);
  }, 60_000);

  afterAll(async () => {
    await billing?.kill();
    for (const m of mods) await m.stop().catch(() => undefined);
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    const modConn = await mongoose.createConnection(mongoUri(), { dbName: moderatorDb }).asPromise();
    await modConn.dropDatabase().catch(() => undefined);
    await modConn.close();
    await proxy?.stop();
  }, 30_000);

  it('records every selection once and issues every ADVANCE bill once across three crashes', async () => {
    const [a, b] = mods;
    // The outboxes start once the burst is in place.
    await Promise.all(mods.map((m) => m.outbox!.stop()));
    const parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-burst' }, { id: 'buyer-resell', isReseller: true, endUsers: [{ id: 'eu-1', name: 'Shop' }] }],
      carriers: [{ id: 'carrier-burst', coverage: ['44'] }],
    });
    // One auction runs through the API; the burst is 200 selections of that shape, written as the
    // close writes them (the closing itself is covered by the moderator tests and moderator-crash).
    const req = await createRequest(a.url, parties.buyers['buyer-burst'].token, { quantity: '100' });
    await bid(a.url, parties.carriers['carrier-burst'].token, req.id, '0.01', { incentive: { currency: 'EUR', ratePerUnit: '0.01', setupFee: '3.00' } });
    await gqlOk(b.url, CLOSE, { id: req.id }, parties.buyers['buyer-burst'].token);
    const real = (await a.models.Selection.findOne({ requestId: req.id }).lean())!;
    expect(real.delivery.state).toBe('PENDING');
    const burst = Array.from({ length: N - 1 }, (_, i) => ({
      ...real,
      _id: `${real._id}-burst-${i}`,
      requestId: `${req.id}-burst-${i}`,
      buyerId: i % 3 === 0 ? 'buyer-resell' : 'buyer-burst',
      buyerIsReseller: i % 3 === 0,
      quantity: String(100 + i),
      incentive: { ...real.incentive, setupFee: i % 5 === 0 ? undefined : real.incentive.setupFee },
    }));
    await a.models.Selection.insertMany(burst);

    // Crash 1: at the 10th ADVANCE bill insert (its selection is stored, the bill still a DRAFT).
    let crashes = 0;
    const crash = () => {
      crashes++;
      process.kill(billing!.pid, 'SIGKILL');
    };
    proxy.arm({ match: (c) => c.command === 'insert' && c.collection === 'bills', skip: 9, then: crash });
    for (const m of mods) m.outbox!.start();
    await until(() => crashes === 1, { message: 'billing crashed at a bill insert', timeout: 60_000 });
    expect(await billing!.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await bm.Bill.countDocuments({ kind: 'ADVANCE', status: 'DRAFT' })).toBeGreaterThanOrEqual(1);
    // While billing is down the outbox keeps trying and backing off.
    await until(async () => (await a.models.Selection.countDocuments({ 'delivery.lastError': /unreachable/ })) > 0, 'deliveries failed while billing was down');

    // Crash 2, after the restart: at the 10th ledger posting insert, i.e. between a bill's flip to
    // ISSUED and its number (postings and number follow the flip: services/bill-run/issue-completion.ts).
    proxy.arm({ match: (c) => c.command === 'insert' && c.collection === 'ledger_entries', skip: 9, then: crash });
    billing = await startBillingChild();
    await until(() => crashes === 2, { message: 'billing crashed at a ledger insert', timeout: 60_000 });
    expect(await billing.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await bm.Bill.countDocuments({ kind: 'ADVANCE', status: 'ISSUED', number: { $exists: false } })).toBeGreaterThanOrEqual(1);

    // Crash 3: a bill was just flipped to ISSUED; the lease of its billIssued delivery never reaches the database.
    proxy.arm({ match: (c) => c.command === 'insert' && c.collection === 'slots' && c.raw.includes('delivery|') && c.raw.includes('|SUBSCRIPTION|'), skip: 4, when: 'before', then: crash });
    billing = await startBillingChild();
    await until(() => crashes === 3, { message: 'billing crashed before announcing an issued bill', timeout: 60_000 });
    expect(await billing.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const issuedIds = (await bm.Bill.find({ kind: 'ADVANCE', status: 'ISSUED' }).select({ _id: 1 }).lean()).map((x) => x._id);
    const unannounced = await bm.Delivery.countDocuments({ billId: { $in: issuedIds }, channel: 'SUBSCRIPTION', state: 'PENDING' });
    expect(unannounced).toBeGreaterThanOrEqual(1);

    billing = await startBillingChild();
    // Throughput is the database's (about 20 round trips per selection); the bound is generous for a loaded machine.
    await until(async () => (await a.models.Selection.countDocuments({ 'delivery.state': 'DELIVERED' })) === N, { message: 'all selections delivered', timeout: 300_000, interval: 250 }).catch(async (err) => {
      const stuck = await a.models.Selection.find({ 'delivery.state': { $ne: 'DELIVERED' } }, { delivery: 1 }).limit(5).lean();
      const delivered = await a.models.Selection.countDocuments({ 'delivery.state': 'DELIVERED' });
      throw new Error(`${(err as Error).message}; delivered ${delivered}; e.g. ${JSON.stringify(stuck)}; billing stderr: ${billing!.output().stderr.slice(-2000)}`);
    });

    const sels = await a.models.Selection.find({}).lean();
    expect(sels).toHaveLength(N);
    const selIds = sels.map((s) => s._id).sort();

    // Billing: each selection recorded exactly once.
    const records = await bm.Selection.find({}).lean();
    expect(records.map((r) => r._id).sort()).toEqual(selIds);
    // Each ADVANCE bill exactly once, issued, numbered, and the one its selection points at.
    const bills = await bm.Bill.find({ kind: 'ADVANCE' }).lean();
    expect(bills).toHaveLength(N);
    expect(bills.map((x) => x.key).sort()).toEqual(selIds.map((id) => `ADVANCE|${id}`).sort());
    expect(bills.filter((x) => x.status !== 'ISSUED')).toEqual([]);
    expect(new Set(bills.map((x) => x.number)).size).toBe(N);
    expect(bills.every((x) => typeof x.number === 'string' && x.number.length > 0)).toBe(true);
    const billOf = new Map(bills.map((x) => [x.selectionIds![0], x]));
    for (const r of records) expect(r.advanceBillId).toBe(billOf.get(r._id)!._id);
    // Each bill's amounts follow from its own selection (no bill was assembled from another's data).
    for (const s of sels) {
      const bill = billOf.get(s._id)!;
      expect(bill.buyerId).toBe(s.buyerId);
      expect(bill.carrierId).toBe(s.carrierId);
      expect(bill.requestId).toBe(s.requestId);
    }
    // Postings and deliveries once per bill: every bill has the same shape as an undisturbed one.
    const ledgerCounts = await bm.Ledger.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$billId', n: { $sum: 1 } } }]);
    expect(ledgerCounts).toHaveLength(N);
    expect(new Set(ledgerCounts.map((x) => x.n)).size).toBe(1);
    const deliveryCounts = await bm.Delivery.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$billId', n: { $sum: 1 } } }]);
    expect(deliveryCounts).toHaveLength(N);
    expect(new Set(deliveryCounts.map((x) => x.n)).size).toBe(1);
    // Every bill announced to its buyer and its carrier, the ones lost to crash 3 after the restart.
    await until(async () => (await bm.Delivery.countDocuments({ channel: 'SUBSCRIPTION', state: 'DELIVERED' })) === 2 * N, { message: 'every bill announced', timeout: 120_000, interval: 250 });
    // Posted on the website too: a posting lost to a crash is the worker's, which may come after the announcements.
    await until(async () => (await bm.Delivery.countDocuments({ channel: 'WEBSITE', state: 'DELIVERED' })) === 2 * N, { message: 'every bill posted', timeout: 120_000, interval: 250 });

    // The restarted billing serves normally.
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(200);
  }, 450_000);
});
