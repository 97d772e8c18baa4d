// Issue 20, High: the request-timing metric was labelled by the raw request path, so every distinct
// unauthenticated path became a time series kept until restart (14,200 paths of 8 KB: 2.47 GB, and
// `/metrics` answered 500). Labels now come from a fixed set of routes, else `other`.
import type { GatewayApp } from '../../../gateway/src/app';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';

const DISTINCT_PATHS = 2000;

/** Sends `n` GETs to distinct junk paths (each ~2 KB), a few at a time. */
async function junkPaths(base: string, n: number, tag: string): Promise<void> {
  const filler = 'x'.repeat(2048);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await fetch(new URL(`/z${tag}${i}-${filler}`, base));
      await r.arrayBuffer();
      expect(r.status).toBe(404);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** The timing histogram's series (one per label set, counted by its `_count` line) and the exposition's size. */
async function scrape(base: string) {
  const text = await (await fetch(new URL('/metrics', base))).text();
  const series = text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_count{'));
  return { series, bytes: Buffer.byteLength(text) };
}

describe('request metrics have a bounded label set', () => {
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let gw: GatewayApp;

  beforeAll(async () => {
    orders = await startOrders(new OrdersState());
    ledger = await startLedger(new LedgerState());
    gw = await startTestGateway(composeTestSupergraph({ orders: orders.url, ledger: ledger.url }));
  });
  afterAll(async () => {
    await gw?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it.each([
    ['the gateway', () => gw.url],
    ['a subgraph', () => orders.url],
  ])('%s: thousands of distinct paths add no series and do not grow /metrics', async (_name, base) => {
    // Warm up: every label set the junk can produce exists once (404 on `other`), and /metrics itself.
    await junkPaths(base(), 5, 'warm');
    await scrape(base());
    const before = await scrape(base());

    await junkPaths(base(), DISTINCT_PATHS, 'attack');
    const after = await scrape(base());

    expect(after.series).toHaveLength(before.series.length);
    expect(after.series.map((l) => l.replace(/ \d+$/, ''))).toEqual(before.series.map((l) => l.replace(/ \d+$/, '')));
    expect(after.series.join('\n')).toContain('route="other"');
    expect(after.series.join('\n')).not.toContain('attack');
    // Only counters' digits may grow (process metrics such as heap size vary by a few bytes too).
    expect(Math.abs(after.bytes - before.bytes)).toBeLessThan(2048);
  });

  it('a subgraph counts its GraphQL requests under route="/graphql" (the bench reads them as subgraph calls)', async () => {
    const count = async () => {
      const line = (await scrape(orders.url)).series.find((l) => l.includes('route="/graphql"') && l.includes('method="POST"') && l.includes('status="200"'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const before = await count();
    for (let i = 0; i < 3; i++) {
      const r = await fetch(orders.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    expect((await count()) - before).toBe(3);
  });
});
