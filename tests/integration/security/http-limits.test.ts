// Issue 20 (low–medium), HTTP input before execution: bodies of callers without a token are refused
// beyond a small limit before parsing; deeply nested JSON variables get a 400, not a 500 (stack
// overflow); a subgraph called directly applies the gateway's cost limit to tenants; and a
// subgraph's framework errors are short messages, never an HTML page with a stack trace.
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, startBilling, token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';
import { subscribe, wsClient } from '../../support/ws-client';

const post = (url: string, body: string, bearer?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body });

/** `{"query":…,"variables":{"v":[[[…]]]}}` nested `depth` lists deep, as raw text (JSON.stringify would overflow). */
const deepBody = (depth: number) => `{"query":"{ whoami }","variables":{"v":${'['.repeat(depth)}${']'.repeat(depth)}}}`;

describe('HTTP input limits', () => {
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let gw: GatewayApp;
  let buyer: string;

  beforeAll(async () => {
    orders = await startOrders(new OrdersState());
    ledger = await startLedger(new LedgerState());
    gw = await startTestGateway(composeTestSupergraph({ orders: orders.url, ledger: ledger.url }));
    buyer = await token('BUYER', 'alice');
  });
  afterAll(async () => {
    await gw?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it.each([
    ['the gateway', () => gw.url],
    ['a subgraph', () => orders.url],
  ])('%s refuses a large body without a token before parsing it, and takes it with one', async (_n, url) => {
    const big = JSON.stringify({ query: `{ whoami } # ${'x'.repeat(200 * 1024)}` });
    const anonymous = await post(url(), big);
    expect(anonymous.status).toBe(413);
    expect(await anonymous.text()).toContain('PAYLOAD_TOO_LARGE');
    const withToken = await post(url(), big, buyer);
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toEqual({ data: { whoami: 'alice' } });
    // A token that does not verify counts as none.
    expect((await post(url(), big, 'not.a.token')).status).not.toBe(200);
  });

  it.each([
    ['the gateway', () => gw.url],
    ['a subgraph', () => orders.url],
  ])('%s answers 400 to variables nested 200,000 deep, and accepts ordinary nesting', async (_n, url) => {
    const deep = await post(url(), deepBody(200_000), buyer);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toEqual({ errors: [{ message: "The request's JSON nests deeper than 32 levels", extensions: { code: 'BAD_REQUEST', limit: 32 } }] });
    const shallow = await post(url(), deepBody(1), buyer);
    expect(await shallow.json()).toEqual({ data: { whoami: 'alice' } });
  });

  it('refuses deep variables over WebSocket too', async () => {
    const c = wsClient(gw.url, buyer);
    try {
      let v: unknown = [];
      for (let i = 0; i < 100; i++) v = [v];
      const end = await subscribe(c, '{ whoami }', { v }).ended;
      expect(end).toEqual({ kind: 'error', error: [{ message: "The request's JSON nests deeper than 32 levels", extensions: { code: 'BAD_REQUEST', limit: 32 } }] });
    } finally {
      await c.dispose();
    }
  });

  it('a subgraph answers malformed JSON and unknown paths with a short message, never an HTML stack trace', async () => {
    const bad = await post(orders.url, '{"query": ', buyer);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(bad.headers.get('content-type')).not.toContain('html');
    expect(text).not.toMatch(/<html|<pre>|at .*\.js:\d+/i);
    const missing = await fetch(new URL('/nowhere', orders.url));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/plain');
  });
});

describe('a subgraph called directly', () => {
  it('applies the gateway cost limit to tenants; operators keep theirs', async () => {
    const b = await startBilling({ WORKERS: 'false' });
    try {
      // 1,000 usage records × 80 scalar selections (a scalar costs 1 per 10 per row) ≈ 8,000: above
      // the gateway's 5,000, far below the operators' 100,000.
      const fields = Array.from({ length: 80 }, (_, i) => `f${i}: recordId`).join(' ');
      const q = `{ usageRecords(first: 1000) { nodes { ${fields} } } }`;
      const asBuyer = await gql(b.url, q, {}, await token('BUYER', 'cost-buyer'));
      expect(asBuyer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 5000 });
      const asAgent = await gql(b.url, q, {}, await token('BILLING_AGENT', 'agent-1'));
      expect(asAgent.errors).toBeUndefined();
    } finally {
      await b.conn.dropDatabase();
      await b.stop();
    }
  });
});
