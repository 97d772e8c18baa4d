import { errorCodes, gql, gqlOk, startModerator, token } from '../../support/harness';
import { countSubscriptions } from '../../support/subscriptions';
import { sleep } from '../../support/wait';
import { TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from '../../../moderator-subgraph/src/services/events';
import { bid, CLOSE, collect, createRequest, registerParties, until, wsClient } from './helpers';

// Distinctive ids and names, so any leak shows up in a plain substring search of the JSON.
const CARRIERS = [
  { id: 'carrier-zebra-7731', name: 'Zebra Networks', coverage: ['44'] },
  { id: 'carrier-okapi-8842', name: 'Okapi Telecom', coverage: ['4420'] },
  { id: 'carrier-quokka-9953', name: 'Quokka Transit', coverage: ['44'] },
  { id: 'carrier-outsider-1064', name: 'Outsider Voice', coverage: ['33'] },
];
const BUYER = { id: 'buyer-secretive-5511', name: 'Secretive Buyer Ltd' };

const BOARD = `board { requestId view currency bidCount bestRate bestEstimatedCost viewerRank
  entries { rank pseudonym estimatedCost ratePerUnit currency isViewer bid { id carrier { id name } } carrier { id name } } }`;
const UPDATES = `subscription($id: ID!) { bidUpdates(requestId: $id) { requestId kind at bid { id status carrier { id name } } ${BOARD} } }`;

describe('moderator: anonymity of carriers and buyers', () => {
  let app: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  const clients: ReturnType<typeof wsClient>[] = [];
  const client = (t: string) => {
    const c = wsClient(app.url, t);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    app = await startModerator({ OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    parties = await registerParties(app.url, { buyers: [BUYER, { id: 'buyer-nosy' }], carriers: CARRIERS });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app.conn.dropDatabase();
    await app.stop();
  });

  const others = (self: string | null) => CARRIERS.filter((c) => c.id !== self).flatMap((c) => [c.id, c.name]);
  const expectNoLeak = (json: string, self: string | null) => {
    for (const s of [...others(self), BUYER.id, BUYER.name]) expect(json).not.toContain(s);
  };

  it('never shows a carrier or partner another carrier or the buyer, in queries and in bidUpdates events', async () => {
    const buyerToken = parties.buyers[BUYER.id].token;
    const [zebra, okapi, quokka, outsider] = CARRIERS.map((c) => parties.carriers[c.id]);
    const partner = await token('PARTNER', 'partner-1');
    const listening = countSubscriptions(app.pubsub);
    const distributed = collect(client(zebra.token), `subscription { requestDistributed { distributedAt request { id buyer { id name } routes { destination } quantity } } }`);
    const outsiderDist = collect(client(outsider.token), `subscription { requestDistributed { request { id } } }`);
    await until(() => listening(TOPIC_REQUEST_DISTRIBUTED) === 2, 'both requestDistributed subscriptions at the pub/sub');
    const req = await createRequest(app.url, buyerToken, { quantity: '1000', routes: [{ origin: '1', destination: '44207' }] });

    const [ev] = await distributed.waitFor(1);
    expect(ev.requestDistributed.request).toEqual({ id: req.id, buyer: null, routes: [{ destination: '44207' }], quantity: '1000' });
    expect(JSON.stringify(distributed.events)).not.toContain(BUYER.id);
    expect(JSON.stringify(distributed.events)).not.toContain(BUYER.name);

    const subs = {
      buyer: collect(client(buyerToken), UPDATES, { id: req.id }),
      zebra: collect(client(zebra.token), UPDATES, { id: req.id }),
      okapi: collect(client(okapi.token), UPDATES, { id: req.id }),
      partner: collect(client(partner), UPDATES, { id: req.id }),
    };
    // Not allowed to follow this request: a carrier it was not distributed to, another buyer.
    const refusedOutsider = collect(client(outsider.token), UPDATES, { id: req.id });
    const refusedBuyer = collect(client(parties.buyers['buyer-nosy'].token), UPDATES, { id: req.id });
    await Promise.all([refusedOutsider.ended, refusedBuyer.ended]);
    for (const r of [refusedOutsider, refusedBuyer]) {
      expect(r.events).toEqual([]);
      expect((r.errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    await until(() => listening(topicBidUpdates(req.id)) === 4, 'the four allowed bidUpdates subscriptions at the pub/sub');

    const z1 = await bid(app.url, zebra.token, req.id, '0.0120');
    const o1 = await bid(app.url, okapi.token, req.id, '0.0100');
    const q1 = await bid(app.url, quokka.token, req.id, '0.0110');
    const z2 = await bid(app.url, zebra.token, req.id, '0.0090'); // replaces z1
    await gqlOk(app.url, `mutation($id: ID!) { withdrawBid(bidId: $id) { id } }`, { id: q1.id }, quokka.token);

    // Exactly one event per accepted, replaced or withdrawn bid, to every allowed subscriber.
    for (const s of Object.values(subs)) await s.waitFor(5);
    // A look-out for a sixth event that must NOT come (an absence has no event to wait for).
    await sleep(200);
    for (const s of Object.values(subs)) {
      expect(s.errors).toEqual([]);
      expect(s.events.map((e) => e.bidUpdates.kind)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'REPLACED', 'WITHDRAWN']);
    }

    // The buyer sees everything.
    const lastBuyer = subs.buyer.events[4].bidUpdates;
    expect(lastBuyer.bid).toEqual({ id: q1.id, status: 'WITHDRAWN', carrier: { id: 'carrier-quokka-9953', name: 'Quokka Transit' } });
    expect(lastBuyer.board.view).toBe('FULL');
    expect(lastBuyer.board.entries.map((e: { carrier: { id: string } }) => e.carrier.id)).toEqual(['carrier-zebra-7731', 'carrier-okapi-8842']);

    // Zebra: its own bids in full, competitors only as pseudonyms; its rank; best rate and cost.
    const zEvents = subs.zebra.events.map((e) => e.bidUpdates);
    expect(zEvents.map((e) => e.bid?.id ?? null)).toEqual([z1.id, null, null, z2.id, null]);
    const zLast = zEvents[4].board;
    expect(zLast).toMatchObject({ view: 'ANONYMOUS', bidCount: 2, viewerRank: 1, bestRate: '0.009', bestEstimatedCost: '9', currency: 'GBP' });
    expect(zLast.entries.map((e: { isViewer: boolean; bid: unknown; carrier: unknown; pseudonym: string }) => [e.isViewer, e.bid, e.carrier, /^Bidder-[0-9A-F]{6}$/.test(e.pseudonym)])).toEqual([
      [true, null, null, true],
      [false, null, null, true],
    ]);
    expectNoLeak(JSON.stringify(subs.zebra.events), 'carrier-zebra-7731');
    expectNoLeak(JSON.stringify(subs.okapi.events), 'carrier-okapi-8842');
    // Pseudonyms are stable per request: okapi's pseudonym is the same in every view.
    const okapiPseudonym = lastBuyer.board.entries[1].pseudonym;
    expect(subs.okapi.events[4].bidUpdates.board.entries.find((e: { isViewer: boolean }) => e.isViewer).pseudonym).toBe(okapiPseudonym);
    expect(zLast.entries[1].pseudonym).toBe(okapiPseudonym);
    // The partner sees the board, no bid and no viewer rank.
    const pEvents = subs.partner.events.map((e) => e.bidUpdates);
    expect(pEvents.every((e) => e.bid === null && e.board.viewerRank === null)).toBe(true);
    expectNoLeak(JSON.stringify(subs.partner.events), null);

    // Queries: the same projections.
    const q = `query($id: ID!) { serviceRequest(id: $id) { id buyer { id name } distributions { carrier { id } } bids { id carrier { id name } } ${BOARD} selection { id } } bidBoard(requestId: $id) { view entries { pseudonym carrier { id } } } }`;
    const zq = await gqlOk(app.url, q, { id: req.id }, zebra.token);
    expect(zq.serviceRequest.buyer).toBeNull();
    expect(zq.serviceRequest.distributions).toBeNull();
    expect(zq.serviceRequest.bids.map((b: { id: string }) => b.id)).toEqual([z1.id, z2.id]);
    expectNoLeak(JSON.stringify(zq), 'carrier-zebra-7731');
    const pq = await gqlOk(app.url, q, { id: req.id }, partner);
    expect(pq.serviceRequest.bids).toEqual([]);
    expectNoLeak(JSON.stringify(pq), null);
    // Direct lookups of another carrier's bid or of the carrier itself are refused.
    expect(errorCodes(await gql(app.url, `query($id: ID!) { bid(id: $id) { id } }`, { id: o1.id }, zebra.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, `{ carrier(id: "carrier-okapi-8842") { name } }`, {}, zebra.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, `query($id: ID!) { bid(id: $id) { id } }`, { id: o1.id }, partner))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, `query($id: ID!) { bidBoard(requestId: $id) { view } }`, { id: req.id }, outsider.token))).toEqual(['FORBIDDEN']);
    // Entity references (as the gateway resolves them) obey the same rules.
    const ents = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Carrier { id name } ... on Buyer { id name } } }`;
    const e = await gql(app.url, ents, { r: [{ __typename: 'Carrier', id: 'carrier-okapi-8842' }, { __typename: 'Buyer', id: BUYER.id }] }, zebra.token);
    expect(errorCodes(e)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expectNoLeak(JSON.stringify(e.data), 'carrier-zebra-7731');

    // After the close the loser still sees no winner identity.
    await gqlOk(app.url, CLOSE, { id: req.id }, buyerToken);
    const oq = await gqlOk(app.url, q, { id: req.id }, okapi.token);
    expect(oq.serviceRequest.selection).toBeNull();
    expectNoLeak(JSON.stringify(oq), 'carrier-okapi-8842');

    // The outsider never received the distribution.
    expect(outsiderDist.events).toEqual([]);
  });
});
