// Issue 14, item 6: billIssued goes out through the bills' delivery records (an outbox). The
// billing process is SIGKILLed after a bill flipped to ISSUED and before its announcement was
// sent (at the lease of its SUBSCRIPTION delivery): the records say PENDING, not DELIVERED; after
// a restart the worker sends it and the buyer's and the carrier's subscriptions receive the bill.
import mongoose from 'mongoose';
import { registerModels as billingModels } from '../../../billing-subgraph/src/store/models';
import { ISSUE_GRACE_MS } from '../../../billing-subgraph/src/services/bill-run';
import { gql, gqlOk, mongoUri, token, uniqueName } from '../../support/harness';
import { subscribe, wsClient } from '../../support/ws-client';
import { RECORD_SELECTION, selectionInput } from '../billing/fixtures';
import { freePort, startChild, until, type ChildService } from './support/children';
import { MongoProxy } from './support/mongo-proxy';
import { sleep } from '../../support/wait';

const BILL_ISSUED = `subscription { billIssued { id kind buyer { id } carrier { id } } }`;

describe('failure: billing killed between issuing a bill and announcing it', () => {
  const dbName = uniqueName('t_fail_outbox');
  let proxy: MongoProxy;
  let port: number;
  let billing: ChildService | undefined;
  let conn: mongoose.Connection;
  let bm: ReturnType<typeof billingModels>;
  // The worker's timer never fires during the test: after the restart only a kick runs it.
  const startBillingChild = () => startChild('billing', port, { MONGODB_URI: proxy.uri(mongoUri()), BILLING_DB_NAME: dbName, WORKER_INTERVAL_MS: '600000' });

  beforeAll(async () => {
    proxy = await MongoProxy.forUri(mongoUri()).start();
    port = await freePort();
    conn = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
    bm = billingModels(conn);
  }, 60_000);
  afterAll(async () => {
    await billing?.kill();
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    await proxy?.stop();
  }, 30_000);

  it('delivers the lost billIssued after the restart, to the buyer and to the carrier, and says so', async () => {
    billing = await startBillingChild();
    const mod = await token('MODERATOR', 'moderator');
    let crashed = false;
    proxy.arm({
      match: (c) => c.command === 'insert' && c.collection === 'slots' && c.raw.includes('delivery|') && c.raw.includes('|SUBSCRIPTION|'),
      when: 'before',
      then: () => {
        crashed = true;
        process.kill(billing!.pid, 'SIGKILL');
      },
    });
    const answer = await gql(billing.url, RECORD_SELECTION, { input: selectionInput({ selectionId: 'outbox-sel', buyerId: 'outbox-buyer', carrierId: 'outbox-carrier' }) }, mod).catch((err: Error) => err);
    expect(answer).toMatchObject({ message: expect.stringMatching(/fetch failed|socket|ECONNRESET/) }); // the connection died with the process
    await until(() => crashed, 'billing killed before announcing the bill');
    expect(await billing.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const bill = (await bm.Bill.findOne({ key: 'ADVANCE|outbox-sel' }).lean())!;
    expect(bill.status).toBe('ISSUED');
    const before = await bm.Delivery.find({ billId: bill._id, channel: 'SUBSCRIPTION' }).lean();
    expect(before.map((d) => [d.recipientRole, d.state, d.attempts, d.deliveredAt ?? null]).sort()).toEqual([
      ['BUYER', 'PENDING', 0, null],
      ['CARRIER', 'PENDING', 0, null],
    ]);

    billing = await startBillingChild();
    const buyerWs = wsClient(billing.url, await token('BUYER', 'outbox-buyer'));
    const carrierWs = wsClient(billing.url, await token('CARRIER', 'outbox-carrier'));
    try {
      const buyerSub = subscribe(buyerWs, BILL_ISSUED);
      const carrierSub = subscribe(carrierWs, BILL_ISSUED);
      // Both subscriptions are registered (in the billing process, where nothing else shows it) once
      // each received a probe bill of the same parties, which its issuing run announces at once.
      const probes: string[] = [];
      await until(async () => {
        if (buyerSub.events.length > 0 && carrierSub.events.length > 0) return true;
        const probe = await gqlOk(billing!.url, RECORD_SELECTION, { input: selectionInput({ selectionId: `outbox-probe-${probes.length}`, buyerId: 'outbox-buyer', carrierId: 'outbox-carrier' }) }, mod);
        probes.push(probe.recordSelection.advanceBill.id);
        return false;
      }, { message: 'both subscriptions to receive a probe bill', timeout: 20_000, interval: 200 });
      // The issuing run alone announces a bill during the grace; after it the worker takes over.
      // Waiting past the grace is the behaviour under test (the worker must not act before it).
      const due = before[0].nextAttemptAt!.getTime();
      expect(due - before[0].createdAt.getTime()).toBe(ISSUE_GRACE_MS);
      await sleep(Math.max(0, due - Date.now() + 100));
      // Another bill issued wakes the delivery worker, which finds the lost announcement due.
      const other = await gql(billing.url, RECORD_SELECTION, { input: selectionInput({ selectionId: 'outbox-other', buyerId: 'outbox-other-buyer', carrierId: 'outbox-other-carrier' }) }, mod);
      expect(other.errors).toBeUndefined();

      const expected = { id: bill._id, kind: 'ADVANCE', buyer: { id: 'outbox-buyer' }, carrier: { id: 'outbox-carrier' } };
      const lost = (s: typeof buyerSub) => until(() => s.events.find((e) => (e.data as any)?.billIssued?.id === bill._id), { message: 'the lost bill announced', timeout: 20_000 });
      expect((await lost(buyerSub)).data).toEqual({ billIssued: expected });
      expect((await lost(carrierSub)).data).toEqual({ billIssued: expected });
      const after = await until(async () => {
        const ds = await bm.Delivery.find({ billId: bill._id, channel: { $in: ['SUBSCRIPTION', 'WEBSITE'] } }).lean();
        return ds.every((d) => d.state === 'DELIVERED') ? ds : null;
      }, 'the lost bill posted and announced');
      for (const d of after) {
        expect(d.attempts).toBe(1);
        expect(d.deliveredAt!.getTime()).toBeGreaterThan(bill.issuedAt.getTime());
      }
      // Nobody got another party's bill, nor the same bill twice: a look-out for events that must
      // NOT come (an absence has no event), then exactly the probes and the lost bill, once each.
      await sleep(300);
      for (const s of [buyerSub, carrierSub]) {
        const ids = s.events.map((e) => (e.data as any)?.billIssued?.id);
        expect(ids.filter((id) => id === bill._id)).toHaveLength(1);
        expect(ids.filter((id) => id !== bill._id).every((id) => probes.includes(id))).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
      }
    } finally {
      await buyerWs.dispose();
      await carrierWs.dispose();
    }
  }, 120_000);
});
