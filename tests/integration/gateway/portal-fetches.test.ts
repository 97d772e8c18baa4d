// Issue 24: the federated 20-bill portal page (the query bench/peers.js measures) costs the
// moderator ONE HTTP request — its Buyer, Carrier and ServiceRequest fetches merged, as the Hive
// planners plan them — and then (for an operator's page) one database query per entity type. Counted by the moderator
// itself: its request metric (/metrics) and its MongoDB driver's command monitoring. A second
// gateway with MERGE_SUBGRAPH_FETCHES=false shows what @apollo/gateway's plan alone sends.
import type { mongo } from 'mongoose';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, gqlOk, mongoUri, startGateway, startStack, token } from '../../support/harness';
import { CREATE_REQUEST, RECORD_SELECTION, REGISTER_BUYER, REGISTER_CARRIER, requestInput, selectionRecordFor } from '../e2e/helpers';

jest.setTimeout(120_000);

const PAGE = `query($n: Int!) { bills(first: $n) { nodes { id number status total { amount currency } buyer { id name } carrier { id name } request { id status quantity } } } }`;
const BILLS = 20;
const CARRIERS = 5;

describe('the portal page at the moderator', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let unmerged: GatewayApp;
  let admin: string;
  let buyer: string;
  const finds: string[] = [];
  let counting = false;

  beforeAll(async () => {
    const MONGODB_URI = `${mongoUri()}${mongoUri().includes('?') ? '&' : '?'}monitorCommands=true`;
    stack = await startStack({
      moderator: { MONGODB_URI, OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' },
      billing: { WORKERS: 'false' },
      // One execution and one subgraph request per page asked for: nothing joined with another.
      gateway: { DEDUPE_OPERATIONS: 'false', DEDUPE_SUBGRAPH_QUERIES: 'false' },
    });
    unmerged = await startGateway(
      { moderator: stack.moderator.url, billing: stack.billing.url },
      { DEDUPE_OPERATIONS: 'false', DEDUPE_SUBGRAPH_QUERIES: 'false', MERGE_SUBGRAPH_FETCHES: 'false' },
    );
    stack.moderator.conn.getClient().on('commandStarted', (e: mongo.CommandStartedEvent) => {
      const target = e.command[e.commandName];
      if (counting) finds.push(typeof target === 'string' ? `${e.commandName} ${target}` : e.commandName);
    });

    const G = stack.gateway.url;
    admin = await token('ADMIN', 'admin-1');
    buyer = await token('BUYER', 'pf-buyer-0');
    for (const id of ['pf-buyer-0', 'pf-buyer-1']) await gqlOk(G, REGISTER_BUYER, { input: { id, name: `Buyer ${id}` } }, admin);
    for (let c = 0; c < CARRIERS; c++) await gqlOk(G, REGISTER_CARRIER, { input: { id: `pf-carrier-${c}`, name: `Carrier ${c}`, coverage: ['44'] } }, admin);
    const moderatorToken = await token('MODERATOR', 'moderator');
    // 2 × BILLS bills: a buyer's page holds all BILLS of its own, the ADMIN page BILLS of both.
    const award = async (i: number) => {
      const buyerId = `pf-buyer-${i % 2}`;
      const input = requestInput(`44${100 + i}`, String(100 + i));
      const req = (await gqlOk(G, CREATE_REQUEST, { input }, await token('BUYER', buyerId))).createServiceRequest;
      await gqlOk(stack.billing.url, RECORD_SELECTION, { input: selectionRecordFor(req, input, { buyerId, carrierId: `pf-carrier-${i % CARRIERS}`, selectionId: `pf-sel-${req.id}` }) }, moderatorToken);
    };
    for (let i = 0; i < 2 * BILLS; i += 5) await Promise.all(Array.from({ length: 5 }, (_, k) => award(i + k)));
  });

  afterAll(async () => {
    await unmerged?.stop();
    await stack?.stop();
  });

  /**
   * POSTs the moderator has answered, from its own request metric (its GraphQL route is labelled
   * `other` there; nothing else POSTs to it in this test: no outbox, no scheduler).
   */
  async function moderatorRequests(): Promise<number> {
    const text = await (await fetch(new URL('/metrics', stack.moderator.url), { headers: { authorization: `Bearer ${admin}` } })).text();
    let n = 0;
    for (const m of text.matchAll(/^http_request_duration_seconds_count\{([^}]*)\} (\d+)/gm)) {
      if (m[1].includes('method="POST"')) n += Number(m[2]);
    }
    return n;
  }

  async function page(gw: GatewayApp, bearer: string) {
    const before = await moderatorRequests();
    finds.length = 0;
    counting = true;
    const answer = await gql(gw.url, PAGE, { n: BILLS }, bearer);
    counting = false;
    return { answer, moderatorRequests: (await moderatorRequests()) - before, finds: [...finds].sort() };
  }

  it.each([
    ['a buyer', () => buyer, false],
    ['ADMIN', () => admin, true],
  ])('costs the moderator one request for %s', async (_who, bearer, operator) => {
    const merged = await page(stack.gateway, bearer());
    expect(merged.answer.errors).toBeUndefined();
    const nodes = (merged.answer.data as { bills: { nodes: Record<string, any>[] } }).bills.nodes;
    expect(nodes).toHaveLength(BILLS);
    for (const b of nodes) {
      expect(b.buyer.name).toBe(`Buyer ${b.buyer.id}`);
      expect(b.carrier.name).toMatch(/^Carrier \d$/);
      expect(b.request).toMatchObject({ id: expect.any(String), status: expect.any(String), quantity: expect.any(String) });
    }
    expect(merged.moderatorRequests).toBe(1);
    // An operator's page: one batched lookup per entity type. (A buyer's also checks, per entity,
    // which requests and carriers it may see: the moderator's own visibility reads.)
    if (operator) expect(merged.finds).toEqual(['find buyers', 'find carriers', 'find service_requests']);

    // @apollo/gateway's plan as it is: three `_entities` requests, the same page.
    const apart = await page(unmerged, bearer());
    expect(apart.moderatorRequests).toBe(3);
    expect(apart.answer).toEqual(merged.answer);
  });
});
