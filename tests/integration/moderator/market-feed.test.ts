// The partners' market feed through the gateway, with the committed partner allow-list as
// PARTNER_OPERATIONS_FILE: open boards as a paginated query and boards opening and closing as a
// subscription, anonymised (no buyer, no carrier), refused to buyers and carriers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gql, gqlOk, startStack, token } from '../../support/harness';
import { subscribe, wsClient, type TestWsClient } from '../../support/ws-client';
import { countSubscriptions } from '../../support/subscriptions';
import { until } from '../../support/wait';
import { TOPIC_MARKET_BOARDS } from '../../../moderator-subgraph/src/services/events';

const FILE = path.resolve(__dirname, '..', '..', '..', 'schema', 'partner-operations.json');
const OPS = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;
const op = (root: string) => {
  const found = Object.entries(OPS).find(([, q]) => new RegExp(`^\\w+ \\w+[^{]*\\{\\s*${root}\\b`).test(q));
  if (!found) throw new Error(`no persisted operation for ${root}`);
  return { hash: found[0], query: found[1] };
};
const MARKET = op('marketBoards');
const CHANGES = op('marketBoardChanges');
const BID_BOARD = op('bidBoard');
const DAY = 86_400_000;

describe('market feed for partners (through the gateway, persisted operations)', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let G: string;
  let admin: string, buyer: string, carrier: string, carrier2: string, partner: string;
  const clients: TestWsClient[] = [];
  const client = (bearer?: string) => {
    const c = wsClient(G, bearer);
    clients.push(c);
    return c;
  };
  const requests: string[] = [];

  const create = async (closesInMs: number, destination = '4420') => {
    const now = Date.now();
    const input = {
      routes: [{ origin: '1', destination }],
      serviceType: 'VOICE',
      quantity: '1000',
      unit: 'MINUTE',
      interval: { start: new Date(now + 5 * DAY).toISOString(), end: new Date(now + 35 * DAY).toISOString() },
      biddingClosesAt: new Date(now + closesInMs).toISOString(),
    };
    const id = (await gqlOk(G, `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }`, { i: input }, buyer)).createServiceRequest.id as string;
    requests.push(id);
    return id;
  };
  const bid = (requestId: string, rate: string, who = carrier) =>
    gqlOk(G, `mutation($i: SubmitBidInput!) { submitBid(input: $i) { id } }`, { i: { requestId, incentive: { currency: 'GBP', ratePerUnit: rate } } }, who);
  /** As a partner sends it: the hash only (HTTP). */
  const byHash = async (hash: string, variables: Record<string, unknown>, bearer = partner) => {
    const res = await fetch(G, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] }) };
  };

  beforeAll(async () => {
    stack = await startStack({ gateway: { PARTNER_OPERATIONS_FILE: FILE }, moderator: { SCHEDULER_INTERVAL_MS: '100' } });
    G = stack.gateway.url;
    admin = await token('ADMIN', 'mf-admin');
    buyer = await token('BUYER', 'mf-buyer-secret');
    carrier = await token('CARRIER', 'mf-carrier-north');
    carrier2 = await token('CARRIER', 'mf-carrier-south');
    partner = await token('PARTNER', 'mf-partner');
    await gqlOk(G, `mutation($i: RegisterBuyerInput!) { registerBuyer(input: $i) { id } }`, { i: { id: 'mf-buyer-secret', name: 'Hidden Buyer Ltd' } }, admin);
    for (const [id, name] of [['mf-carrier-north', 'North Carrier'], ['mf-carrier-south', 'South Carrier']]) {
      await gqlOk(G, `mutation($i: RegisterCarrierInput!) { registerCarrier(input: $i) { id } }`, { i: { id, name, coverage: ['44'] } }, admin);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.stop();
  }, 30_000);

  it('lists open boards, closing soonest first, anonymised, with best rate and bid count, page by page', async () => {
    const late = await create(3 * DAY);
    const soon = await create(DAY);
    const middle = await create(2 * DAY, '4479');
    await bid(soon, '0.0120');
    await bid(soon, '0.0100', carrier2);

    const first = await byHash(MARKET.hash, { first: 2 });
    expect(first.errors).toBeUndefined();
    const page1 = first.data.marketBoards;
    expect(page1.boards.map((b: { requestId: string }) => b.requestId)).toEqual([soon, middle]);
    expect(page1.boards[0]).toMatchObject({
      requestId: soon,
      routes: [{ origin: '1', destination: '4420', network: null }],
      serviceType: 'VOICE',
      quantity: '1000',
      unit: 'MINUTE',
      currency: 'GBP',
      bidCount: 2,
      bestRate: expect.stringMatching(/^0\.01/),
    });
    expect(page1.boards[1]).toMatchObject({ requestId: middle, bidCount: 0, bestRate: null, currency: null, routes: [{ destination: '4479' }] });
    expect(page1.nextCursor).toEqual(expect.any(String));

    // The same best rate the request's own (anonymous) board shows.
    const board = await byHash(BID_BOARD.hash, { requestId: soon });
    expect(page1.boards[0].bestRate).toBe(board.data.bidBoard.bestRate);

    const second = (await byHash(MARKET.hash, { first: 2, after: page1.nextCursor })).data.marketBoards;
    expect(second).toEqual({ boards: [expect.objectContaining({ requestId: late })], nextCursor: null });

    const everything = JSON.stringify([first, second]);
    for (const secret of ['mf-buyer-secret', 'Hidden Buyer', 'mf-carrier', 'North Carrier', 'South Carrier', 'bid_', 'Bidder-']) expect(everything).not.toContain(secret);
  });

  it('drops boards once bidding closed or the request was cancelled', async () => {
    const cancelled = await create(DAY);
    await gqlOk(G, `mutation($id: ID!) { cancelServiceRequest(id: $id) { status } }`, { id: cancelled }, buyer);
    const closed = await create(DAY);
    await bid(closed, '0.0110');
    await gqlOk(G, `mutation($id: ID!) { closeBidding(requestId: $id) { status } }`, { id: closed }, buyer);
    const ids = (await byHash(MARKET.hash, { first: 50 })).data.marketBoards.boards.map((b: { requestId: string }) => b.requestId);
    expect(ids).not.toContain(cancelled);
    expect(ids).not.toContain(closed);
  });

  it('refuses bad paging input with BAD_USER_INPUT naming the argument', async () => {
    for (const first of [0, -1]) {
      const bad = await byHash(MARKET.hash, { first });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    const badCursor = await byHash(MARKET.hash, { first: 5, after: 'not-a-cursor' });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses the feed to buyers, carriers and reporters, and partners any operation outside the allow-list', async () => {
    for (const who of [buyer, carrier, await token('METER', 'mf-meter')]) {
      const r = await gql(G, MARKET.query, { first: 5 }, who);
      expect({ codes: r.errors?.map((e) => e.extensions?.code), data: r.data?.marketBoards ?? null }).toEqual({ codes: ['FORBIDDEN'], data: null });
    }
    const unlisted = await gql(G, '{ marketBoards { boards { requestId } } }', {}, partner);
    expect(unlisted.status).toBe(403);
    expect(unlisted.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OPERATION_NOT_IN_ALLOW_LIST' });
    // Operators read it too (not through the partner allow-list).
    expect((await gqlOk(G, '{ marketBoards(first: 1) { boards { requestId } } }', {}, admin)).marketBoards.boards).toHaveLength(1);
  });

  it('announces boards opening and closing to a partner subscriber, anonymised', async () => {
    const listening = countSubscriptions(stack.moderator.pubsub);
    const attached = stack.gateway.activeSubscriptions();
    const p = client(partner);
    // Over graphql-ws a persisted operation goes as an empty query plus its hash.
    const sub = subscribe(p, '', {}, { persistedQuery: { version: 1, sha256Hash: CHANGES.hash } });
    const asText = subscribe(client(partner), CHANGES.query);
    // Subscriptions open asynchronously: the board opens once both are attached at the gateway and
    // the upstream stream they share (same partner, same operation) listens at the moderator.
    await until(() => stack.gateway.activeSubscriptions() === attached + 2 && listening(TOPIC_MARKET_BOARDS) >= 1, 'both marketBoardChanges subscriptions through to the moderator');
    const opened = await create(DAY, '4420');
    const firstEvent = await sub.next();
    expect(firstEvent.errors).toBeUndefined();
    const announced = (firstEvent.data as any).marketBoardChanges;
    expect(announced).toMatchObject({ kind: 'OPENED', outcome: null, board: { bidCount: 0, bestRate: null, serviceType: 'VOICE', quantity: '1000' } });
    expect(requests).toContain(announced.board.requestId);

    // Any later board: bid, then close it; the CLOSED event carries the board as of the close.
    const target = opened as string;
    await bid(target, '0.0090');
    await gqlOk(G, `mutation($id: ID!) { closeBidding(requestId: $id) { status } }`, { id: target }, buyer);
    let closed: any;
    for (;;) {
      const e = (await sub.next()).data as any;
      if (e.marketBoardChanges.kind === 'CLOSED' && e.marketBoardChanges.board.requestId === target) {
        closed = e.marketBoardChanges;
        break;
      }
    }
    expect(closed).toMatchObject({ kind: 'CLOSED', outcome: 'AWARDED', board: { requestId: target, bidCount: 1, currency: 'GBP', bestRate: expect.stringMatching(/^0\.009/) } });
    expect(asText.events.length).toBeGreaterThan(0);
    const all = JSON.stringify([...sub.events, ...asText.events]);
    for (const secret of ['mf-buyer-secret', 'Hidden Buyer', 'mf-carrier', 'North Carrier', 'bid_', 'Bidder-']) expect(all).not.toContain(secret);
  }, 60_000);

  it('refuses the subscription to buyers and carriers, and unlisted subscriptions to partners', async () => {
    for (const who of [buyer, carrier]) {
      const s = subscribe(client(who), CHANGES.query);
      const end = (await s.ended) as { kind: string; error?: { extensions?: { code?: string } }[] };
      // Refused at subscribe time: one result with the error and no data (then complete), or an error.
      const errors = end.kind === 'error' ? end.error : s.events[0]?.errors;
      expect(errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(s.events.filter((e) => e.data && (e.data as any).marketBoardChanges)).toEqual([]);
    }
    const s = subscribe(client(partner), 'subscription { marketBoardChanges { kind } }');
    const end = (await s.ended) as { kind: string; error?: { extensions?: { code?: string; reason?: string } }[] };
    expect(end.error?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OPERATION_NOT_IN_ALLOW_LIST' });
  });
});
