// Gateway hardening: operation limits, body size, CSRF, introspection/landing page switches,
// subgraph timeouts and retries, the partner allow-list and metrics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GatewayApp } from '../../../gateway/src/app';
import { sha256 } from '../../../gateway/src/persisted';
import { gql, token } from '../../support/harness';
import {
  composeTestSupergraph,
  LedgerState,
  OrdersState,
  startLedger,
  startOrders,
  startTestGateway,
  type TestSubgraph,
} from '../../support/gateway-fixtures';
import { subscribe, wsClient } from '../../support/ws-client';

/** A real HTTP hop in front of a subgraph that can lose answers or answer 503, like a flaky network or load balancer. */
async function startFront(target: string) {
  const state = { requests: 0, dropResponses: 0, busy: 0 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.requests++;
    if (state.busy > 0) {
      state.busy--;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
      return;
    }
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      body: Buffer.concat(chunks),
    });
    const text = await upstream.text();
    if (state.dropResponses > 0) {
      // The subgraph did the work; its answer is lost on the way back.
      state.dropResponses--;
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('gateway hardening', () => {
  const ordersState = new OrdersState();
  const ledgerState = new LedgerState();
  let orders: TestSubgraph;
  let ledger: Awaited<ReturnType<typeof startLedger>>;
  let sdl: string;
  let gw: GatewayApp;
  let admin: string;
  let buyer: string;
  const extra: GatewayApp[] = [];
  const another = async (env: Record<string, string>, urls?: Record<string, string>) => {
    const g = await startTestGateway(sdl, env, urls);
    extra.push(g);
    return g;
  };

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(ledgerState);
    sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    gw = await startTestGateway(sdl, { MAX_QUERY_DEPTH: '3', MAX_QUERY_COST: '50', DEFAULT_LIST_SIZE: '10', BODY_LIMIT: '2kb' });
    [admin, buyer] = await Promise.all([token('ADMIN', 'admin-1'), token('BUYER', 'alice')]);
    ordersState.parties.set('alice', { id: 'alice', name: 'Alice Telecom' });
    ordersState.orders.set('o-1', { id: 'o-1', buyerId: 'alice', routes: [{ origin: 'DE', destination: 'FR' }] });
    ledgerState.invoices.set('i-1', { id: 'i-1', orderId: 'o-1', buyerId: 'alice', total: { amount: '9.90', currency: 'EUR' } });
  });
  afterAll(async () => {
    ordersState.released?.();
    await Promise.all([gw, ...extra].map((g) => g?.stop()));
    await orders?.stop();
    await ledger?.stop();
  });

  describe('operation limits', () => {
    it('accepts an operation at the depth limit and refuses a deeper one with QUERY_TOO_DEEP', async () => {
      const ok = await gql(gw.url, '{ invoice(id: "i-1") { order { id } } }', {}, buyer);
      expect(ok.data).toEqual({ invoice: { order: { id: 'o-1' } } });
      const deep = await gql(gw.url, '{ invoice(id: "i-1") { order { buyer { name } } } }', {}, buyer);
      expect(deep.status).toBe(400);
      expect(deep.data).toBeUndefined();
      expect(deep.errors).toEqual([
        {
          message: 'Query is too deep: depth 4 exceeds the limit of 3',
          extensions: { code: 'QUERY_TOO_DEEP', depth: 4, limit: 3 },
        },
      ]);
    });

    it('counts fields times list sizes and refuses a too costly operation with QUERY_TOO_COMPLEX', async () => {
      // orders (default size 10) × (id + routes (10 × destination)) = 1 + 10 × (1 + 1 + 10) = 121
      const costly = await gql(gw.url, '{ orders { id routes { destination } } }', {}, buyer);
      expect(costly.status).toBe(400);
      expect(costly.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 121, limit: 50 });
      // first: 2 → 1 + 2 × 12 = 25
      const bounded = await gql(gw.url, '{ orders(first: 2) { id routes { destination } } }', {}, buyer);
      expect(bounded.data).toEqual({ orders: [{ id: 'o-1', routes: [{ destination: 'FR' }] }] });
      // first from a variable: 1 + 5 × 12 = 61
      const viaVar = await gql(gw.url, 'query($n: Int) { orders(first: $n) { id routes { destination } } }', { n: 5 }, buyer);
      expect(viaVar.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 61, limit: 50 });
      // Fragments count as if written inline.
      const viaFragments = await gql(
        gw.url,
        '{ orders { ...O } } fragment O on Order { id ... on Order { routes { ...R } } } fragment R on RouteSegment { destination }',
        {},
        buyer,
      );
      expect(viaFragments.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 121, limit: 50 });
    });

    it('applies the same limits to WebSocket operations', async () => {
      const c = wsClient(gw.url, buyer);
      try {
        const deepSub = subscribe(c, 'subscription { invoiceIssued { invoice { order { buyer { name } } } } }');
        const end = await deepSub.ended;
        expect((end as { error: unknown[] }).error).toEqual([
          { message: 'Query is too deep: depth 5 exceeds the limit of 3', extensions: { code: 'QUERY_TOO_DEEP', depth: 5, limit: 3 } },
        ]);
        const costlyQuery = subscribe(c, '{ orders { id routes { destination } } }');
        const r = await costlyQuery.next();
        expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
        expect(ledger.activeSubscriptions()).toBe(0);
      } finally {
        await c.dispose();
      }
    });

    it('counts introspection against the cost (not the depth): one __schema fits the default limits', async () => {
      const q = '{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }';
      const refused = await gql(gw.url, q);
      expect(refused.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 250, limit: 50 });
      const roomy = await another({});
      const r = await gql(roomy.url, q);
      expect(r.errors).toBeUndefined();
      expect(r.data?.__schema.types.map((t: { name: string }) => t.name)).toContain('Invoice');
    });
  });

  it('refuses a body over BODY_LIMIT with 413 and a clear message', async () => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ whoami }${' '.repeat(4096)}` }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      errors: [{ message: 'The request body is larger than the limit of 2kb', extensions: { code: 'PAYLOAD_TOO_LARGE', limit: '2kb' } }],
    });
  });

  it('refuses requests a browser could send cross-site without a preflight (CSRF prevention)', async () => {
    const base = `${gw.url}?query=${encodeURIComponent('{ whoami }')}`;
    const simpleGet = await fetch(base);
    expect(simpleGet.status).toBe(400);
    expect(await simpleGet.text()).toContain('Cross-Site Request Forgery');
    const textPost = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ whoami }' }),
    });
    expect(textPost.status).toBe(400);
    expect(await textPost.text()).toContain('Cross-Site Request Forgery');
    const formPost = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B%20whoami%20%7D',
    });
    expect(formPost.status).toBe(400);
    // A GET with a non-simple header is fine (a browser would have needed a preflight).
    const preflighted = await fetch(base, { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${buyer}` } });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { whoami: 'alice' } });
  });

  it('switches introspection and the landing page by configuration', async () => {
    const closed = await another({ INTROSPECTION: 'false', LANDING_PAGE: 'false' });
    const r = await gql(closed.url, '{ __schema { queryType { name } } }');
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors?.[0]?.message).toContain('introspection');
    const open = await gql((await another({})).url, '{ __schema { queryType { name } } }');
    expect(open.data).toEqual({ __schema: { queryType: { name: 'Query' } } });

    const page = await fetch(gw.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('GraphQL query page');
    const noPage = await fetch(closed.url, { headers: { accept: 'text/html' } });
    expect(noPage.headers.get('content-type') ?? '').not.toContain('text/html');
  });

  describe('towards subgraphs', () => {
    it('gives up on a subgraph after SUBGRAPH_TIMEOUT_MS with SUBGRAPH_TIMEOUT', async () => {
      const impatient = await another({ SUBGRAPH_TIMEOUT_MS: '200', SUBGRAPH_RETRIES: '0' });
      const r = await gql(impatient.url, '{ slow }', {}, buyer);
      expect(r.data).toEqual({ slow: null });
      expect(r.errors).toEqual([
        expect.objectContaining({
          message: 'Subgraph "orders" did not answer within 200 ms',
          extensions: expect.objectContaining({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'orders' }),
        }),
      ]);
    });

    it('retries a query whose answer was lost or refused with 503, but never a mutation', async () => {
      const front = await startFront(ledger.url);
      try {
        const g = await another({ SUBGRAPH_RETRIES: '2' }, { ledger: front.url });
        front.state.dropResponses = 1;
        const q = await gql(g.url, '{ invoice(id: "i-1") { total { amount } } }', {}, buyer);
        expect(q.data).toEqual({ invoice: { total: { amount: '9.90' } } });
        expect(front.state.requests).toBe(2);

        front.state.requests = 0;
        front.state.busy = 1;
        const q2 = await gql(g.url, '{ invoice(id: "i-1") { id } }', {}, buyer);
        expect(q2.data).toEqual({ invoice: { id: 'i-1' } });
        expect(front.state.requests).toBe(2);

        front.state.requests = 0;
        const before = ledgerState.touches;
        front.state.dropResponses = 1;
        const m = await gql(g.url, 'mutation { touch }', {}, admin);
        expect(m.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
        expect(front.state.requests).toBe(1);
        expect(ledgerState.touches).toBe(before + 1);

        const metrics = await (await fetch(new URL('/metrics', g.url))).text();
        expect(metrics).toMatch(/gateway_subgraph_retries_total\{subgraph="ledger",service="gateway"\} 2/);
      } finally {
        await front.stop();
      }
    });
  });

  describe('persisted operations for partners', () => {
    let dir: string;
    let listed: GatewayApp;
    const WHO = 'query Who { whoami }';
    const INVOICE = 'query Invoice($id: ID!) { invoice(id: $id) { id } }';
    let partner: string;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'gw-pq-'));
      const file = path.join(dir, 'partner-operations.json');
      writeFileSync(file, JSON.stringify({ [sha256(WHO)]: WHO, [sha256(INVOICE)]: INVOICE }));
      listed = await another({ PARTNER_OPERATIONS_FILE: file });
      partner = await token('PARTNER', 'partner-1');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('runs a listed operation sent as text or as its hash only', async () => {
      expect((await gql(listed.url, WHO, {}, partner)).data).toEqual({ whoami: 'partner-1' });
      const res = await fetch(listed.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${partner}` },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(WHO) } } }),
      });
      expect(await res.json()).toEqual({ data: { whoami: 'partner-1' } });
    });

    it('refuses any other operation from a partner with FORBIDDEN', async () => {
      const r = await gql(listed.url, '{ whoami }', {}, partner);
      expect(r.status).toBe(403);
      expect(r.errors).toEqual([
        {
          message: 'Partners may only run the persisted operations of the partner allow-list',
          extensions: { code: 'FORBIDDEN', reason: 'OPERATION_NOT_IN_ALLOW_LIST' },
        },
      ]);
      const unknownHash = await fetch(listed.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${partner}` },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ whoami }') } } }),
      });
      expect(unknownHash.status).toBe(400);
      const body = (await unknownHash.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

      const c = wsClient(listed.url, partner);
      try {
        const sub = subscribe(c, 'subscription { orderPlaced { id } }');
        const end = await sub.ended;
        expect((end as { error: { extensions: { code: string } }[] }).error[0].extensions.code).toBe('FORBIDDEN');
        const ok = subscribe(c, INVOICE, { id: 'nope' });
        expect(await ok.next()).toEqual({ data: { invoice: null } });
        // Over graphql-ws the protocol requires a query string: an empty one plus the hash.
        const byHash = subscribe(c, '', { id: 'nope' }, { persistedQuery: { version: 1, sha256Hash: sha256(INVOICE) } });
        expect(await byHash.next()).toEqual({ data: { invoice: null } });
      } finally {
        await c.dispose();
      }
    });

    it('leaves other roles unaffected', async () => {
      expect((await gql(listed.url, '{ whoami }', {}, buyer)).data).toEqual({ whoami: 'alice' });
    });
  });

  it('exposes request and subscription metrics', async () => {
    await gql(gw.url, '{ whoami }', {}, buyer);
    const text = await (await fetch(new URL('/metrics', gw.url))).text();
    expect(text).toMatch(/gateway_operations_total\{transport="http",type="query",outcome="ok",service="gateway"\} [1-9]/);
    expect(text).toMatch(/gateway_operations_total\{transport="ws",type="query",outcome="error",service="gateway"\} 1/);
    expect(text).toContain('gateway_active_subscriptions');
    expect(text).toContain('gateway_websocket_connections{service="gateway"} 0');
    expect(text).toMatch(/graphql_errors_total\{code="QUERY_TOO_DEEP",service="gateway"\} [1-9]/);
    expect(text).toContain('http_request_duration_seconds_bucket');
  });
});
