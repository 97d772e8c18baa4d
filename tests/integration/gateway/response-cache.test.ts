// Issue 24: the gateway keeps whole answers per caller and serves an identical request from them
// while the collections they were read from are unchanged (gateway/src/response-cache.ts,
// platform/src/data-versions.ts). Real services, the embedded database and the real Redis: what
// a portal user relies on is that a kept page is never shown after a write made it wrong — whoever
// wrote (another gateway, a subgraph called directly, a worker), and right after a mutation's
// answer — and that no caller ever gets another caller's answer.
import Redis from 'ioredis';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, gqlOk, startBilling, startGateway, startStack, token, uniqueName } from '../../support/harness';
import { CREATE_REQUEST, RECORD_SELECTION, REGISTER_BUYER, REGISTER_CARRIER, requestInput, selectionRecordFor } from '../e2e/helpers';

jest.setTimeout(120_000);

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PAGE = `query($n: Int!) { bills(first: $n) { nodes { id number status total { amount currency } buyer { id name } carrier { id name } request { id status quantity } } } }`;
const PAY = `mutation($i: PaymentInput!) { recordPayment(input: $i) { id } }`;
const ROUTING = `{ routingTable { buyerId entries { prefix } } }`;

/** /graphql requests a service has received so far (its own request metric). */
async function graphqlRequests(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl))).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('http_request_duration_seconds_count{') && line.includes('route="/graphql"')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

/** The gateway's response-cache counter for one event (hit, miss, stale, kept, not_kept). */
async function cacheEvents(gateway: GatewayApp, event: string): Promise<number> {
  return (await gateway.metrics.responseCache.get()).values.find((v) => v.labels.event === event)?.value ?? 0;
}

