// Issue 12, item 3: the attack queries of the security review, through a real gateway and
// directly at a subgraph. Each must be refused fast, before its cost is computed or its answer
// built; a costly operation that times out is never retried; in production /metrics and a
// subgraph's `_service` are for operators only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from '@exchange/platform';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';
import { subscribe, wsClient } from '../../support/ws-client';
import { sleep } from '../../support/wait';

const nestedFragments = (n: number) => {
  let q = 'query { ...F0 }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  return `${q}fragment F${n} on Query { whoami }`;
};

/** Counts the requests that reach a subgraph (and forwards them). */
async function counter(target: string) {
  const state = { requests: 0 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.requests++;
    try {
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }, body: Buffer.concat(chunks) });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('abuse resistance of the query layer', () => {
  const ordersState = new OrdersState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let sdl: string;
  let gw: GatewayApp;
  let buyer: string;
  let admin: string;
  const extra: GatewayApp[] = [];

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(new LedgerState());
    sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    gw = await startTestGateway(sdl, {});
    [buyer, admin] = await Promise.all([token('BUYER', 'alice'), token('ADMIN', 'admin-1')]);
  });
  afterAll(async () => {
    ordersState.released?.();
    await Promise.all([gw, ...extra].map((g) => g?.stop()));
    await orders?.stop();
    await ledger?.stop();
  });

  it('refuses 22 nested fragment spreads (909 bytes, unauthenticated) within milliseconds, over HTTP and WebSocket', async () => {
    const q = nestedFragments(22);
    expect(q.length).toBeLessThan(1000);
    const started = Date.now();
    // With a token: without one, a body this size (2.6 MB) is refused before parsing (UNAUTHENTICATED_BODY_LIMIT).
    const r = await gql(gw.url, q, {}, buyer);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 2 ** 22 });
    // The gateway still answers at once.
    expect((await gql(gw.url, '{ whoami }', {}, buyer)).data).toEqual({ whoami: 'alice' });

    const c = wsClient(gw.url, buyer);
    try {
      const t0 = Date.now();
      const sub = subscribe(c, nestedFragments(22).replace('query {', 'subscription {').replace(/fragment F(\d+) on Query/g, 'fragment F$1 on Subscription').replace('{ whoami }', '{ orderPlaced { id } }'));
      const end = await sub.ended;
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(JSON.stringify(end)).toMatch(/QUERY_TOO_COMPLEX|GRAPHQL_VALIDATION_FAILED/);
    } finally {
      await c.dispose();
    }
  });

  it('refuses 1,000 aliased __schema selections (counted in the cost) without building the answer', async () => {
    const q = `{ ${Array.from({ length: 1000 }, (_, i) => `s${i}: __schema { queryType { name } }`).join(' ')} }`;
    const r = await gql(gw.url, q);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 250_000 });
    expect(r.data).toBeUndefined();
  });

  it('refuses 200,000 __typename aliases at the parser (token limit)', async () => {
    const q = `{ ${Array.from({ length: 200_000 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    const started = Date.now();
    // With a token: without one, a body this size (2.6 MB) is refused before parsing (UNAUTHENTICATED_BODY_LIMIT).
    const r = await gql(gw.url, q, {}, buyer);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.message).toMatch(/more that 10000 tokens/);
    // Below the token limit every alias still counts: 3,000 aliased `whoami` plus 1 + 200 × 12 for the list.
    const r2 = await gql(gw.url, `{ ${Array.from({ length: 3000 }, (_, i) => `w${i}: whoami`).join(' ')} orders(first: 200) { id routes { destination } } }`, {}, buyer);
    expect(r2.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 3000 + 2401 });
  });

  it('applies the same limits inside each subgraph, for callers that skip the gateway', async () => {
    const r = await gql(orders.url, nestedFragments(22), {}, buyer);
    expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const tokens = await gql(orders.url, `{ ${Array.from({ length: 20_000 }, (_, i) => `t${i}: __typename`).join(' ')} }`, {}, buyer);
    expect(tokens.errors?.[0]?.message).toMatch(/more that 10000 tokens/);
    const c = wsClient(orders.url, buyer);
    try {
      const sub = subscribe(c, `subscription { orderPlaced { ${'id '.repeat(6000)} } }`);
      const end = await sub.ended;
      expect(JSON.stringify(end)).toMatch(/QUERY_TOO_COMPLEX|Validation aborted/);
    } finally {
      await c.dispose();
    }
  });

  it('never retries a subgraph call that timed out (the subgraph may still be computing it)', async () => {
    const front = await counter(orders.url);
    try {
      const g = await startTestGateway(sdl, { SUBGRAPH_TIMEOUT_MS: '200', SUBGRAPH_RETRIES: '2' }, { orders: front.url });
      extra.push(g);
      const r = await gql(g.url, '{ slow }', {}, buyer);
      expect(r.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_TIMEOUT');
      // Look-out for a retry that must NOT come (no event marks an absence): longer than the timeout.
      await sleep(300);
      expect(front.state.requests).toBe(1);
    } finally {
      await front.stop();
    }
  });

  it('refuses a token without exp over HTTP and on a WebSocket (which would never get the expiry close)', async () => {
    const forever = await new SignJWT({ role: 'BUYER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt().sign(new TextEncoder().encode(DEV_JWT_SECRET));
    const r = await gql(gw.url, '{ whoami }', {}, forever);
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const c = wsClient(gw.url, forever);
    try {
      const sub = subscribe(c, 'subscription { orderPlaced { id } }');
      expect((await sub.ended).kind).toBe('error');
      expect(c.closes.map((x) => x.code)).toEqual([4401]);
      expect(c.closes[0].reason).toMatch(/exp/);
    } finally {
      await c.dispose();
    }
  });

  it('in production: introspection off, /metrics only for operators', async () => {
    const prod = await startTestGateway(sdl, { NODE_ENV: 'production', JWT_SECRET: 'a-deployment-secret-of-its-own-0123456789' });
    extra.push(prod);
    const metrics = new URL('/metrics', prod.url);
    expect((await fetch(metrics)).status).toBe(401);
    const intro = await gql(prod.url, '{ __schema { queryType { name } } }');
    expect(intro.errors?.[0]?.message).toContain('introspection');
    // Development keeps both open.
    expect((await fetch(new URL('/metrics', gw.url))).status).toBe(200);
    void admin;
  });
});
