// Issue 24, item 1: the fetches one operation sends together to one subgraph (the planner's
// parallel `_entities` fetches) travel as ONE request, and every caller sees exactly what the
// separate requests gave: the same data, the same errors at the same paths. Two gateways over the
// same two real subgraph servers, one merging (the default) and one with MERGE_SUBGRAPH_FETCHES
// off; requests are counted where the subgraph's HTTP server receives them.
import type { IncomingMessage } from 'node:http';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';

/** Records every POST a subgraph's HTTP server receives (the body is left to the subgraph: reading it here would take it away). */
function countRequests(sg: TestSubgraph) {
  const seen: string[] = [];
  sg.httpServer.prependListener('request', (req: IncomingMessage) => {
    if (req.method === 'POST') seen.push(req.url ?? '');
  });
  return seen;
}

describe('one request per subgraph per plan level', () => {
  const ordersState = new OrdersState();
  const ledgerState = new LedgerState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let merging: GatewayApp;
  let separate: GatewayApp;
  let ordersPosts: string[];
  let ledgerPosts: string[];
  let alice: string;
  let admin: string;

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(ledgerState);
    ordersPosts = countRequests(orders);
    ledgerPosts = countRequests(ledger);
    const sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    // Inbound and outbound deduplication off: every request counted is one this operation made.
    const env = { DEDUPE_OPERATIONS: 'false', DEDUPE_SUBGRAPH_QUERIES: 'false' };
    merging = await startTestGateway(sdl, env);
    separate = await startTestGateway(sdl, { ...env, MERGE_SUBGRAPH_FETCHES: 'false' });
    ordersState.parties.set('alice', { id: 'alice', name: 'Alice Telecom' });
    ordersState.parties.set('bob', { id: 'bob', name: 'Bob Networks' });
    ordersState.orders.set('o-alice', { id: 'o-alice', buyerId: 'alice', routes: [{ origin: 'DE', destination: 'FR' }], note: 'first' });
    ordersState.orders.set('o-bob', { id: 'o-bob', buyerId: 'bob', routes: [{ origin: 'DE', destination: 'ES' }] });
    const invoice = (id: string, orderId: string, buyerId: string, amount: string) =>
      ledgerState.invoices.set(id, { id, orderId, buyerId, total: { amount, currency: 'EUR' } });
    invoice('i-alice', 'o-alice', 'alice', '10.00');
    // Alice's invoice for an order of Bob's: the Order fetch fails for Alice, the Party fetch does not.
    invoice('i-mixed', 'o-bob', 'alice', '20.50');
    invoice('i-bob', 'o-bob', 'bob', '30.00');
    // A party without its (non-null) name: that one entity is null, with an error inside its fetch.
    ordersState.parties.set('ghost', { id: 'ghost' } as { id: string; name: string });
    invoice('i-ghost', 'o-alice', 'ghost', '40.00');
    alice = await token('BUYER', 'alice');
    admin = await token('ADMIN', 'admin-1');
  });

  afterAll(async () => {
    await merging?.stop();
    await separate?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  /** The answer of each gateway and the orders requests each one made for it. */
  async function both(query: string, variables: Record<string, unknown>, bearer: string) {
    const run = async (gw: GatewayApp) => {
      const before = ordersPosts.length;
      const answer = await gql(gw.url, query, variables, bearer);
      return { answer, ordersRequests: ordersPosts.slice(before) };
    };
    return { merged: await run(merging), apart: await run(separate) };
  }

  const mergedFetches = async (gw: GatewayApp) => {
    const text = await (await fetch(new URL('/metrics', gw.url), { headers: { authorization: `Bearer ${admin}` } })).text();
    return Number(/^gateway_merged_fetches_total\{subgraph="orders"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  const INVOICE = `query Invoice($id: ID!) { invoice(id: $id) { id total { amount currency } buyer { id name } order { id note routes { destination } } } }`;

  it('sends the Party and Order fetches of one invoice as one request, with the same answer', async () => {
    const { merged, apart } = await both(INVOICE, { id: 'i-alice' }, alice);
    expect(merged.answer.errors).toBeUndefined();
    expect(merged.answer.data).toEqual({
      invoice: {
        id: 'i-alice',
        total: { amount: '10.00', currency: 'EUR' },
        buyer: { id: 'alice', name: 'Alice Telecom' },
        order: { id: 'o-alice', note: 'first', routes: [{ destination: 'FR' }] },
      },
    });
    expect(merged.answer).toEqual(apart.answer);
    expect(apart.ordersRequests).toHaveLength(2);
    expect(merged.ordersRequests).toHaveLength(1);
    expect(await mergedFetches(merging)).toBeGreaterThanOrEqual(2);
    expect(await mergedFetches(separate)).toBe(0);
  });

  it('keeps an error inside one entity of one fetch at its path, in one request', async () => {
    const query = `{ a: invoice(id: "i-alice") { id buyer { name } order { note } } b: invoice(id: "i-ghost") { id buyer { name } order { note } } }`;
    const { merged, apart } = await both(query, {}, admin);
    expect(apart.ordersRequests).toHaveLength(4);
    expect(merged.ordersRequests).toHaveLength(1);
    expect(merged.answer.data).toEqual({
      a: { id: 'i-alice', buyer: { name: 'Alice Telecom' }, order: { note: 'first' } },
      b: null,
    });
    expect(merged.answer.errors!.map((e) => e.path)).toEqual([['b', 'buyer', 'name']]);
    expect(merged.answer).toEqual(apart.answer);
  });

  it('answers as the separate requests do when one fetch fails as a whole (its entity refused)', async () => {
    // The subgraph answers a refused reference with the whole `_entities` field in error, which
    // nulls a merged answer: the Order fetch takes its answer from it, the Party fetch goes again.
    const { merged, apart } = await both(INVOICE, { id: 'i-mixed' }, alice);
    expect(apart.ordersRequests).toHaveLength(2);
    expect(merged.ordersRequests).toHaveLength(2);
    expect(merged.answer.data).toEqual({
      invoice: { id: 'i-mixed', total: { amount: '20.50', currency: 'EUR' }, buyer: { id: 'alice', name: 'Alice Telecom' }, order: null },
    });
    expect(merged.answer.errors).toHaveLength(1);
    // (@apollo/gateway appends the subgraph's `_entities` path to the entity's, merged or not.)
    expect(merged.answer.errors![0]).toMatchObject({ path: ['invoice', 'order', '_entities'], extensions: { code: 'FORBIDDEN' } });
    expect(merged.answer).toEqual(apart.answer);

    const four = `{ a: invoice(id: "i-alice") { id buyer { name } order { note } } b: invoice(id: "i-mixed") { id buyer { name } order { note } } }`;
    const r = await both(four, {}, alice);
    expect(r.apart.ordersRequests).toHaveLength(4);
    // The four merged; then the three that did not fail, merged again.
    expect(r.merged.ordersRequests).toHaveLength(2);
    expect(r.merged.answer.errors!.map((e) => e.path)).toEqual([['b', 'order', '_entities']]);
    expect(r.merged.answer).toEqual(r.apart.answer);
  });

  it('gives the same answer for a plan mixing root fields of both subgraphs and entity fetches', async () => {
    const query = `query Mixed($skipNote: Boolean!) { orders { id buyer { name } } invoice(id: "i-bob") { id buyer { name } order { id note @skip(if: $skipNote) routes { origin } } } }`;
    for (const skipNote of [true, false]) {
      const { merged, apart } = await both(query, { skipNote }, admin);
      expect(merged.answer.errors).toBeUndefined();
      expect((merged.answer.data as { orders: unknown[] }).orders).toHaveLength(2);
      expect(merged.answer).toEqual(apart.answer);
      expect(merged.ordersRequests.length).toBeLessThan(apart.ordersRequests.length);
    }
  });

  it('sends the fetches of a mutation one after another, never merged', async () => {
    const before = ledgerPosts.length;
    const touches = ledgerState.touches;
    const r = await gql(merging.url, `mutation { first: touch placed: placeOrder(id: "o-m1", destination: "IT") { id buyer { name } } second: touch }`, {}, alice);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ first: touches + 1, placed: { id: 'o-m1', buyer: { name: 'Alice Telecom' } }, second: touches + 2 });
    // Two ledger requests, the second sent after the orders mutation had answered (touch counted 1, then 2).
    expect(ledgerPosts.length - before).toBe(2);
  });
});
