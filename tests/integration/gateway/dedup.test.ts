// Issue 15, item 1: identical work in flight is done once. Outbound, identical subgraph queries
// (same subgraph, same caller token, same body) become one HTTP request; inbound, identical query
// operations from the same caller become one execution. Never across identities, never for
// mutations, and every waiter gets objects of its own. Counted at a real HTTP hop in front of the
// subgraph, which can hold answers back so that the calls are provably in flight together.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayApp } from '../../../gateway/src/app';
import { ForwardingDataSource, Upstream, type GatewayContext } from '../../../gateway/src/datasource';
import { createGatewayMetrics } from '../../../gateway/src/metrics';
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

/** Forwards to `target`, counting every request; while `hold` is set it keeps answers back until release(). */
async function startHoldingFront(target: string) {
  const seen: { authorization?: string; body: string }[] = [];
  let waiting: (() => void)[] = [];
  const state = { hold: false };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    seen.push({ authorization: req.headers.authorization, body });
    if (state.hold) await new Promise<void>((r) => waiting.push(r));
    try {
      const upstream = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
        body,
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    seen,
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    release() {
      state.hold = false;
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const metric = async (gw: GatewayApp, direction: string, target: string) => {
  const text = await (await fetch(new URL('/metrics', gw.url))).text();
  const m = new RegExp(`gateway_deduplicated_total\\{direction="${direction}",target="${target}",service="gateway"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

describe('deduplication of identical work in flight', () => {
  const ordersState = new OrdersState();
  const ledgerState = new LedgerState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let ordersFront: Awaited<ReturnType<typeof startHoldingFront>>;
  let ledgerFront: Awaited<ReturnType<typeof startHoldingFront>>;
  let sdl: string;
  const gateways: GatewayApp[] = [];
  let alice: string;
  let bob: string;
  let admin: string;
  const gateway = async (env: Record<string, string> = {}) => {
    const g = await startTestGateway(sdl, env, { orders: ordersFront.url, ledger: ledgerFront.url });
    gateways.push(g);
    return g;
  };

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(ledgerState);
    ordersFront = await startHoldingFront(orders.url);
    ledgerFront = await startHoldingFront(ledger.url);
    sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    [alice, bob, admin] = await Promise.all([token('BUYER', 'alice'), token('BUYER', 'bob'), token('ADMIN', 'admin-1')]);
    ordersState.parties.set('alice', { id: 'alice', name: 'Alice Telecom' });
    ordersState.orders.set('o-1', { id: 'o-1', buyerId: 'alice', routes: [{ origin: 'DE', destination: 'FR' }], note: 'first' });
    ledgerState.invoices.set('i-1', { id: 'i-1', orderId: 'o-1', buyerId: 'alice', total: { amount: '9.90', currency: 'EUR' } });
  });
  afterEach(() => {
    ordersFront.release();
    ledgerFront.release();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await ordersFront?.stop();
    await ledgerFront?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it('sends identical concurrent subgraph queries of one caller once (outbound), one fetch per subgraph', async () => {
    // Inbound joining off, so every client operation runs its own plan and only the data source can join.
    const gw = await gateway({ DEDUPE_OPERATIONS: 'false' });
    const q = '{ invoice(id: "i-1") { total { amount } order { note } } }';
    ordersFront.seen.length = 0;
    ledgerFront.seen.length = 0;
    ledgerFront.state.hold = true;
    ordersFront.state.hold = true;
    const calls = Array.from({ length: 5 }, () => gql(gw.url, q, {}, alice));
    await until(async () => (await metric(gw, 'outbound', 'ledger')) === 4, 'four ledger fetches joined the first');
    ledgerFront.release();
    await until(async () => (await metric(gw, 'outbound', 'orders')) === 4, 'four orders fetches joined the first');
    ordersFront.release();
    for (const r of await Promise.all(calls)) expect(r).toEqual({ status: 200, data: { invoice: { total: { amount: '9.90' }, order: { note: 'first' } } } });
    expect(ledgerFront.seen).toHaveLength(1);
    expect(ordersFront.seen).toHaveLength(1);
    expect(ordersFront.seen[0].body).toContain('_entities');

    // Settled work is forgotten at once: the next identical query goes upstream again.
    await gql(gw.url, q, {}, alice);
    expect(ledgerFront.seen).toHaveLength(2);
  });

  it('joins identical concurrent operations of one caller into one execution (inbound)', async () => {
    const gw = await gateway({ DEDUPE_SUBGRAPH_QUERIES: 'false' });
    ledgerFront.seen.length = 0;
    ledgerFront.state.hold = true;
    const calls = Array.from({ length: 6 }, () => gql(gw.url, '{ invoice(id: "i-1") { id total { currency } } }', {}, alice));
    await until(async () => (await metric(gw, 'inbound', 'gateway')) === 5, 'five operations joined the first');
    ledgerFront.release();
    const answers = await Promise.all(calls);
    for (const r of answers) expect(r).toEqual({ status: 200, data: { invoice: { id: 'i-1', total: { currency: 'EUR' } } } });
    expect(ledgerFront.seen).toHaveLength(1);
  });

  it('never joins the work of different identities', async () => {
    const gw = await gateway();
    ordersFront.seen.length = 0;
    ordersFront.state.hold = true;
    const q = '{ whoami orders { id } }';
    const calls = [alice, bob, alice, bob].map((t) => gql(gw.url, q, {}, t));
    // Two fetches reach the subgraph, one per identity, while the answers are held back.
    await until(() => ordersFront.seen.length === 2, 'one fetch per identity reached the subgraph');
    // Each identity's second call joined its first (inbound), so no third fetch can follow.
    await until(async () => (await metric(gw, 'inbound', 'gateway')) === 2, "each identity's repeated operation joined its first");
    ordersFront.release();
    const [a1, b1, a2, b2] = await Promise.all(calls);
    expect(a1.data).toEqual({ whoami: 'alice', orders: [{ id: 'o-1' }] });
    expect(a2.data).toEqual(a1.data);
    expect(b1.data).toEqual({ whoami: 'bob', orders: [] });
    expect(b2.data).toEqual(b1.data);
    expect(ordersFront.seen.map((s) => s.authorization).sort()).toEqual([`Bearer ${alice}`, `Bearer ${bob}`].sort());
  });

  it('never joins mutations, inbound or outbound', async () => {
    const gw = await gateway();
    ledgerFront.seen.length = 0;
    ledgerFront.state.hold = true;
    const before = ledgerState.touches;
    const calls = Array.from({ length: 3 }, () => gql(gw.url, 'mutation { touch }', {}, admin));
    // All three reach the subgraph while none has been answered yet.
    await until(() => ledgerFront.seen.length === 3, 'three mutations reached the subgraph');
    ledgerFront.release();
    const results = (await Promise.all(calls)).map((r) => r.data?.touch).sort();
    expect(results).toEqual([before + 1, before + 2, before + 3]);
    expect(ledgerState.touches).toBe(before + 3);
    expect(await metric(gw, 'inbound', 'gateway')).toBe(0);
    expect(await metric(gw, 'outbound', 'ledger')).toBe(0);
  });

  it('gives every waiter its own parsed objects: changing one result leaves the others as answered', async () => {
    const upstream = new Upstream(ordersFront.url);
    const metrics = createGatewayMetrics();
    const ds = new ForwardingDataSource('orders', upstream, { timeoutMs: 5000, retries: 0 }, metrics);
    const joined = async () => (await metrics.deduplicated.get()).values.find((v) => v.labels.target === 'orders')?.value ?? 0;
    try {
      ordersFront.seen.length = 0;
      ordersFront.state.hold = true;
      const context: GatewayContext = { authorization: `Bearer ${alice}`, requestId: 'r-1', identity: { sub: 'alice', role: 'BUYER' } };
      const request = { query: 'query($id: ID!) { order(id: $id) { id note routes { destination } } }', variables: { id: 'o-1' } };
      const process = () => ds.process({ request, context, kind: 'incoming operation' } as never);
      const waiters = [process(), process(), process()];
      await until(() => ordersFront.seen.length === 1, 'the first fetch reached the subgraph');
      await until(async () => (await joined()) === 2, 'the other two fetches joined the first');
      ordersFront.release();
      const [a, b, c] = await Promise.all(waiters);
      expect(ordersFront.seen).toHaveLength(1);
      const expected = { order: { id: 'o-1', note: 'first', routes: [{ destination: 'FR' }] } };
      expect(a.data).toEqual(expected);
      expect(a.data).not.toBe(b.data);
      // What the gateway's result merging does to a response: changes it in place.
      const mine = a.data as { order: { note: string; routes: { destination: string }[] } };
      mine.order.note = 'changed';
      mine.order.routes[0].destination = 'XX';
      expect(b.data).toEqual(expected);
      expect(c.data).toEqual(expected);
    } finally {
      await upstream.close();
    }
  });
});