describe('kept answers at the gateway', () => {
  const prefix = `${uniqueName('rc')}:`;
  const redis = { REDIS_URL, PUBSUB_PREFIX: prefix };
  let stack: Awaited<ReturnType<typeof startStack>>;
  let G: string;
  let admin: string;
  let moderatorToken: string;
  const buyerToken: Record<string, string> = {};
  let seq = 0;

  /** A request of `buyerId` awarded at billing (its ADVANCE bill issued), the selection sent to billing directly as the moderator would. */
  async function award(buyerId: string, carrierId: string): Promise<{ requestId: string; billId: string }> {
    const input = requestInput(`44${200 + seq}`, String(100 + seq));
    seq++;
    const req = (await gqlOk(G, CREATE_REQUEST, { input }, buyerToken[buyerId])).createServiceRequest;
    const record = selectionRecordFor(req, input, { buyerId, carrierId, selectionId: `rc-sel-${req.id}` });
    const sel = await gqlOk(stack.billing.url, RECORD_SELECTION, { input: record }, moderatorToken);
    return { requestId: req.id, billId: sel.recordSelection.advanceBill.id };
  }

  const page = (who: string) => gqlOk(G, PAGE, { n: 20 }, buyerToken[who]);
  /** Subgraph requests (both subgraphs) caused by `fn`. */
  const subgraphCalls = async (fn: () => Promise<unknown>) => {
    const before = (await graphqlRequests(stack.billing.url)) + (await graphqlRequests(stack.moderator.url));
    await fn();
    return (await graphqlRequests(stack.billing.url)) + (await graphqlRequests(stack.moderator.url)) - before;
  };

  beforeAll(async () => {
    stack = await startStack({
      moderator: { ...redis, OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' },
      billing: { ...redis, WORKERS: 'false' },
      gateway: { ...redis },
    });
    G = stack.gateway.url;
    admin = await token('ADMIN', 'admin-1');
    moderatorToken = await token('MODERATOR', 'moderator');
    for (const id of ['rc-buyer-a', 'rc-buyer-b']) {
      await gqlOk(G, REGISTER_BUYER, { input: { id, name: `Buyer ${id}` } }, admin);
      buyerToken[id] = await token('BUYER', id);
    }
    await gqlOk(G, REGISTER_CARRIER, { input: { id: 'rc-carrier', name: 'Carrier RC', coverage: ['44'] } }, admin);
    for (let i = 0; i < 3; i++) await award('rc-buyer-a', 'rc-carrier');
    await award('rc-buyer-b', 'rc-carrier');
  });

  afterAll(async () => {
    await stack?.stop();
    const client = new Redis(REDIS_URL);
    await client.del(`${prefix}data-versions`);
    client.disconnect();
  });

  it('answers a buyer’s repeated page without asking any subgraph, with the same bytes', async () => {
    const first = await page('rc-buyer-a');
    expect(first.bills.nodes).toHaveLength(3);
    const hits = await cacheEvents(stack.gateway, 'hit');
    let again: unknown;
    expect(await subgraphCalls(async () => (again = await page('rc-buyer-a')))).toBe(0);
    expect(again).toEqual(first);
    expect(await cacheEvents(stack.gateway, 'hit')).toBe(hits + 1);
  });

  it('never gives one caller’s kept answer to another', async () => {
    const a = await page('rc-buyer-a');
    const b = await page('rc-buyer-b');
    expect(a.bills.nodes.every((n: { buyer: { id: string } }) => n.buyer.id === 'rc-buyer-a')).toBe(true);
    expect(b.bills.nodes.map((n: { buyer: { id: string } }) => n.buyer.id)).toEqual(['rc-buyer-b']);
    // The same text with another identity, even one that sees everything, is its own execution.
    const calls = await subgraphCalls(() => gqlOk(G, PAGE, { n: 20 }, admin));
    expect(calls).toBeGreaterThan(0);
  });

  it('shows a bill issued by a call to billing that bypassed the gateway', async () => {
    await page('rc-buyer-a');
    await page('rc-buyer-a'); // kept
    const { billId } = await award('rc-buyer-a', 'rc-carrier');
    const after = await page('rc-buyer-a');
    expect(after.bills.nodes.map((n: { id: string }) => n.id)).toContain(billId);
  });

  it('shows a request cancelled at the moderator directly, on the next page', async () => {
    const { requestId } = await award('rc-buyer-a', 'rc-carrier');
    const before = await page('rc-buyer-a');
    expect(before.bills.nodes.find((n: { request: { id: string } }) => n.request.id === requestId).request.status).toBe('OPEN');
    await page('rc-buyer-a'); // kept
    await gqlOk(stack.moderator.url, `mutation($id: ID!) { cancelServiceRequest(id: $id) { id status } }`, { id: requestId }, buyerToken['rc-buyer-a']);
    const after = await page('rc-buyer-a');
    expect(after.bills.nodes.find((n: { request: { id: string } }) => n.request.id === requestId).request.status).toBe('CANCELLED');
  });

  it('reads its own writes: a payment’s answer is followed by a page that shows the bill paid', async () => {
    const { billId } = await award('rc-buyer-b', 'rc-carrier');
    const shown = (await page('rc-buyer-b')).bills.nodes.find((n: { id: string }) => n.id === billId);
    expect(shown.status).not.toBe('PAID');
    await page('rc-buyer-b'); // kept
    const paid = await gql(G, PAY, { i: { billId, amount: shown.total.amount, path: 'DIRECT', paymentId: `rc-pay-${billId}` } }, buyerToken['rc-buyer-b']);
    expect(paid.errors).toBeUndefined();
    const after = (await page('rc-buyer-b')).bills.nodes.find((n: { id: string }) => n.id === billId);
    expect(after.status).toBe('PAID');
  });

  it('a write through a second gateway is seen through the first at once', async () => {
    const second = await startGateway({ moderator: stack.moderator.url, billing: stack.billing.url }, redis);
    try {
      const { requestId } = await award('rc-buyer-b', 'rc-carrier');
      await page('rc-buyer-b');
      await page('rc-buyer-b'); // kept at the first gateway
      await gqlOk(second.url, `mutation($id: ID!) { cancelServiceRequest(id: $id) { id } }`, { id: requestId }, buyerToken['rc-buyer-b']);
      const after = await page('rc-buyer-b');
      expect(after.bills.nodes.find((n: { request: { id: string } }) => n.request.id === requestId).request.status).toBe('CANCELLED');
    } finally {
      await second.stop();
    }
  });

  it('keeps answers with deduplication of identical requests in flight switched off (the two settings are independent)', async () => {
    const gw = await startGateway({ moderator: stack.moderator.url, billing: stack.billing.url }, { ...redis, DEDUPE_OPERATIONS: 'false' });
    try {
      const ask = () => gqlOk(gw.url, PAGE, { n: 20 }, buyerToken['rc-buyer-a']);
      const first = await ask();
      let again: unknown;
      expect(await subgraphCalls(async () => (again = await ask()))).toBe(0);
      expect(again).toEqual(first);
    } finally {
      await gw.stop();
    }
  });

  it('does not keep answers the moderator gives from memory (the routing table)', async () => {
    await gqlOk(G, ROUTING, {}, buyerToken['rc-buyer-a']);
    expect(await subgraphCalls(() => gqlOk(G, ROUTING, {}, buyerToken['rc-buyer-a']))).toBe(1);
  });

  it('does not keep mutations or answers with errors', async () => {
    const bad = `query($id: ID!) { bill(id: $id) { id } bills(first: -1) { nodes { id } } }`;
    const r1 = await gql(G, bad, { id: 'no-such-request' }, buyerToken['rc-buyer-a']);
    expect(r1.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await subgraphCalls(() => gql(G, bad, { id: 'no-such-request' }, buyerToken['rc-buyer-a']))).toBe(1);
    // A mutation is sent every time, and its answer is never given for a query.
    const cancel = `mutation($id: ID!) { cancelServiceRequest(id: $id) { id } }`;
    for (let i = 0; i < 2; i++) expect(await subgraphCalls(() => gql(G, cancel, { id: 'no-such-request' }, buyerToken['rc-buyer-a']))).toBe(1);
  });

  it('keeps nothing from a billing subgraph that publishes its versions in another Redis', async () => {
    const elsewhere = await startBilling({ REDIS_URL: `${REDIS_URL}/3`, PUBSUB_PREFIX: prefix, WORKERS: 'false', BILLING_DB_NAME: stack.billing.dbName });
    const gw = await startGateway({ moderator: stack.moderator.url, billing: elsewhere.url }, redis);
    try {
      const ask = () => gqlOk(gw.url, PAGE, { n: 20 }, buyerToken['rc-buyer-a']);
      await ask();
      const before = await graphqlRequests(elsewhere.url);
      await ask();
      expect((await graphqlRequests(elsewhere.url)) - before).toBe(1);
      expect(await cacheEvents(gw, 'hit')).toBe(0);
    } finally {
      await gw.stop();
      await elsewhere.stop();
      const other = new Redis(`${REDIS_URL}/3`);
      await other.del(`${prefix}data-versions`);
      other.disconnect();
    }
  });
});
