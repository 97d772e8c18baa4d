// Several instances on Redis: two instances of each (test) subgraph share one Redis pub/sub
// (a unique prefix per run), each gateway talks to its own instances. An event triggered through
// gateway A reaches a subscriber on gateway B, completed through B's supergraph.
import Redis from 'ioredis';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token, uniqueName } from '../../support/harness';
import {
  composeTestSupergraph,
  LedgerState,
  OrdersState,
  startLedger,
  startOrders,
  startTestGateway,
  until,
  type TestSubgraph,
} from '../../support/gateway-fixtures';
import { subscribe, wsClient } from '../../support/ws-client';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('subscriptions across gateway instances on Redis', () => {
  const prefix = `${uniqueName('gwtest')}:`;
  // Instances of one subgraph share their state, as they would share a database.
  const ordersState = new OrdersState();
  const ledgerState = new LedgerState();
  let orders1: TestSubgraph;
  let orders2: TestSubgraph;
  let ledger1: Awaited<ReturnType<typeof startLedger>>;
  let ledger2: Awaited<ReturnType<typeof startLedger>>;
  let gatewayA: GatewayApp;
  let gatewayB: GatewayApp;
  let redis: Redis;

  const subscribers = async (topic: string) => {
    const [, n] = (await redis.pubsub('NUMSUB', `${prefix}${topic}`)) as [string, number];
    return Number(n);
  };

  beforeAll(async () => {
    const opts = { redisUrl: REDIS_URL, prefix };
    [orders1, orders2, ledger1, ledger2] = await Promise.all([
      startOrders(ordersState, opts),
      startOrders(ordersState, opts),
      startLedger(ledgerState, opts),
      startLedger(ledgerState, opts),
    ]);
    // One composed supergraph; each gateway is pointed at its own instances.
    const sdl = composeTestSupergraph({ orders: orders1.url, ledger: ledger1.url });
    gatewayA = await startTestGateway(sdl, { REDIS_URL, PUBSUB_PREFIX: prefix }, { orders: orders1.url, ledger: ledger1.url });
    gatewayB = await startTestGateway(sdl, { REDIS_URL, PUBSUB_PREFIX: prefix }, { orders: orders2.url, ledger: ledger2.url });
    redis = new Redis(REDIS_URL);
    ordersState.parties.set('carol', { id: 'carol', name: 'Carol Carrier' });
    ordersState.orders.set('o-carol', { id: 'o-carol', buyerId: 'carol', routes: [{ origin: 'US', destination: 'MX' }] });
  });

  afterAll(async () => {
    await gatewayA?.stop();
    await gatewayB?.stop();
    await Promise.all([orders1, orders2, ledger1, ledger2].map((s) => s?.stop()));
    await redis?.quit();
  });

  it('delivers an invoice issued through gateway A to a subscriber on gateway B, completed on B', async () => {
    const c = wsClient(gatewayB.url, await token('BUYER', 'carol'));
    try {
      const sub = subscribe(c, `subscription { invoiceIssued { invoice { id total { amount } buyer { name } order { routes { destination } } } } }`);
      await until(() => ledger2.activeSubscriptions() === 1, 'ledger instance 2 holds the subscription');
      await until(async () => (await subscribers('invoice')) === 1, 'Redis knows the subscriber');
      ordersState.entityCalls.length = 0;

      const issued = await gql(
        gatewayA.url,
        `mutation { issueInvoice(id: "inv-r1", orderId: "o-carol", buyerId: "carol", amount: "77.00") { id } }`,
        {},
        await token('ADMIN', 'admin-1'),
      );
      expect(issued.data).toEqual({ issueInvoice: { id: 'inv-r1' } });
      expect(await sub.next()).toEqual({
        data: {
          invoiceIssued: {
            invoice: { id: 'inv-r1', total: { amount: '77.00' }, buyer: { name: 'Carol Carrier' }, order: { routes: [{ destination: 'MX' }] } },
          },
        },
      });
      // Gateway A's ledger instance never had a subscriber: the event crossed instances through Redis.
      expect(ledger1.activeSubscriptions()).toBe(0);
      expect(ordersState.entityCalls.every((e) => e.sub === 'carol')).toBe(true);
    } finally {
      await c.dispose();
    }
    await until(async () => (await subscribers('invoice')) === 0, 'the Redis subscription ended with the client');
  });

  it('delivers an order placed through gateway B to subscribers on both gateways', async () => {
    const admin = await token('ADMIN', 'admin-1');
    const onA = wsClient(gatewayA.url, admin);
    const onB = wsClient(gatewayB.url, admin);
    try {
      const a = subscribe(onA, 'subscription { orderPlaced { id buyer { name } } }');
      const b = subscribe(onB, 'subscription { orderPlaced { id routes { destination } } }');
      await until(async () => orders1.activeSubscriptions() === 1 && orders2.activeSubscriptions() === 1 && (await subscribers('order')) === 2, 'both subscribed');
      const placed = await gql(gatewayB.url, 'mutation { placeOrder(id: "o-r2", destination: "CA") { id } }', {}, await token('BUYER', 'carol'));
      expect(placed.data).toEqual({ placeOrder: { id: 'o-r2' } });
      expect(await a.next()).toEqual({ data: { orderPlaced: { id: 'o-r2', buyer: { name: 'Carol Carrier' } } } });
      expect(await b.next()).toEqual({ data: { orderPlaced: { id: 'o-r2', routes: [{ destination: 'CA' }] } } });
    } finally {
      await onA.dispose();
      await onB.dispose();
    }
  });
});
