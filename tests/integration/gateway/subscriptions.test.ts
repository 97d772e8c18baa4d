// Subscriptions through the gateway, against small real subgraphs (see tests/support/gateway-fixtures.ts):
// the root field runs at the owning subgraph under the subscriber's token, every event's other
// fields are completed through the supergraph under the same identity, and nothing leaks.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token } from '../../support/harness';
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
import { subscribe, wsClient, type TestWsClient } from '../../support/ws-client';

/** A real TCP hop that can freeze (stop forwarding both ways), like a network partition. */
async function startTcpHop(targetPort: number, { frozen = false } = {}) {
  const pairs: [Socket, Socket][] = [];
  const server = createServer((client) => {
    if (frozen) {
      pairs.push([client, client]); // accepts the connection, never forwards a byte
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pairs.push([client, upstream]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    freeze: () => pairs.forEach(([a, b]) => (a.unpipe(), b.unpipe())),
    async stop() {
      pairs.forEach(([a, b]) => (a.destroy(), b.destroy()));
      await new Promise((r) => server.close(r));
    },
  };
}

const INVOICE_SUBSCRIPTION = `subscription {
  invoiceIssued { invoice { id total { amount currency } buyer { name } order { routes { destination } } } }
}`;

describe('subscriptions through the gateway', () => {
  const orders = new OrdersState();
  const ledgerState = new LedgerState();
  let ordersSg: TestSubgraph;
  let ledger: Awaited<ReturnType<typeof startLedger>>;
  let gateway: GatewayApp;
  let supergraph: string;
  const clients: TestWsClient[] = [];
  const client = (bearer?: string) => {
    const c = wsClient(gateway.url, bearer);
    clients.push(c);
    return c;
  };
  let alice: string;
  let bob: string;
  let admin: string;

  beforeAll(async () => {
    ordersSg = await startOrders(orders);
    ledger = await startLedger(ledgerState);
    supergraph = composeTestSupergraph({ orders: ordersSg.url, ledger: ledger.url });
    gateway = await startTestGateway(supergraph);
    orders.parties.set('alice', { id: 'alice', name: 'Alice Telecom' });
    orders.parties.set('bob', { id: 'bob', name: 'Bob Networks' });
    orders.orders.set('o-alice', { id: 'o-alice', buyerId: 'alice', routes: [{ origin: 'DE', destination: 'FR' }, { origin: 'FR', destination: 'ES' }] });
    orders.orders.set('o-bob', { id: 'o-bob', buyerId: 'bob', routes: [{ origin: 'DE', destination: 'IT' }] });
    // Bob's token lives longer than a timer can wait (2^31 ms): his connections must stay open anyway.
    [alice, bob, admin] = await Promise.all([token('BUYER', 'alice'), token('BUYER', 'bob', '20h'), token('ADMIN', 'admin-1')]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    // Each test starts with nothing open upstream, so its own counts are exact.
    await until(() => ordersSg.activeSubscriptions() + ledger.activeSubscriptions() + gateway.activeSubscriptions() === 0, 'all closed');
  });

  afterAll(async () => {
    await gateway?.stop();
    await ordersSg?.stop();
    await ledger?.stop();
  });

  it('completes each event with fields of the other subgraph, under the subscriber identity', async () => {
    const sub = subscribe(client(alice), INVOICE_SUBSCRIPTION);
    await until(() => ledger.activeSubscriptions() === 1, 'the ledger has the subscription');
    orders.entityCalls.length = 0;
    await ledger.issue({ id: 'inv-1', orderId: 'o-alice', buyerId: 'alice', amount: '120.50' });
    expect(await sub.next()).toEqual({
      data: {
        invoiceIssued: {
          invoice: {
            id: 'inv-1',
            total: { amount: '120.50', currency: 'EUR' },
            buyer: { name: 'Alice Telecom' },
            order: { routes: [{ destination: 'FR' }, { destination: 'ES' }] },
          },
        },
      },
    });
    // The Party and Order entity fetches ran at the orders subgraph with Alice's own token.
    expect(orders.entityCalls.map((c) => [c.typename, c.id, c.sub]).sort()).toEqual([
      ['Order', 'o-alice', 'alice'],
      ['Party', 'alice', 'alice'],
    ]);
    sub.unsubscribe();
  });

  it('delivers only the events the subscriber may see (the owning subgraph filters per identity)', async () => {
    const bobSub = subscribe(client(bob), `subscription { invoiceIssued { invoice { id buyer { name } } } }`);
    const adminSub = subscribe(client(admin), `subscription { invoiceIssued { invoice { id } } }`);
    await until(() => ledger.activeSubscriptions() === 2, 'both subscriptions reached the ledger');
    await ledger.issue({ id: 'inv-a', orderId: 'o-alice', buyerId: 'alice', amount: '1.00' });
    await ledger.issue({ id: 'inv-b', orderId: 'o-bob', buyerId: 'bob', amount: '2.00' });
    expect(await bobSub.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'inv-b', buyer: { name: 'Bob Networks' } } } } });
    expect(await adminSub.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'inv-a' } } } });
    expect(await adminSub.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'inv-b' } } } });
    expect(bobSub.events).toHaveLength(1);
  });

  it('never completes an event with data the subscriber could not query itself', async () => {
    // An invoice addressed to Bob that points at Alice's order: the entity fetch runs under Bob's
    // token, so the orders subgraph refuses it exactly as it would refuse Bob's own query.
    const sub = subscribe(client(bob), `subscription { invoiceIssued { invoice { id order { id routes { destination } } } } }`);
    await until(() => ledger.activeSubscriptions() === 1, 'the ledger has the subscription');
    await ledger.issue({ id: 'inv-x', orderId: 'o-alice', buyerId: 'bob', amount: '3.00' });
    const event = await sub.next();
    expect(event.data).toEqual({ invoiceIssued: { invoice: { id: 'inv-x', order: null } } });
    expect(event.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(event)).not.toContain('FR');
  });

  it('supports variables, aliases, fragments and @include in a subscription selection', async () => {
    const sub = subscribe(
      client(alice),
      `subscription Watch($withBuyer: Boolean!) {
        placed: orderPlaced { ...OrderBits buyer @include(if: $withBuyer) { name } }
      }
      fragment OrderBits on Order { ref: id routes { destination } }`,
      { withBuyer: true },
    );
    await until(() => ordersSg.activeSubscriptions() === 1, 'the orders subgraph has the subscription');
    const placed = await gql(gateway.url, `mutation { placeOrder(id: "o-new", destination: "PL") { id } }`, {}, alice);
    expect(placed.data).toEqual({ placeOrder: { id: 'o-new' } });
    expect(await sub.next()).toEqual({
      data: { placed: { ref: 'o-new', routes: [{ destination: 'PL' }], buyer: { name: 'Alice Telecom' } } },
    });
  });

  it('runs queries and mutations over the same WebSocket connection and over HTTP on the same path', async () => {
    const c = client(alice);
    const sub = subscribe(c, `subscription { orderPlaced { id } }`);
    await until(() => ordersSg.activeSubscriptions() === 1, 'subscribed');
    const q = subscribe(c, `query { order(id: "o-alice") { id buyer { name } } }`);
    expect(await q.next()).toEqual({ data: { order: { id: 'o-alice', buyer: { name: 'Alice Telecom' } } } });
    expect(await q.ended).toEqual({ kind: 'complete' });
    const m = subscribe(c, `mutation { placeOrder(id: "o-ws", destination: "NL") { id } }`);
    expect(await m.next()).toEqual({ data: { placeOrder: { id: 'o-ws' } } });
    expect(await sub.next()).toEqual({ data: { orderPlaced: { id: 'o-ws' } } });
    const forbidden = subscribe(c, `query { order(id: "o-bob") { id } }`);
    const r = await forbidden.next();
    expect(r.data).toEqual({ order: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const http = await gql(gateway.url, `{ order(id: "o-alice") { routes { destination } } }`, {}, alice);
    expect(http.data).toEqual({ order: { routes: [{ destination: 'FR' }, { destination: 'ES' }] } });
  });

  it('rejects invalid subscriptions with coded errors before anything reaches a subgraph', async () => {
    const c = client(alice);
    const unknown = subscribe(c, `subscription { invoiceIssued { invoice { nope } } }`);
    const end = await unknown.ended;
    expect(end.kind).toBe('error');
    expect((end as { error: { message: string; extensions: { code: string } }[] }).error[0]).toMatchObject({
      message: 'Cannot query field "nope" on type "Invoice".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const badVar = subscribe(c, `subscription($x: Boolean!) { orderPlaced { id buyer @include(if: $x) { id } } }`, { x: 'yes' });
    const end2 = await badVar.ended;
    expect((end2 as { error: { extensions: { code: string } }[] }).error[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(ledger.activeSubscriptions() + ordersSg.activeSubscriptions()).toBe(0);
  });

  it('refuses a subscription sent over HTTP with a clear error', async () => {
    const r = await gql(gateway.url, `subscription { orderPlaced { id } }`, {}, alice);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(r.errors?.[0]?.message).toContain('WebSocket');
  });

  it('passes the subgraph refusal of an unauthenticated subscriber on as UNAUTHENTICATED', async () => {
    const sub = subscribe(client(), `subscription { orderPlaced { id } }`);
    const first = await sub.next();
    expect(first.data).toBeFalsy();
    expect(first.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(await sub.ended).toEqual({ kind: 'complete' });
  });

  it('leaves no upstream subscription or socket behind after unsubscribe and after disconnect', async () => {
    const c = client(alice);
    const a = subscribe(c, INVOICE_SUBSCRIPTION);
    const b = subscribe(c, `subscription { orderPlaced { id } }`);
    const d = subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
    await until(() => ledger.activeSubscriptions() === 2 && ordersSg.activeSubscriptions() === 1, 'all three are upstream');
    // One upstream socket per subgraph for this client connection, shared by its subscriptions.
    expect(ledger.openSockets()).toBe(1);
    expect(ordersSg.openSockets()).toBe(1);
    expect(gateway.activeSubscriptions()).toBe(3);

    a.unsubscribe();
    await until(() => ledger.activeSubscriptions() === 1, 'the first ledger subscription ended upstream');
    expect(ledger.openSockets()).toBe(1);
    d.unsubscribe();
    await until(() => ledger.activeSubscriptions() === 0 && ledger.openSockets() === 0, 'the ledger socket closed');
    expect(ordersSg.activeSubscriptions()).toBe(1);

    await c.dispose(); // disconnect with `b` still open
    await until(() => ordersSg.activeSubscriptions() === 0 && ordersSg.openSockets() === 0, 'the orders socket closed');
    await until(() => gateway.activeSubscriptions() === 0, 'the gateway forgot them');
    void b;
    const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
    expect(metrics).toMatch(/gateway_active_subscriptions\{subgraph="ledger",service="gateway"\} 0/);
    expect(metrics).toMatch(/gateway_active_subscriptions\{subgraph="orders",service="gateway"\} 0/);
    expect(metrics).toMatch(/gateway_websocket_connections\{service="gateway"\} 0/);
  });

  it('reports a lost subgraph to the subscriber instead of hanging, and works again once it is back', async () => {
    const state = new LedgerState();
    const flaky = await startLedger(state);
    const port = flaky.port;
    const gw = await startTestGateway(supergraph, {}, { ledger: flaky.url });
    const c = wsClient(gw.url, alice);
    try {
      const sub = subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
      await until(() => flaky.activeSubscriptions() === 1, 'subscribed upstream');
      await flaky.stop();
      const end = await sub.ended;
      expect(end.kind).toBe('error');
      expect((end as { error: { extensions: { code: string; serviceName: string } }[] }).error[0].extensions).toMatchObject({
        code: 'SUBGRAPH_UNAVAILABLE',
        serviceName: 'ledger',
      });
      expect(gw.activeSubscriptions()).toBe(0);

      const back = await startLedger(state, { port });
      try {
        const again = subscribe(c, `subscription { invoiceIssued { invoice { id buyer { name } } } }`);
        await until(() => back.activeSubscriptions() === 1, 'subscribed again');
        await back.issue({ id: 'inv-back', orderId: 'o-alice', buyerId: 'alice', amount: '5.00' });
        expect(await again.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'inv-back', buyer: { name: 'Alice Telecom' } } } } });
        again.unsubscribe();
      } finally {
        await back.stop();
      }
    } finally {
      await c.dispose();
      await gw.stop();
    }
  });

  it('detects a subgraph that stops answering without closing (no pong) and errors the subscription', async () => {
    const hop = await startTcpHop(ledger.port);
    const gw = await startTestGateway(supergraph, { UPSTREAM_KEEPALIVE_MS: '100' }, { ledger: hop.url });
    const c = wsClient(gw.url, alice);
    try {
      const sub = subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
      await until(() => ledger.activeSubscriptions() === 1, 'subscribed upstream through the hop');
      hop.freeze();
      const end = await sub.ended;
      expect((end as { error: { extensions: { code: string } }[] }).error[0].extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
      expect(gw.activeSubscriptions()).toBe(0);
    } finally {
      await c.dispose();
      await gw.stop();
      await hop.stop();
    }
    await until(() => ledger.activeSubscriptions() === 0, 'the ledger noticed the dead socket');
  });

  it('errors a subscription when its subgraph accepts the connection but never answers', async () => {
    const hop = await startTcpHop(ledger.port, { frozen: true });
    const gw = await startTestGateway(supergraph, { SUBGRAPH_TIMEOUT_MS: '200' }, { ledger: hop.url });
    const c = wsClient(gw.url, alice);
    try {
      const sub = subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
      const end = await sub.ended;
      expect((end as { error: { extensions: { code: string } }[] }).error[0].extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
      expect(gw.activeSubscriptions()).toBe(0);
    } finally {
      await c.dispose();
      await gw.stop();
      await hop.stop();
    }
  });

  it('errors a subscription at once when its subgraph is down', async () => {
    const state = new LedgerState();
    const gone = await startLedger(state);
    await gone.stop();
    const gw = await startTestGateway(supergraph, {}, { ledger: gone.url });
    const c = wsClient(gw.url, alice);
    try {
      const sub = subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
      const end = await sub.ended;
      expect((end as { error: { extensions: { code: string } }[] }).error[0].extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
    } finally {
      await c.dispose();
      await gw.stop();
    }
  });

  it('ends a connection when its token expires (close 4401), with its subscriptions upstream', async () => {
    const c = client(await token('BUYER', 'alice', '2s'));
    const sub = subscribe(c, `subscription { orderPlaced { id } }`);
    await until(() => ordersSg.activeSubscriptions() === 1, 'subscribed upstream');
    const end = await sub.ended;
    expect(end.kind).toBe('error');
    expect(c.closes).toEqual([{ code: 4401, reason: 'Unauthenticated: token expired' }]);
    await until(() => ordersSg.activeSubscriptions() === 0 && ordersSg.openSockets() === 0, 'upstream ended');
  });

  it('shares one upstream subscription between subscribers with the same token, operation and variables', async () => {
    const one = subscribe(client(alice), INVOICE_SUBSCRIPTION);
    const two = subscribe(client(alice), INVOICE_SUBSCRIPTION); // another connection, same token
    const other = subscribe(client(admin), INVOICE_SUBSCRIPTION); // another identity: its own
    const fewer = subscribe(client(alice), `subscription { invoiceIssued { invoice { id } } }`); // another operation: its own
    await until(() => gateway.activeSubscriptions() === 4 && ledger.activeSubscriptions() === 3, 'three upstream subscriptions for four subscribers');
    expect(ledger.openSockets()).toBe(2); // one per token

    orders.entityCalls.length = 0;
    await ledger.issue({ id: 'inv-shared-1', orderId: 'o-alice', buyerId: 'alice', amount: '3.00' });
    const full = {
      data: {
        invoiceIssued: {
          invoice: { id: 'inv-shared-1', total: { amount: '3.00', currency: 'EUR' }, buyer: { name: 'Alice Telecom' }, order: { routes: [{ destination: 'FR' }, { destination: 'ES' }] } },
        },
      },
    };
    expect(await one.next()).toEqual(full);
    expect(await two.next()).toEqual(full);
    expect(await other.next()).toEqual(full);
    expect(await fewer.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'inv-shared-1' } } } });
    // The shared event was completed once for Alice's two subscribers, once for the admin.
    expect(orders.entityCalls.filter((c) => c.typename === 'Order').map((c) => c.sub).sort()).toEqual(['admin-1', 'alice']);

    // The first subscriber leaving does not end the stream for the second.
    one.unsubscribe();
    await until(() => gateway.activeSubscriptions() === 3, 'one left');
    expect(ledger.activeSubscriptions()).toBe(3);
    await ledger.issue({ id: 'inv-shared-2', orderId: 'o-alice', buyerId: 'alice', amount: '4.00' });
    expect(((await two.next()).data as { invoiceIssued: { invoice: { id: string } } }).invoiceIssued.invoice.id).toBe('inv-shared-2');
    expect(one.events).toHaveLength(1);
    two.unsubscribe();
    await until(() => ledger.activeSubscriptions() === 2, 'the shared stream ended upstream with its last subscriber');
  });

  it('limits the operations open on one connection', async () => {
    const gw = await startTestGateway(supergraph, { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const c = wsClient(gw.url, alice);
    try {
      subscribe(c, `subscription { orderPlaced { id } }`);
      subscribe(c, `subscription { invoiceIssued { invoice { id } } }`);
      await until(() => gw.activeSubscriptions() === 2, 'two open');
      const third = subscribe(c, `subscription { orderPlaced { id } }`);
      const end = await third.ended;
      expect((end as { error: { message: string; extensions: { code: string } }[] }).error).toEqual([
        { message: 'At most 2 operations may be open on one connection', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
      ]);
      expect(gw.activeSubscriptions()).toBe(2);
    } finally {
      await c.dispose();
      await gw.stop();
    }
  });

  it('completes open subscriptions on graceful shutdown', async () => {
    const gw = await startTestGateway(supergraph);
    const c = wsClient(gw.url, alice);
    try {
      const a = subscribe(c, `subscription { orderPlaced { id } }`);
      const b = subscribe(c, INVOICE_SUBSCRIPTION);
      await until(() => gw.activeSubscriptions() === 2 && ordersSg.activeSubscriptions() === 1 && ledger.activeSubscriptions() === 1, 'both open');
      await gw.stop();
      expect(await a.ended).toEqual({ kind: 'complete' });
      expect(await b.ended).toEqual({ kind: 'complete' });
      await until(() => ordersSg.activeSubscriptions() === 0 && ledger.activeSubscriptions() === 0, 'upstream ended');
      await until(() => ordersSg.openSockets() === 0 && ledger.openSockets() === 0, 'upstream sockets closed');
      expect(c.closes.map((e) => e.code)).toEqual([1001]);
    } finally {
      await c.dispose();
    }
  });
});
