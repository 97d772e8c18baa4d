// Batching across the federation: listing N bills through the gateway with fields of both
// subgraphs (`buyer { name }`, `carrier { name }`, `request { routes }` come from the moderator)
// costs a small, constant number of database round trips in EACH subgraph, whatever N is.
// Round trips are counted with the MongoDB driver's command monitoring on each subgraph's own
// connection: every command sent to the database (find, getMore, aggregate, …) is one.
import type { mongo } from 'mongoose';
import { gql, mongoUri, startStack, token } from '../../support/harness';
import { CREATE_REQUEST, gqlOk, RECORD_SELECTION, REGISTER_BUYER, REGISTER_CARRIER, requestInput, selectionRecordFor } from './helpers';

jest.setTimeout(120_000);

const N = 100;
const BUYERS = 4;
const CARRIERS = 5;

const LIST = `query($first: Int!) { bills(first: $first) { nodes {
  id number kind total { amount currency }
  buyer { id name }
  carrier { id name }
  request { id routes { destination } }
} } }`;

function withCommandMonitoring(uri: string) {
  return `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
}

describe(`listing ${N} bills through the gateway: constant database round trips per subgraph`, () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const seen: Record<'moderator' | 'billing', string[]> = { moderator: [], billing: [] };
  let counting = false;
  let agent: string;

  beforeAll(async () => {
    const MONGODB_URI = withCommandMonitoring(mongoUri());
    stack = await startStack({
      // No background workers anywhere: nothing but the listed query touches the databases.
      moderator: { MONGODB_URI, OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' },
      billing: { MONGODB_URI, WORKERS: 'false' },
    });
    for (const [name, app] of [['moderator', stack.moderator], ['billing', stack.billing]] as const) {
      app.conn.getClient().on('commandStarted', (e: mongo.CommandStartedEvent) => {
        if (!counting) return;
        const target = e.command[e.commandName];
        seen[name].push(typeof target === 'string' ? `${e.commandName} ${target}` : e.commandName);
      });
    }

    const G = stack.gateway.url;
    const admin = await token('ADMIN', 'admin-1');
    agent = await token('BILLING_AGENT', 'agent-1');
    for (let i = 0; i < BUYERS; i++) await gqlOk(G, REGISTER_BUYER, { input: { id: `buyer-${i}`, name: `Buyer ${i}` } }, admin);
    for (let i = 0; i < CARRIERS; i++) await gqlOk(G, REGISTER_CARRIER, { input: { id: `carrier-${i}`, name: `Carrier ${i}`, coverage: ['44'] } }, admin);

    // N requests at the moderator, each awarded to a carrier: the selection records reach billing
    // as the moderator's outbox sends them (recordSelection with the MODERATOR token; the outbox
    // itself is covered by story.test.ts), and billing issues one ADVANCE bill per selection.
    const moderatorToken = await token('MODERATOR', 'moderator');
    const award = async (i: number) => {
      const buyerId = `buyer-${i % BUYERS}`;
      const carrierId = `carrier-${i % CARRIERS}`;
      const input = requestInput(`44${100 + i}`, String(100 + i));
      const req = (await gqlOk(G, CREATE_REQUEST, { input }, await token('BUYER', buyerId))).createServiceRequest;
      const selection = selectionRecordFor(req, input, { buyerId, carrierId });
      const recorded = (await gqlOk(G, RECORD_SELECTION, { input: selection }, moderatorToken)).recordSelection;
      expect(recorded.advanceBill.id).toEqual(expect.any(String));
    };
    for (let i = 0; i < N; i += 5) await Promise.all(Array.from({ length: 5 }, (_, k) => award(i + k)));
    expect((await gqlOk(G, `{ bills(first: 500) { nodes { id } } }`, {}, agent)).bills.nodes).toHaveLength(N);
  });

  afterAll(async () => {
    counting = false;
    await stack?.stop();
  });

  async function roundTrips(first: number) {
    seen.moderator = [];
    seen.billing = [];
    counting = true;
    let nodes: any[];
    try {
      nodes = (await gqlOk(stack.gateway.url, LIST, { first }, agent)).bills.nodes;
    } finally {
      counting = false;
    }
    return { nodes, moderator: [...seen.moderator].sort(), billing: [...seen.billing].sort() };
  }

  it('lists every bill completed with buyer, carrier and request routes', async () => {
    const { nodes } = await roundTrips(N);
    expect(nodes).toHaveLength(N);
    for (const b of nodes) {
      const i = Number(b.request.routes[0].destination.slice(2)) - 100;
      expect(b).toMatchObject({
        kind: 'ADVANCE',
        // (100 + i) minutes at 0.0100 GBP
        total: { amount: ((100 + i) / 100).toFixed(2), currency: 'GBP' },
        buyer: { id: `buyer-${i % BUYERS}`, name: `Buyer ${i % BUYERS}` },
        carrier: { id: `carrier-${i % CARRIERS}`, name: `Carrier ${i % CARRIERS}` },
      });
    }
    expect(new Set(nodes.map((b) => b.request.id)).size).toBe(N);
  });

  /**
   * The fewest round trips of three tries: the moderator's delivery watch reads its pending awards
   * every 30 s whether or not its outbox runs, and may land inside one measurement on a slow run.
   */
  async function quietRoundTrips(first: number) {
    let best = await roundTrips(first);
    for (let i = 0; i < 2; i++) {
      const r = await roundTrips(first);
      if (r.moderator.length + r.billing.length < best.moderator.length + best.billing.length) best = r;
    }
    return best;
  }

  it('costs the same small number of round trips in each subgraph for 10 and for 100 bills', async () => {
    const ten = await quietRoundTrips(10);
    const hundred = await quietRoundTrips(N);
    expect(ten.nodes).toHaveLength(10);
    expect(hundred.nodes).toHaveLength(N);

    // Billing: the page of bills, once.
    expect(hundred.billing).toEqual(['find bills']);
    // Moderator: one batched lookup per entity type the gateway asks it to resolve.
    expect(hundred.moderator).toEqual(['find buyers', 'find carriers', 'find service_requests']);
    expect(ten.billing).toEqual(hundred.billing);
    expect(ten.moderator).toEqual(hundred.moderator);
  });

  it('prices a page of bills by its `first`: the same selection for 500 bills is refused as too costly', async () => {
    // Per bill (a list item's leaves cost 1 per 10: platform LEAVES_PER_UNIT): id, number, kind (1) + total,
    // buyer, carrier (1 + 1 each) + request { id routes { destination } } (1 + 1 + routes 1 + 10 × 1) = 20;
    // the page: 1 (bills) + 1 (nodes) + first × 20.
    const r = await gql(stack.gateway.url, LIST, { first: 500 }, agent);
    expect(r.status).toBe(400);
    expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', cost: 2 + 500 * 20, limit: 5000 }]);
  });
});
