// Several instances on Redis with the real subgraphs: two moderator instances on ONE moderator
// database, one billing, two gateways (A talks to moderator A, B to moderator B), all sharing one
// Redis pub/sub under a channel prefix unique to this run. Events published by one instance reach
// subscribers behind the other gateway, and every moderator's routing index follows selections
// made on any instance.
import Redis from 'ioredis';
import { startBilling, startGateway, startModerator, token, uniqueName } from '../../support/harness';
import { subscribe, wsClient, type TestWsClient } from '../../support/ws-client';
import { bidInput, CLOSE, countSubscriptions, CREATE_REQUEST, gql, gqlOk, MINUTE, nextEvent, REGISTER_BUYER, REGISTER_CARRIER, requestInput, SUBMIT_BID, until } from './helpers';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

jest.setTimeout(60_000);

describe('two moderators, one billing and two gateways on Redis', () => {
  const prefix = `${uniqueName('e2e_redis')}:`;
  const moderatorDb = uniqueName('t_moderator');
  let billing: Awaited<ReturnType<typeof startBilling>>;
  let modA: Awaited<ReturnType<typeof startModerator>>;
  let modB: Awaited<ReturnType<typeof startModerator>>;
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  let redis: Redis;
  let subsAtA: (topic: string) => number;
  let subsAtB: (topic: string) => number;
  const clients: TestWsClient[] = [];
  const t: Record<string, string> = {};
  let requestId: string;
  let interval: { start: string; end: string };

  /** Instances subscribed to a channel of this run, as Redis counts them. */
  const redisSubscribers = async (topic: string) => {
    const [, n] = (await redis.pubsub('NUMSUB', `${prefix}${topic}`)) as [string, number];
    return Number(n);
  };
  const ws = (gatewayUrl: string, bearer: string) => {
    const c = wsClient(gatewayUrl, bearer);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const shared = { REDIS_URL, PUBSUB_PREFIX: prefix };
    billing = await startBilling(shared);
    const moderatorEnv = { ...shared, MODERATOR_DB_NAME: moderatorDb, BILLING_URL: billing.url, OUTBOX_INTERVAL_MS: '50', SCHEDULER_ENABLED: 'false' };
    modA = await startModerator(moderatorEnv);
    modB = await startModerator(moderatorEnv);
    gwA = await startGateway({ moderator: modA.url, billing: billing.url }, shared);
    gwB = await startGateway({ moderator: modB.url, billing: billing.url }, shared);
    subsAtA = countSubscriptions(modA.pubsub);
    subsAtB = countSubscriptions(modB.pubsub);
    redis = new Redis(REDIS_URL);
    t.admin = await token('ADMIN', 'admin-1');
    t.buyer = await token('BUYER', 'buyer-r');
    t.c1 = await token('CARRIER', 'carrier-r1');
    t.c2 = await token('CARRIER', 'carrier-r2');
    // Parties registered through gateway A are in the one moderator database both instances use.
    await gqlOk(gwA.url, REGISTER_BUYER, { input: { id: 'buyer-r', name: 'Redis Buyer' } }, t.admin);
    await gqlOk(gwA.url, REGISTER_CARRIER, { input: { id: 'carrier-r1', name: 'Carrier R One', coverage: ['49'] } }, t.admin);
    await gqlOk(gwA.url, REGISTER_CARRIER, { input: { id: 'carrier-r2', name: 'Carrier R Two', coverage: ['49'] } }, t.admin);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await gwA?.stop();
    await gwB?.stop();
    await modA?.conn.dropDatabase().catch(() => undefined);
    await billing?.conn.dropDatabase().catch(() => undefined);
    await modA?.stop();
    await modB?.stop();
    await billing?.stop();
    await redis?.quit();
  });

  it('a request created through gateway A is distributed live to a carrier subscribed on gateway B', async () => {
    const dist = subscribe(ws(gwB.url, t.c1), `subscription { requestDistributed { request { id routes { destination } buyer { id } } } }`);
    await until(async () => subsAtB('moderator.request.distributed') === 1 && (await redisSubscribers('moderator.request.distributed')) === 1, 'moderator B subscribed on Redis');
    expect(subsAtA('moderator.request.distributed')).toBe(0);

    const created = (await gqlOk(gwA.url, CREATE_REQUEST, { input: requestInput('4930', '2000') }, t.buyer)).createServiceRequest;
    requestId = created.id;
    interval = created.interval;
    expect(await nextEvent(dist, 'requestDistributed on gateway B')).toEqual({
      data: { requestDistributed: { request: { id: requestId, routes: [{ destination: '4930' }], buyer: null } } },
    });
  });

  it('a bid placed through gateway A reaches bidUpdates subscribers on gateway B (anonymised for the competitor)', async () => {
    const q = `subscription($id: ID!) { bidUpdates(requestId: $id) { kind bid { id carrier { name } } board { view bidCount viewerRank entries { pseudonym isViewer carrier { id name } } } } }`;
    const onB = subscribe(ws(gwB.url, t.c1), q, { id: requestId });
    const buyerOnB = subscribe(ws(gwB.url, t.buyer), q, { id: requestId });
    const topic = `moderator.bids.${requestId}`;
    await until(async () => subsAtB(topic) === 2 && (await redisSubscribers(topic)) === 1, 'moderator B subscribed to the board on Redis');
    // Moderator A (which accepts the bid) has no subscriber of its own: the event must cross Redis.
    expect(subsAtA(topic)).toBe(0);

    const bidId = (await gqlOk(gwA.url, SUBMIT_BID, { input: bidInput(requestId, '0.0200', 'EUR') }, t.c2)).submitBid.id;
    const competitor = await nextEvent(onB, 'carrier 1 bidUpdates on gateway B');
    expect(competitor.errors).toBeUndefined();
    expect(competitor.data!.bidUpdates).toMatchObject({ kind: 'ACCEPTED', bid: null, board: { view: 'ANONYMOUS', bidCount: 1, viewerRank: null } });
    expect(competitor.data!.bidUpdates.board.entries).toEqual([{ pseudonym: expect.stringMatching(/^Bidder-/), isViewer: false, carrier: null }]);
    expect(JSON.stringify(competitor)).not.toMatch(/carrier-r2|Carrier R Two/);
    // The buyer's view on B is completed by moderator B: the full board with the carrier.
    const full = await nextEvent(buyerOnB, 'buyer bidUpdates on gateway B');
    expect(full.data!.bidUpdates).toMatchObject({
      kind: 'ACCEPTED',
      bid: { id: bidId, carrier: { name: 'Carrier R Two' } },
      board: { view: 'FULL', bidCount: 1, entries: [{ carrier: { id: 'carrier-r2', name: 'Carrier R Two' } }] },
    });

    // And the other way round: carrier 1 bids through gateway B, a subscriber on gateway A sees it.
    const onA = subscribe(ws(gwA.url, t.c2), q, { id: requestId });
    await until(async () => subsAtA(topic) === 1 && (await redisSubscribers(topic)) === 2, 'both moderators subscribed');
    await gqlOk(gwB.url, SUBMIT_BID, { input: bidInput(requestId, '0.0150', 'EUR') }, t.c1);
    const fromB = await nextEvent(onA, 'carrier 2 bidUpdates on gateway A');
    expect(fromB.data!.bidUpdates).toMatchObject({ kind: 'ACCEPTED', bid: null, board: { view: 'ANONYMOUS', bidCount: 2, viewerRank: 2 } });
    expect(JSON.stringify(fromB)).not.toMatch(/carrier-r1|Carrier R One/);
    expect((await nextEvent(onB, 'carrier 1 own bid on gateway B')).data!.bidUpdates).toMatchObject({ bid: { carrier: { name: 'Carrier R One' } }, board: { viewerRank: 1 } });
  });

  it('a selection made on moderator A is routable on moderator B, and its ADVANCE bill reaches the buyer on gateway B', async () => {
    const at = new Date(new Date(interval.start).getTime() + 30 * MINUTE).toISOString();
    const route = `query($d: String!, $at: DateTime) { routeCall(destination: $d, at: $at) { matchedPrefix carrier { id name } ratePerUnit currency reason } }`;
    // Before the close neither instance routes the destination.
    expect((await gqlOk(gwB.url, route, { d: '493012345', at }, t.buyer)).routeCall).toMatchObject({ matchedPrefix: null, reason: 'NO_ROUTE_FOR_DESTINATION' });

    const bills = subscribe(ws(gwB.url, t.buyer), `subscription { billIssued { kind total { amount currency } buyer { name } carrier { name } request { id routes { destination } } } }`);
    await until(async () => (await redisSubscribers('billing.billIssued')) === 1, 'billing subscribed to bills on Redis');
    const reloadsBefore = modB.services.routing.reloads;

    const closed = (await gqlOk(gwA.url, CLOSE, { id: requestId }, t.buyer)).closeBidding;
    expect(closed).toMatchObject({ status: 'AWARDED', selection: { carrier: { id: 'carrier-r1' } } });

    // Moderator B learns of the award only through the routing.changed event on Redis (its
    // periodic full reload is minutes away and did not run).
    let decision: Record<string, unknown> | undefined;
    await until(async () => {
      decision = (await gqlOk(gwB.url, route, { d: '493012345', at }, t.buyer)).routeCall;
      return decision!.matchedPrefix !== null;
    }, 'moderator B routes the new selection');
    expect(decision).toEqual({ matchedPrefix: '4930', carrier: { id: 'carrier-r1', name: 'Carrier R One' }, ratePerUnit: '0.015', currency: 'EUR', reason: null });
    expect(modB.services.routing.reloads).toBe(reloadsBefore);
    // Straight at moderator B (as a buyer's switch would ask it), same answer.
    const direct = await gql(modB.url, route, { d: '+493012345', at }, t.buyer);
    expect(direct.data).toEqual({ routeCall: decision });

    const bill = await nextEvent(bills, 'billIssued on gateway B');
    expect(bill).toEqual({
      data: {
        billIssued: {
          kind: 'ADVANCE',
          // 2000 minutes at 0.015 EUR
          total: { amount: '30.00', currency: 'EUR' },
          buyer: { name: 'Redis Buyer' },
          carrier: { name: 'Carrier R One' },
          request: { id: requestId, routes: [{ destination: '4930' }] },
        },
      },
    });
  });
});
