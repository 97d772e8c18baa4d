// Issue 20 (medium, "a token is many tokens"): the upstream WebSocket sharing, the verified-token
// cache and deduplication keyed on the raw token text, so 300 variants of one token opened 300
// upstream sockets. Junk variants are now refused, and sharing keys on the verified identity.
import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from '@exchange/platform';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, until, type TestSubgraph } from '../../support/gateway-fixtures';
import { subscribe, wsClient, type TestWsClient } from '../../support/ws-client';

/** A distinct, valid token of the same identity each time (its own jti). */
const tokenOf = (sub: string, n: number) =>
  new SignJWT({ role: 'BUYER', jti: `t-${n}` })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));

describe('tokens are keyed by the identity they verify to', () => {
  const ordersState = new OrdersState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let gw: GatewayApp;
  const clients: TestWsClient[] = [];

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(new LedgerState());
    // The connection limits (ws-limits.test.ts) are raised: this test holds 300 connections of one identity from one address.
    gw = await startTestGateway(composeTestSupergraph({ orders: orders.url, ledger: ledger.url }), {
      WS_MAX_CONNECTIONS_PER_ADDRESS: '400',
      WS_MAX_CONNECTIONS_PER_IDENTITY: '400',
      MAX_SUBSCRIPTIONS_PER_IDENTITY: '400',
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await gw?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it('refuses a token with junk inserted into its signature, over HTTP and WebSocket', async () => {
    const t = await tokenOf('alice', 0);
    const [h, p, s] = t.split('.');
    const junk = `${h}.${p}.${s.slice(0, 10)}!!~~**${s.slice(10)}`;
    const r = await gql(gw.url, '{ whoami }', {}, junk);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const c = wsClient(gw.url, junk);
    clients.push(c);
    const sub = subscribe(c, 'subscription { orderPlaced { id } }');
    await sub.ended;
    expect(c.closes[0]?.code).toBe(4401);
  });

  it('300 distinct tokens of one buyer share one upstream socket', async () => {
    const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => tokenOf('alice', i + 1)));
    const subs = tokens.map((t) => {
      const c = wsClient(gw.url, t);
      clients.push(c);
      return subscribe(c, 'subscription { orderPlaced { id } }');
    });
    await until(() => gw.activeSubscriptions() === 300, 'all 300 subscriptions are open');
    expect(orders.openSockets()).toBe(1);
    // And every one of them still gets its events.
    const r = await gql(gw.url, 'mutation { placeOrder(id: "o-9", destination: "FR") { id } }', {}, tokens[0]);
    expect(r.errors).toBeUndefined();
    const events = await Promise.all(subs.map((s) => s.next()));
    expect(events.every((e) => (e.data as { orderPlaced: { id: string } }).orderPlaced.id === 'o-9')).toBe(true);
  });
});
