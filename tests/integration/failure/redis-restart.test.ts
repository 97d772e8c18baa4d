// Redis (the cross-instance pub/sub) is killed and restarted under live subscriptions. Two
// moderator instances and the billing subgraph run as real processes on a Redis of this test's
// own (never the shared one); a gateway carries graphql-ws subscribers whose events cross
// instances through Redis. After the restart the same subscriptions keep receiving events, a
// mutation made while Redis was down completes once it is back, and no process died.
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, gqlOk, mongoUri, startGateway, token, uniqueName } from '../../support/harness';
import { alive } from '../../support/processes';
import { subscribe, wsClient, type TestSubscription, type TestWsClient } from '../../support/ws-client';
import { createRequest, registerParties, SUBMIT_BID } from '../moderator/helpers';
import { RECORD_SELECTION, selectionInput } from '../billing/fixtures';
import { freePort, startChild, until, type ChildService } from './support/children';
import { sleep, within } from '../../support/wait';

/** A throw-away redis-server on its own port (no persistence). */
function startRedis(port: number): { proc: ChildProcess; ready: Promise<void>; kill(): Promise<void> } {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ready = until(async () => {
    const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, { message: `redis-server on ${port}`, timeout: 10_000 }).then(() => undefined);
  return {
    proc,
    ready,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** The next event of `sub`, or an error after timeoutMs (a subscription must never hang a test). */
const nextEvent = (sub: TestSubscription, timeout = 15_000) => within(sub.next(), { message: 'the next subscription event', timeout });

const BID_UPDATES = `subscription($id: ID!) { bidUpdates(requestId: $id) { requestId kind board { entries { rank } } } }`;
const BILL_ISSUED = `subscription { billIssued { id kind buyer { id } } }`;

describe('failure: Redis restarted under live subscriptions', () => {
  const prefix = `${uniqueName('redisfail')}:`;
  const modDb = uniqueName('t_fail_redis_mod');
  const billDb = uniqueName('t_fail_redis_bill');
  let redisPort: number;
  let redis: ReturnType<typeof startRedis>;
  let modA: ChildService;
  let modB: ChildService;
  let billing: ChildService;
  let gateway: GatewayApp;
  let keeping: GatewayApp;
  const clients: TestWsClient[] = [];

  const numsub = async (channel: string) => {
    const c = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const [, n] = (await c.pubsub('NUMSUB', `${prefix}${channel}`)) as [string, number];
      return Number(n);
    } catch {
      return -1;
    } finally {
      c.disconnect();
    }
  };
  const channels = async () => {
    const c = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.pubsub('CHANNELS', `${prefix}*`)) as string[];
    } catch {
      return [];
    } finally {
      c.disconnect();
    }
  };

  beforeAll(async () => {
    redisPort = await freePort();
    redis = startRedis(redisPort);
    await redis.ready;
    const common = { MONGODB_URI: mongoUri(), REDIS_URL: `redis://127.0.0.1:${redisPort}`, PUBSUB_PREFIX: prefix };
    const [pa, pb, pbill] = await Promise.all([freePort(), freePort(), freePort()]);
    const modEnv = { ...common, MODERATOR_DB_NAME: modDb, BILLING_URL: `http://127.0.0.1:${pbill}/graphql`, SCHEDULER_ENABLED: 'false', OUTBOX_ENABLED: 'false' };
    [billing, modA, modB] = await Promise.all([
      startChild('billing', pbill, { ...common, BILLING_DB_NAME: billDb }),
      startChild('moderator', pa, modEnv),
      startChild('moderator', pb, modEnv),
    ]);
    gateway = await startGateway({ moderator: modA.url, billing: billing.url });
    // A gateway that keeps answers with data versions in this Redis (response-cache.ts).
    keeping = await startGateway({ moderator: modA.url, billing: billing.url }, { REDIS_URL: common.REDIS_URL, PUBSUB_PREFIX: prefix });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await gateway?.stop();
    await keeping?.stop();
    await Promise.all([modA, modB, billing].map((c) => c?.stop()));
    await redis?.kill();
    const mongoose = (await import('mongoose')).default;
    for (const db of [modDb, billDb]) {
      const conn = await mongoose.createConnection(mongoUri(), { dbName: db }).asPromise();
      await conn.dropDatabase().catch(() => undefined);
      await conn.close();
    }
  }, 60_000);

  it('keeps the subscriptions delivering after the restart, and no process crashes', async () => {
    const parties = await registerParties(modB.url, {
      buyers: [{ id: 'buyer-redis' }],
      carriers: [{ id: 'carrier-r1', coverage: ['44'] }, { id: 'carrier-r2', coverage: ['44'] }],
    });
    const buyer = parties.buyers['buyer-redis'].token;
    const req = await createRequest(modB.url, buyer, { quantity: '100' });
    const admin = await token('ADMIN', 'admin-redis');

    // A buyer follows its request's bids and an operator follows issued bills, both through the
    // gateway, which holds them on moderator A and on billing.
    const buyerWs = wsClient(gateway.url, buyer);
    const adminWs = wsClient(gateway.url, admin);
    clients.push(buyerWs, adminWs);
    const bids = subscribe(buyerWs, BID_UPDATES, { id: req.id });
    const bills = subscribe(adminWs, BILL_ISSUED);
    await until(async () => (await numsub(`moderator.bids.${req.id}`)) >= 1 && (await numsub('billing.billIssued')) >= 1, { message: 'both subscriptions reached Redis', timeout: 15_000 });
    const channelsBefore = (await channels()).sort();

    const placeBid = (carrier: string, rate: string) =>
      gql(modB.url, SUBMIT_BID, { input: { requestId: req.id, incentive: { currency: 'GBP', ratePerUnit: rate } } }, parties.carriers[carrier].token);
    const moderatorToken = await token('MODERATOR', 'moderator');
    let billSeq = 0;
    // A selection record makes billing issue (and announce) an ADVANCE bill.
    const issueBill = () =>
      gqlOk(billing.url, RECORD_SELECTION, { input: selectionInput({ selectionId: `redis-sel-${++billSeq}`, buyerId: 'buyer-redis', carrierId: 'carrier-r1' }) }, moderatorToken);

    // Before: a bid on instance B reaches the subscriber on A through Redis.
    expect((await placeBid('carrier-r1', '0.020')).errors).toBeUndefined();
    expect(await nextEvent(bids)).toEqual({ data: { bidUpdates: { requestId: req.id, kind: 'ACCEPTED', board: { entries: [{ rank: 1 }] } } } });
    await issueBill();
    expect(await nextEvent(bills)).toMatchObject({ data: { billIssued: { kind: 'ADVANCE', buyer: { id: 'buyer-redis' } } } });

    const boardQuery = `query($id: ID!) { bidBoard(requestId: $id) { entries { rank } } }`;
    await gqlOk(keeping.url, boardQuery, { id: req.id }, buyer);

    // Redis dies. A bid made meanwhile is not refused or lost for good: it completes once Redis is back.
    await redis.kill();
    // Queries through a gateway that keeps answers are executed meanwhile, never held up by Redis.
    const whileDown = await within(gql(keeping.url, boardQuery, { id: req.id }, buyer), { message: 'a query while Redis is down', timeout: 5_000 });
    expect(whileDown.errors).toBeUndefined();
    const during = placeBid('carrier-r2', '0.010');
    // The outage lasting a while, with the bid pending, is the behaviour under test.
    await sleep(1000);
    redis = startRedis(redisPort);
    await redis.ready;
    const duringResult = await within(during, { message: 'the bid placed during the outage to complete', timeout: 20_000 });
    expect(duringResult.errors).toBeUndefined();

    // Every instance subscribes again by itself: the same channels are back on the new Redis.
    await until(async () => JSON.stringify((await channels()).sort()) === JSON.stringify(channelsBefore), { message: 'subscriptions restored on the new Redis', timeout: 20_000 });

    // The subscriber hears of the outage bid (it was published once Redis was back) or the next one.
    await placeBid('carrier-r1', '0.005');
    const after = await nextEvent(bids);
    expect(after.errors).toBeUndefined();
    expect(after.data?.bidUpdates).toMatchObject({ requestId: req.id });
    // Events keep coming until the board shows both carriers' latest bids.
    let board = (after.data!.bidUpdates as { board: { entries: unknown[] } }).board.entries.length;
    while (board < 2) board = ((await nextEvent(bids)).data!.bidUpdates as { board: { entries: unknown[] } }).board.entries.length;
    expect(board).toBe(2);
    // Bills too, on the same subscription.
    await issueBill();
    expect(await nextEvent(bills)).toMatchObject({ data: { billIssued: { kind: 'ADVANCE', buyer: { id: 'buyer-redis' } } } });

    // Nobody crashed, and every service still answers.
    for (const c of [modA, modB, billing]) {
      expect(alive(c.pid)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${c.port}/health`)).status).toBe(200);
    }
    expect(buyerWs.closes).toEqual([]);
    expect(adminWs.closes).toEqual([]);
    const ok = await gql(gateway.url, `query($id: ID!) { serviceRequest(id: $id) { id status } }`, { id: req.id }, buyer);
    expect(ok.data).toEqual({ serviceRequest: { id: req.id, status: 'OPEN' } });
  }, 120_000);
});
