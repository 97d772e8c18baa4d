// Two moderator instances on one database close due auctions. Instance A (a real process) is
// SIGKILLed while closing: right after its CLOSE entry for one request reached the auction log,
// before it wrote the selection or the request's outcome. Instance B closes the others, and
// completes A's orphaned close once its lease (CLOSE_LEASE_MS) has passed. Every request ends with
// exactly one selection, awarded to its best bid.
import { mongoUri, startModerator, uniqueName } from '../../support/harness';
import { bid, createRequest, registerParties } from '../moderator/helpers';
import { freePort, startChild, until, type ChildService } from './support/children';
import { MongoProxy } from './support/mongo-proxy';

const N = 16;
const KILL_AT_CLOSE = 4;

describe('failure: a moderator instance killed while closing auctions', () => {
  const dbName = uniqueName('t_fail_close');
  let proxy: MongoProxy;
  let a: ChildService | undefined;
  let b: Awaited<ReturnType<typeof startModerator>>;

  beforeAll(async () => {
    proxy = await MongoProxy.forUri(mongoUri()).start();
    const port = await freePort();
    a = await startChild('moderator', port, {
      MONGODB_URI: proxy.uri(mongoUri()),
      MODERATOR_DB_NAME: dbName,
      OUTBOX_ENABLED: 'false',
      SCHEDULER_INTERVAL_MS: '50',
    });
    b = await startModerator({ MODERATOR_DB_NAME: dbName, OUTBOX_ENABLED: 'false', SCHEDULER_INTERVAL_MS: '50', CLOSE_LEASE_MS: '1000' });
    // B starts closing only after A died, so that A is the one interrupted mid-close.
    await b.scheduler!.stop();
  }, 60_000);

  afterAll(async () => {
    await a?.kill();
    await b?.conn.dropDatabase().catch(() => undefined);
    await b?.stop();
    await proxy?.stop();
  }, 30_000);

  it('lets the surviving instance close everything, exactly one selection per request', async () => {
    const parties = await registerParties(b.url, {
      buyers: [{ id: 'buyer-mc' }],
      carriers: [{ id: 'carrier-low', coverage: ['44'] }, { id: 'carrier-high', coverage: ['44'] }],
    });
    const ids: string[] = [];
    const winner = new Map<string, string>();
    for (let i = 0; i < N; i++) {
      const req = await createRequest(i % 2 ? a!.url : b.url, parties.buyers['buyer-mc'].token, { quantity: '100' });
      // Alternate which carrier is cheaper, so the award depends on each request's own bids.
      const lowFirst = i % 2 === 0;
      await bid(b.url, parties.carriers['carrier-low'].token, req.id, lowFirst ? '0.010' : '0.030');
      await bid(a!.url, parties.carriers['carrier-high'].token, req.id, lowFirst ? '0.020' : '0.015');
      winner.set(req.id, lowFirst ? 'carrier-low' : 'carrier-high');
      ids.push(req.id);
    }

    let killedAt = 0;
    proxy.arm({
      match: (c) => c.command === 'insert' && c.collection === 'auction_log' && c.raw.includes('CLOSE'),
      skip: KILL_AT_CLOSE - 1,
      then: () => {
        killedAt = Date.now();
        process.kill(a!.pid, 'SIGKILL');
      },
    });
    // Bidding on all of them closes now; only A's scheduler is running.
    await b.models.ServiceRequest.updateMany({ _id: { $in: ids } }, { $set: { biddingClosesAt: new Date() } });
    await until(() => killedAt > 0, { message: "A's fourth CLOSE", timeout: 30_000 });
    expect(await a!.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // A's CLOSE entries are in the log; the last one's request is still OPEN, without a selection.
    const closes = await b.models.AuctionLog.find({ requestId: { $in: ids }, kind: 'CLOSE' }).lean();
    expect(closes).toHaveLength(KILL_AT_CLOSE);
    const instanceA = closes[0].by;
    expect(instanceA).not.toBe(b.instanceId);
    expect(closes.every((c) => c.by === instanceA)).toBe(true);
    const orphaned = (await b.models.ServiceRequest.find({ _id: { $in: closes.map((c) => c.requestId) }, status: 'OPEN' }).lean()).map((r) => r._id);
    expect(orphaned.length).toBeGreaterThanOrEqual(1);
    expect(await b.models.Selection.countDocuments({ requestId: { $in: orphaned } })).toBe(0);

    // The survivor takes over.
    b.scheduler!.start();
    await until(async () => (await b.models.ServiceRequest.countDocuments({ _id: { $in: ids }, status: 'OPEN' })) === 0, { message: 'every request closed', timeout: 30_000 });

    const requests = await b.models.ServiceRequest.find({ _id: { $in: ids } }).lean();
    expect(requests.map((r) => r.status)).toEqual(ids.map(() => 'AWARDED'));
    const sels = await b.models.Selection.find({ requestId: { $in: ids } }).lean();
    expect(sels).toHaveLength(N);
    expect(new Set(sels.map((s) => s.requestId)).size).toBe(N);
    for (const s of sels) expect(s.carrierId).toBe(winner.get(s.requestId));
    for (const r of requests) expect(r.selectionId).toBe(sels.find((s) => s.requestId === r._id)!._id);
    // The orphaned close is completed in A's name (its CLOSE decided), by B after the lease.
    for (const id of orphaned) {
      const r = requests.find((x) => x._id === id)!;
      expect(r.closedBy).toBe(instanceA);
      expect(new Date(r.closedAt!).getTime()).toBeGreaterThanOrEqual(killedAt);
    }
    // Every other close is B's own, one CLOSE entry each: no request was closed twice.
    const allCloses = await b.models.AuctionLog.find({ requestId: { $in: ids }, kind: 'CLOSE' }).lean();
    const perRequest = new Map<string, number>();
    for (const c of allCloses) perRequest.set(c.requestId, (perRequest.get(c.requestId) ?? 0) + 1);
    expect([...perRequest.values()].every((n) => n === 1)).toBe(true);
    expect(b.services.auction.closesClaimed).toBe(N - KILL_AT_CLOSE);
  }, 120_000);
});
