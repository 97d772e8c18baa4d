// Shared scenarios for the claim tests (tests/claims/claim-NN.test.ts): the real system — moderator,
// billing and (where subscriptions or cross-subgraph fields are involved) the gateway, on the run's
// database — driven the way buyers, carriers, measuring equipment, local exchange carriers and
// operators drive it. Each claim file starts one exchange (`startExchange`, or
// `startIndependentExchange` for an independent billing agent), runs the auction through to the
// selection with `runAuction`, then proves its own step.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import mongoose from 'mongoose';
import type { PubSub, Role } from '@exchange/platform';
import { gql, gqlOk, mongoUri, startBilling, startGateway, startModerator, token, type GqlResult } from '../../support/harness';
import { subscribe, wsClient, type TestSubscription, type TestWsClient } from '../../support/ws-client';
import { BILL_ISSUED_TOPIC } from '../../../billing-subgraph/src/services/deps';
import { TOPIC_BILL_RELAYED, TOPIC_REQUEST_DISTRIBUTED, topicBidUpdates } from '../../../moderator-subgraph/src/services/events';
import { sleep, until, within } from '../../support/wait';

export { TOPIC_BILL_RELAYED };

// Each claim file starts a whole exchange in beforeAll; the default 5 s is too short on a busy machine.
jest.setTimeout(30_000);

type Env = Record<string, string | undefined>;
type Json = Record<string, any>;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
const iso = (t: number | string | Date) => new Date(t).toISOString();

// ------------------------------------------------------------------------------------------
// Waiting (always bounded)
// ------------------------------------------------------------------------------------------

export { sleep, until };

/** The next event of a subscription, or a failure naming `what` after `timeoutMs`. */
export async function nextEvent(sub: TestSubscription, what: string, timeout = 10_000): Promise<Json> {
  const ev = await within(sub.next(), { message: what, timeout });
  if (ev.errors?.length) throw new Error(`${what}: ${JSON.stringify(ev.errors)}`);
  return ev.data as Json;
}

/**
 * A port for a service that must be known before it starts (the moderator and billing name each
 * other). Taken below the kernel's ephemeral range (32768+), where port-0 listeners and outgoing
 * connections get theirs, so nothing else on the machine takes it between this check and the
 * service's listen; each jest worker draws from its own band.
 */
async function freePort(): Promise<number> {
  const band = 20_000 + ((Number(process.env.JEST_WORKER_ID ?? 1) - 1) % 12) * 1_000;
  for (let tries = 0; tries < 50; tries++) {
    const port = band + Math.floor(Math.random() * 1_000);
    const srv = createNetServer();
    const bound = await new Promise<boolean>((r) => {
      srv.once('error', () => r(false));
      srv.listen(port, '127.0.0.1', () => r(true));
    });
    if (bound) {
      await new Promise((r) => srv.close(r));
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

// ------------------------------------------------------------------------------------------
// The exchange: moderator + billing (+ gateway)
// ------------------------------------------------------------------------------------------

/**
 * Database names for this jest worker, emptied before each file's exchange starts. Creating a
 * fresh database costs FerretDB a second or two of DDL per subgraph; deleting the previous file's
 * documents from already indexed collections costs a few milliseconds, and no file sees another's
 * data either way. Against an external MONGODB_URI the harness's fresh names are kept.
 */
async function emptiedDatabases(): Promise<{ moderator?: string; billing?: string; reused: boolean }> {
  if (!process.env.TEST_DB_STATE) return { reused: false };
  const names = { moderator: `claims_moderator_w${process.env.JEST_WORKER_ID ?? '0'}`, billing: `claims_billing_w${process.env.JEST_WORKER_ID ?? '0'}` };
  const conn = await mongoose.createConnection(mongoUri()).asPromise();
  try {
    for (const name of Object.values(names)) {
      const db = conn.useDb(name, { useCache: false }).db!;
      const collections = (await db.collections()).filter((c) => !c.collectionName.startsWith('system.'));
      await Promise.all(collections.map((c) => c.deleteMany({})));
    }
  } finally {
    await conn.close();
  }
  return { ...names, reused: true };
}

/** Counts subscribe() calls per topic on a subgraph's pub/sub (a pass-through observer, nothing is faked). */
const subscribeCalls = new WeakMap<PubSub, Map<string, number>>();
function observeSubscriptions(ps: PubSub) {
  const counts = new Map<string, number>();
  subscribeCalls.set(ps, counts);
  const original = ps.subscribe.bind(ps);
  ps.subscribe = <T>(topic: string) => {
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
    return original<T>(topic);
  };
}

/**
 * Opens a subscription through the gateway and resolves once the owning subgraph is listening on
 * `topic`, so no event published afterwards can be missed (graphql-ws does not acknowledge subscribes).
 */
export async function subscribeReady(ex: Exchange, owner: 'moderator' | 'billing', topic: string, bearer: string, query: string, variables: Json = {}): Promise<TestSubscription> {
  const counts = subscribeCalls.get(ex[owner].pubsub)!;
  const before = counts.get(topic) ?? 0;
  const sub = subscribe(ex.ws(bearer), query, variables);
  await until(async () => (counts.get(topic) ?? 0) > before, `the ${owner} listening on ${topic}`);
  return sub;
}

export interface Exchange {
  moderator: Awaited<ReturnType<typeof startModerator>>;
  billing: Awaited<ReturnType<typeof startBilling>>;
  gateway: Awaited<ReturnType<typeof startGateway>> | null;
  /** Where buyers, carriers and the moderator's operator reach the moderator (the gateway when there is one). */
  moderatorApi: string;
  /** Where parties and the billing operator reach billing (the gateway when there is one). */
  billingApi: string;
  /** A token the moderator accepts. */
  modToken(role: Role, sub: string): Promise<string>;
  /** A token billing accepts (for MODERATOR: the moderator's own service credential). */
  billToken(role: Role, sub: string): Promise<string>;
  /** A graphql-ws client on the gateway, closed by stop(). */
  ws(bearer: string): TestWsClient;
  /** Runs at stop() (extra servers, temp dirs). */
  onStop(fn: () => unknown): void;
  registered: Set<string>;
  stop(): Promise<void>;
}

interface ExchangeParts {
  moderator: Exchange['moderator'];
  /** Billing, or null while an independent agent has not started it. */
  billing: () => Exchange['billing'] | null;
  gateway: Exchange['gateway'];
  moderatorApi: string;
  billingApi: string;
  modToken: Exchange['modToken'];
  billToken: Exchange['billToken'];
}

function exchange(parts: ExchangeParts, dropOnStop: boolean): Exchange {
  const clients: TestWsClient[] = [];
  const cleanups: (() => unknown)[] = [];
  return {
    moderator: parts.moderator,
    get billing() {
      const b = parts.billing();
      if (!b) throw new Error('the billing computer has not been started');
      return b;
    },
    gateway: parts.gateway,
    moderatorApi: parts.moderatorApi,
    billingApi: parts.billingApi,
    modToken: parts.modToken,
    billToken: parts.billToken,
    registered: new Set(),
    ws(bearer) {
      if (!parts.gateway) throw new Error('this exchange has no gateway');
      const c = wsClient(parts.gateway.url, bearer);
      clients.push(c);
      return c;
    },
    onStop: (fn) => void cleanups.push(fn),
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      for (const fn of cleanups.reverse()) await fn();
      await parts.gateway?.stop();
      const billing = parts.billing();
      if (dropOnStop) {
        await parts.moderator.conn.dropDatabase().catch(() => undefined);
        await billing?.conn.dropDatabase().catch(() => undefined);
      }
      await parts.moderator.stop();
      await billing?.stop();
    },
  };
}

/**
 * Moderator and billing on one host: the billing computer adjunct to the Moderator. Billing knows
 * the moderator's URL (for bills relayed through it, claim 12), the moderator delivers selection
 * records to billing's recordSelection, workers run fast. With `gateway` (true or its env) the
 * parties use the federated gateway (needed for subscriptions and cross-subgraph fields);
 * otherwise each subgraph's own API, which saves the gateway's start-up in most files.
 */
export async function startExchange(opts: { billing?: Env; moderator?: Env; gateway?: boolean | Env } = {}): Promise<Exchange> {
  const moderatorPort = await freePort();
  const dbs = await emptiedDatabases();
  const billing = await startBilling({
    BILLING_DB_NAME: dbs.billing,
    WORKER_INTERVAL_MS: '50',
    DELIVERY_BACKOFF_BASE_MS: '50',
    MODERATOR_URL: `http://127.0.0.1:${moderatorPort}/graphql`,
    // The parties' webhook receivers of these tests run on this machine.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    ...opts.billing,
  });
  const moderator = await startModerator({
    MODERATOR_DB_NAME: dbs.moderator,
    MODERATOR_PORT: String(moderatorPort),
    BILLING_URL: billing.url,
    OUTBOX_INTERVAL_MS: '100',
    OUTBOX_BACKOFF_BASE_MS: '50',
    OUTBOX_BACKOFF_MAX_MS: '200',
    SCHEDULER_ENABLED: 'false',
    ...opts.moderator,
  });
  const gateway = opts.gateway ? await startGateway({ moderator: moderator.url, billing: billing.url }, opts.gateway === true ? {} : opts.gateway) : null;
  observeSubscriptions(moderator.pubsub);
  observeSubscriptions(billing.pubsub);
  return exchange(
    { moderator, billing: () => billing, gateway, moderatorApi: gateway?.url ?? moderator.url, billingApi: gateway?.url ?? billing.url, modToken: token, billToken: token },
    !dbs.reused,
  );
}

/**
 * The billing computer of an independent agent: started on its own (own port, own database),
 * trusting only public keys (JWKS): the Moderator's, which signs the moderator's MODERATOR
 * credential, and the agent's own identity provider, which issues the tokens of the agent's staff
 * and of the buyers and carriers using its bill portal. Development HS256 tokens — all the
 * moderator's operator can mint for its own users — are worthless there. With `deferBilling`
 * the moderator starts first and the agent's computer only on `startAgent()`.
 */
export async function startIndependentExchange(opts: { deferBilling?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'claims-agent-'));
  const moderatorKey = await generateKeyPair('ES256', { extractable: true });
  const agentKey = await generateKeyPair('ES256', { extractable: true });
  const moderatorKeyFile = path.join(dir, 'moderator-private.jwk.json');
  writeFileSync(moderatorKeyFile, JSON.stringify({ ...(await exportJWK(moderatorKey.privateKey)), kid: 'moderator-2026', alg: 'ES256' }));
  const jwksFile = path.join(dir, 'trusted-keys.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({
      keys: [
        { ...(await exportJWK(moderatorKey.publicKey)), kid: 'moderator-2026', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(agentKey.publicKey)), kid: 'agent-idp', alg: 'ES256', use: 'sig' },
      ],
    }),
  );
  const es256 = (key: Parameters<SignJWT['sign']>[0], kid: string) => (role: Role, sub: string) =>
    new SignJWT({ role }).setProtectedHeader({ alg: 'ES256', kid }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(key);
  const agentSigned = es256(agentKey.privateKey, 'agent-idp');
  const moderatorSigned = es256(moderatorKey.privateKey, 'moderator-2026');

  // A signing key or a JWKS makes each a production deployment (issue 12): each has real secrets
  // of its own. The Moderator's operator signs its own users' tokens with its own HS256 secret.
  const moderatorSecret = `moderator-operator-secret-${randomUUID()}`;
  const moderatorToken = (role: Role, sub: string) =>
    new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(moderatorSecret));
  const billingPort = await freePort();
  const dbs = await emptiedDatabases();
  const billingEnv = {
    BILLING_DB_NAME: dbs.billing,
    BILLING_PORT: String(billingPort),
    JWT_JWKS_FILE: jwksFile,
    BILL_LINK_SECRET: `bill-links-${randomUUID()}`,
    // The agent's own public site for posted bills (production requires it named).
    BILLING_PUBLIC_URL: `http://127.0.0.1:${billingPort}`,
    // The parties' webhook receivers of these tests run on this machine.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_INTERVAL_MS: '50',
    DELIVERY_BACKOFF_BASE_MS: '50',
  };
  const moderator = await startModerator({
    JWT_SECRET: moderatorSecret,
    BOARD_PSEUDONYM_SECRET: `pseudonyms-${randomUUID()}`,
    MODERATOR_DB_NAME: dbs.moderator,
    BILLING_URL: `http://127.0.0.1:${billingPort}/graphql`,
    MODERATOR_SIGNING_KEY_FILE: moderatorKeyFile,
    OUTBOX_INTERVAL_MS: '100',
    OUTBOX_BACKOFF_BASE_MS: '50',
    OUTBOX_BACKOFF_MAX_MS: '200',
    SCHEDULER_ENABLED: 'false',
  });
  let billing: Exchange['billing'] | null = opts.deferBilling ? null : await startBilling(billingEnv);
  const ex = exchange({
    moderator,
    billing: () => billing,
    gateway: null,
    moderatorApi: moderator.url,
    billingApi: `http://127.0.0.1:${billingPort}/graphql`,
    modToken: moderatorToken,
    billToken: (role, sub) => (role === 'MODERATOR' ? moderatorSigned(role, sub) : agentSigned(role, sub)),
  }, !dbs.reused);
  const stop = ex.stop;
  return Object.assign(ex, {
    billingPort,
    /** A MODERATOR token signed with the development secret instead of the moderator's key. */
    forgedModeratorToken: () => token('MODERATOR', 'moderator'),
    async startAgent() {
      billing = await startBilling(billingEnv);
      return billing;
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

// ------------------------------------------------------------------------------------------
// GraphQL helpers
// ------------------------------------------------------------------------------------------

export const call = (url: string, query: string, variables: Json, bearer: string) => gql(url, query, variables, bearer);
export const callOk = (url: string, query: string, variables: Json, bearer: string) => gqlOk(url, query, variables, bearer);
export const codes = (r: GqlResult) => (r.errors ?? []).map((e) => e.extensions?.code);

export const BILL = `id number kind groupBy sequence status recordCount issuedAt dueAt
  buyer { id } carrier { id } request { id } period { start end }
  lines { kind description requestId endUserId quantity unit ratePerUnit tierIndex amount }
  endUserSubtotals { endUserId label amount }
  subtotal { amount currency } total { amount currency } paid { amount currency } outstanding { amount currency }
  deliveries { recipientId recipientRole channel path state attempts lastError deliveredAt }
  documentUrls { html pdf csv }`;

export const USAGE = `recordId source equipmentId buyerId carrierId requestId selectionId endUserId intervalStart intervalEnd
  serviceType quantity destination status unassociatedReason reportedBy
  qos { asrPercent acdSeconds pddMs latencyMs jitterMs lossPercent } minBandwidthMbps maxBandwidthMbps volumeSamples { at mbps }`;

export const BILLING_RECORD = `id requestId selectionId buyerId carrierId endUserId period serviceType unit billableQuantity billableBaseQuantity
  cumulativeBefore tierIndexes ratesPerUnit amount { amount currency } billId
  segments { tierIndex fromQuantity ratePerUnit quantity baseQuantity amount }
  usage { recordId source equipmentId quantity intervalStart intervalEnd }`;

// ------------------------------------------------------------------------------------------
// Parties
// ------------------------------------------------------------------------------------------

export interface Party {
  id: string;
  /** Token at the moderator. */
  token: string;
  /** Token at billing (the same one unless billing belongs to an independent agent). */
  billToken: string;
}

export async function party(ex: Exchange, role: Role, id: string): Promise<Party> {
  return { id, token: await ex.modToken(role, id), billToken: await ex.billToken(role, id) };
}

/** Carriers of every scenario: two cover London (4420…), one covers only North America. */
export const CARRIERS = {
  low: { id: 'carrier-low', coverage: ['44', '33'] },
  high: { id: 'carrier-high', coverage: ['4420', '33'] },
  far: { id: 'carrier-far', coverage: ['1'] },
} as const;
export type CarrierKey = keyof typeof CARRIERS;

export interface BuyerSpec {
  id: string;
  isReseller?: boolean;
  endUsers?: { id: string; name: string }[];
}

async function register(ex: Exchange, buyer: BuyerSpec) {
  const admin = await ex.modToken('ADMIN', 'moderator-operator');
  for (const c of Object.values(CARRIERS)) {
    if (ex.registered.has(c.id)) continue;
    await callOk(ex.moderatorApi, `mutation($i: RegisterCarrierInput!) { registerCarrier(input: $i) { id } }`, { i: { id: c.id, name: `Carrier ${c.id}`, coverage: c.coverage } }, admin);
    ex.registered.add(c.id);
  }
  if (!ex.registered.has(buyer.id)) {
    await callOk(ex.moderatorApi, `mutation($i: RegisterBuyerInput!) { registerBuyer(input: $i) { id } }`, { i: { name: `Buyer ${buyer.id}`, ...buyer } }, admin);
    ex.registered.add(buyer.id);
  }
}

// ------------------------------------------------------------------------------------------
// The auction: request → distribution → bids → broadcast → selection → routing → billing
// ------------------------------------------------------------------------------------------

/** The winning bid of the default scenario: 0.50/min up to 5 min, 0.40/min beyond, 30/6 increments. */
export const LOW_INCENTIVE = {
  currency: 'USD',
  ratePerUnit: '0.50',
  tiers: [{ fromQuantity: '5', ratePerUnit: '0.40' }],
  billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 },
};
export const HIGH_INCENTIVE = { currency: 'USD', ratePerUnit: '0.60' };

export interface AuctionOptions {
  buyer?: BuyerSpec;
  endUserId?: string;
  /** Destination prefix of the request's route (default 4420, London). */
  destination?: string;
  serviceType?: 'VOICE' | 'DATA';
  unit?: 'MINUTE' | 'GB' | 'MBPS';
  quantity?: string;
  /** Bids in the order placed; the default: carrier-high at 0.60 flat, then carrier-low undercuts with LOW_INCENTIVE. */
  bids?: { carrier: CarrierKey; incentive: Json }[];
  /** Which carrier the economic choice must select (default: low). */
  winner?: CarrierKey;
  /** Also check every carrier's view of the distribution (independent claims; dependent ones rely on the lighter checks). */
  thorough?: boolean;
  /** Thorough, and follow the distribution and the competing-bid broadcast over graphql-ws (needs the gateway). */
  watch?: boolean;
  /** Wait for billing to record the selection (default true; false when billing is not up yet). */
  awaitBilling?: boolean;
}

export interface Auction {
  requestId: string;
  selectionId: string;
  interval: { start: string; end: string };
  buyer: Party;
  winner: Party;
  loser: Party;
  /** A carrier the request was not distributed to. */
  outsider: Party;
  incentive: Json;
  /** The ranked carrier selection data the buyer saw. */
  ranking: Json[];
  /** The anonymous board the last bidder saw before bidding (the competing bid broadcast). */
  boardSeenByLastBidder: Json;
  /** The selection record as stored by billing, with its ADVANCE bill. */
  selectionRecord: Json;
  advanceBill: Json;
  /** With `watch`: the requestDistributed and bidUpdates events the carriers received. */
  observed: { distributed?: Json; broadcast?: Json };
  routed: Json;
}

let intervals = 0;
/**
 * A service interval in the near future that does not straddle a month boundary in its first
 * hours. Each call's start is a second later than the previous call's: near a month's end every
 * auction would otherwise start at the same instant, and routing would choose between
 * overlapping awards by selection id instead of the later award.
 */
function serviceInterval() {
  let start = Date.now() + 10 * MINUTE;
  const d = new Date(start);
  const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  if (nextMonth - start < 4 * HOUR) start = nextMonth + MINUTE + intervals * 1000;
  intervals++;
  return { start: iso(start), end: iso(start + 2 * DAY), closes: iso(start - 5 * MINUTE) };
}

export async function runAuction(ex: Exchange, o: AuctionOptions = {}): Promise<Auction> {
  const buyerSpec = o.buyer ?? { id: 'buyer-1' };
  await register(ex, buyerSpec);
  const buyer = await party(ex, 'BUYER', buyerSpec.id);
  const carriers = {
    low: await party(ex, 'CARRIER', CARRIERS.low.id),
    high: await party(ex, 'CARRIER', CARRIERS.high.id),
    far: await party(ex, 'CARRIER', CARRIERS.far.id),
  };
  const bids = o.bids ?? [
    { carrier: 'high' as const, incentive: HIGH_INCENTIVE },
    { carrier: 'low' as const, incentive: LOW_INCENTIVE },
  ];
  const winnerKey = o.winner ?? 'low';
  const loserKey: CarrierKey = winnerKey === 'low' ? 'high' : 'low';
  const lastBidder = carriers[bids[bids.length - 1].carrier];
  const destination = o.destination ?? '4420';
  const observed: Auction['observed'] = {};

  // The carrier covering 44 follows distributions as they happen.
  let distributions: TestSubscription | undefined;
  if (o.watch) {
    distributions = await subscribeReady(ex, 'moderator', TOPIC_REQUEST_DISTRIBUTED, carriers.low.token, `subscription { requestDistributed { request { id routes { destination } interval { start } buyer { id } } distributedAt } }`);
  }

  // a. the buyer formulates the request for a future interval and transmits it to the Moderator
  const interval = serviceInterval();
  const created = (
    await callOk(
      ex.moderatorApi,
      `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id status distributionCount routes { origin destination } interval { start end } } }`,
      {
        i: {
          routes: [{ origin: '1', destination }],
          serviceType: o.serviceType ?? 'VOICE',
          unit: o.unit ?? 'MINUTE',
          quantity: o.quantity ?? '2',
          interval: { start: interval.start, end: interval.end },
          biddingClosesAt: interval.closes,
          ...(o.endUserId ? { endUserId: o.endUserId } : {}),
        },
      },
      buyer.token,
    )
  ).createServiceRequest;
  expect(created).toMatchObject({ status: 'OPEN', routes: [{ origin: '1', destination }] });
  const requestId: string = created.id;

  // b. the Moderator distributes it to the carriers covering the route (not to carrier-far)
  expect(created.distributionCount).toBe(2);
  if (o.watch || o.thorough) {
    const seen = await callOk(ex.moderatorApi, `query($id: ID!) { serviceRequest(id: $id) { distributions { carrier { id } } } }`, { id: requestId }, buyer.token);
    expect(seen.serviceRequest.distributions.map((d: Json) => d.carrier.id).sort()).toEqual([CARRIERS.high.id, CARRIERS.low.id]);
    for (const c of [carriers.low, carriers.high]) {
      const open = (await callOk(ex.moderatorApi, `{ openRequests { id buyer { id } } }`, {}, c.token)).openRequests;
      expect(open).toContainEqual({ id: requestId, buyer: null }); // carriers never learn who the buyer is
    }
    expect((await callOk(ex.moderatorApi, `{ openRequests { id } }`, {}, carriers.far.token)).openRequests).toEqual([]);
  }
  if (distributions) {
    observed.distributed = (await nextEvent(distributions, 'requestDistributed at carrier-low')).requestDistributed;
    expect(observed.distributed).toMatchObject({ request: { id: requestId, routes: [{ destination }], buyer: null } });
    distributions.unsubscribe();
  }

  // c./e. carriers respond with economic incentives; each bid is broadcast to the other bidders
  let broadcast: TestSubscription | undefined;
  if (o.watch) {
    broadcast = await subscribeReady(
      ex,
      'moderator',
      topicBidUpdates(requestId),
      lastBidder.token,
      `subscription($r: ID!) { bidUpdates(requestId: $r) { requestId kind bid { id } board { view bidCount bestRate currency entries { rank pseudonym ratePerUnit estimatedCost isViewer carrier { id } } } } }`,
      { r: requestId },
    );
  }
  let boardSeenByLastBidder: Json = {};
  for (const [i, b] of bids.entries()) {
    const bidder = carriers[b.carrier];
    if (i === bids.length - 1) {
      if (broadcast) {
        observed.broadcast = (await nextEvent(broadcast, 'bidUpdates broadcast to the last bidder')).bidUpdates;
        broadcast.unsubscribe();
      }
      boardSeenByLastBidder = (
        await callOk(ex.moderatorApi, `query($r: ID!) { bidBoard(requestId: $r) { view bidCount bestRate currency entries { rank pseudonym ratePerUnit estimatedCost isViewer carrier { id } } } }`, { r: requestId }, bidder.token)
      ).bidBoard;
      // the competing incentive reached the carrier, anonymised
      expect(boardSeenByLastBidder.view).toBe('ANONYMOUS');
      expect(boardSeenByLastBidder.bidCount).toBe(bids.length - 1);
      expect(boardSeenByLastBidder.entries.map((e: Json) => e.carrier)).toEqual(bids.slice(0, -1).map(() => null));
    }
    const placed = (await callOk(ex.moderatorApi, `mutation($i: SubmitBidInput!) { submitBid(input: $i) { id status } }`, { i: { requestId, incentive: b.incentive } }, bidder.token)).submitBid;
    expect(placed.status).toBe('ACTIVE');
  }

  // d. the Moderator entered the incentives in its database and ranked them (carrier selection data)
  const view = (
    await callOk(
      ex.moderatorApi,
      `query($id: ID!) { serviceRequest(id: $id) { bids { carrier { id } status incentive { currency ratePerUnit tiers { fromQuantity ratePerUnit } } } ranking { rank bid { carrier { id } } estimatedCost { total currency } } } }`,
      { id: requestId },
      buyer.token,
    )
  ).serviceRequest;
  expect(view.bids).toHaveLength(bids.length);
  expect(await ex.moderator.models.Bid.countDocuments({ requestId })).toBe(bids.length);
  expect(view.ranking[0].bid.carrier.id).toBe(CARRIERS[winnerKey].id);

  // the economic choice: bidding closes and the best-ranked carrier is selected
  const closed = (await callOk(ex.moderatorApi, `mutation($id: ID!) { closeBidding(requestId: $id) { status selection { id carrier { id } incentive { ratePerUnit } } } }`, { id: requestId }, buyer.token)).closeBidding;
  expect(closed).toMatchObject({ status: 'AWARDED', selection: { carrier: { id: CARRIERS[winnerKey].id } } });
  const selectionId: string = closed.selection.id;

  // call attempts presented to the buyer's switch during the interval are routed to the selected carrier
  const routed = (
    await callOk(ex.moderatorApi, `query($d: String!, $at: DateTime) { routeCall(destination: $d, at: $at) { carrier { id } matchedPrefix ratePerUnit currency selection { id } reason } }`, { d: `+${destination}79460000`, at: iso(Date.parse(interval.start) + MINUTE) }, buyer.token)
  ).routeCall;
  expect(routed).toMatchObject({ carrier: { id: CARRIERS[winnerKey].id }, selection: { id: selectionId }, reason: null });

  // the selection record reaches billing (the moderator's outbox calls recordSelection), which
  // stores it and issues the ADVANCE bill
  const agent = await ex.billToken('BILLING_AGENT', 'billing-agent');
  const selectionRecord = o.awaitBilling === false ? null : await until(async () => {
      const r = (
        await call(
          ex.billingApi,
          `query($id: ID!) { selectionRecord(id: $id) { id requestId buyerId buyerIsReseller carrierId serviceType quantity unit recordedAt
            routes { origin destination } interval { start end }
            incentive { currency ratePerUnit tierModel tiers { fromQuantity ratePerUnit } billingIncrement { initialSeconds subsequentSeconds } dataChargeModel minimumCharge setupFee }
            advanceBill { ${BILL} } } }`,
          { id: selectionId },
          agent,
        )
      ).data?.selectionRecord;
      return r?.advanceBill ? r : null;
    }, `selection record ${selectionId} and its advance bill at billing`);
  return {
    requestId,
    selectionId,
    interval: { start: interval.start, end: interval.end },
    buyer,
    winner: carriers[winnerKey],
    loser: carriers[loserKey],
    outsider: carriers.far,
    incentive: bids.find((b) => b.carrier === winnerKey)!.incentive,
    ranking: view.ranking,
    boardSeenByLastBidder,
    selectionRecord: selectionRecord as Json,
    advanceBill: selectionRecord?.advanceBill,
    observed,
    routed,
  };
}

// ------------------------------------------------------------------------------------------
// Usage
// ------------------------------------------------------------------------------------------

export type UsageSource = 'MEASURING_EQUIPMENT' | 'LOCAL_EXCHANGE_CARRIER' | 'CARRIER' | 'MODERATOR';

/** A voice usage record of the auction's buyer on the winning carrier, `atMin` minutes into the interval. */
export function voiceUsage(
  a: Auction,
  o: { id: string; seconds: number; atMin?: number; source?: UsageSource; equipmentId?: string; endUserId?: string; requestId?: string; buyerId?: string; carrierId?: string; destination?: string },
): Json {
  const start = Date.parse(a.interval.start) + (o.atMin ?? 1) * MINUTE;
  const rec: Json = {
    recordId: o.id,
    source: o.source ?? 'MODERATOR',
    buyerId: o.buyerId ?? a.buyer.id,
    carrierId: o.carrierId ?? a.winner.id,
    intervalStart: iso(start),
    intervalEnd: iso(start + Math.max(o.seconds, 1) * 1000),
    serviceType: 'VOICE',
    quantity: String(o.seconds),
    destination: o.destination ?? '+442079460000',
  };
  if (o.equipmentId) rec.equipmentId = o.equipmentId;
  if (o.endUserId) rec.endUserId = o.endUserId;
  if (o.requestId) rec.requestId = o.requestId;
  return rec;
}

const INGEST = `mutation($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted duplicates rejected { index recordId field reason } } }`;
export const ingest = (ex: Exchange, records: Json[], bearer: string) => call(ex.billingApi, INGEST, { r: records }, bearer);
export const ingestOk = async (ex: Exchange, records: Json[], bearer: string) => (await callOk(ex.billingApi, INGEST, { r: records }, bearer)).ingestUsage;

export async function usageRecords(ex: Exchange, filter: Json, bearer: string): Promise<Json[]> {
  return (await callOk(ex.billingApi, `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 25) { nodes { ${USAGE} } } }`, { f: filter }, bearer)).usageRecords.nodes;
}

export async function billingRecords(ex: Exchange, requestId: string, bearer: string): Promise<Json[]> {
  return (await callOk(ex.billingApi, `query($id: ID!) { billingRecords(requestId: $id, first: 25) { nodes { ${BILLING_RECORD} } } }`, { id: requestId }, bearer)).billingRecords.nodes;
}

/** A registered METER or LEC credential for the given buyers (registered by `operator`: BILLING_AGENT or ADMIN). */
export async function usageReporter(ex: Exchange, kind: 'METER' | 'LEC', id: string, buyerIds: string[], operator: string): Promise<string> {
  const r = await callOk(ex.billingApi, `mutation($i: UsageReporterInput!) { registerUsageReporter(input: $i) { id kind buyerIds } }`, { i: { id, kind, buyerIds } }, operator);
  expect(r.registerUsageReporter).toEqual({ id, kind, buyerIds });
  return ex.billToken(kind, id);
}

// ------------------------------------------------------------------------------------------
// Bills
// ------------------------------------------------------------------------------------------

/** The UTC calendar month (the billing period) that contains `at`. */
export function billingPeriod(at: string | number): { start: string; end: string } {
  const d = new Date(at);
  return { start: iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)), end: iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) };
}

export async function generateBills(ex: Exchange, period: { start: string; end: string }, bearer: string, groupBy: 'BUYER_REQUEST' | 'BUYER_CARRIER' = 'BUYER_REQUEST') {
  return (await callOk(ex.billingApi, `mutation($p: IntervalInput!, $g: BillGrouping) { generateBills(period: $p, groupBy: $g) { issued bills { ${BILL} } } }`, { p: period, g: groupBy }, bearer)).generateBills as { issued: number; bills: Json[] };
}

export async function bill(ex: Exchange, id: string, bearer: string): Promise<Json> {
  return (await callOk(ex.billingApi, `query($id: ID!) { bill(id: $id) { ${BILL} } }`, { id }, bearer)).bill;
}

/**
 * The bill once its worker-driven deliveries on `channel` (WEBHOOK, MODERATOR_RELAY) are settled:
 * a peer sees the request a moment before billing records the answer.
 */
export async function billDelivered(ex: Exchange, id: string, bearer: string, channel: 'WEBHOOK' | 'MODERATOR_RELAY'): Promise<Json> {
  return until(async () => {
    const b = await bill(ex, id, bearer);
    const ds = b.deliveries.filter((d: Json) => d.channel === channel);
    return ds.length > 0 && ds.every((d: Json) => d.state !== 'PENDING') ? b : null;
  }, `${channel} deliveries of bill ${id}`);
}

/** "<ROLE>:<recipient>:<CHANNEL>/<PATH>:<STATE>" per delivery, sorted. */
export const deliverySummary = (b: Json) => b.deliveries.map((d: Json) => `${d.recipientRole}:${d.recipientId}:${d.channel}/${d.path}:${d.state}`).sort();

export const lineSummary = (b: Json) => b.lines.map((l: Json) => [l.kind, l.requestId, l.endUserId, l.quantity, l.ratePerUnit, l.amount]);

export const BILL_ISSUED = `subscription { billIssued { id number kind buyer { id } carrier { id } request { id } total { amount currency } } }`;

export const PAY = `mutation($i: PaymentInput!) { recordPayment(input: $i) { id billId amount { amount currency } path recordedBy ledgerEntries { event account amount currency } } }`;

export async function fetchDocument(url: string, bearer?: string) {
  const res = await fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

/** The posted CSV as rows of named columns (header row: bill_number, …, line_kind, …, amount, currency). */
export const csvRows = (body: Buffer): Record<string, string>[] => parseCsv(body.toString('utf8'), { columns: true });

// ------------------------------------------------------------------------------------------
// Real HTTP peers: webhook receivers and measuring equipment
// ------------------------------------------------------------------------------------------

async function listen(ex: Exchange, handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  ex.onStop(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface WebhookHit {
  at: number;
  signature: string;
  body: string;
  payload: Json;
}

/** A party's webhook endpoint, registered by the party itself through `billingApi`. */
export async function webhookEndpoint(ex: Exchange, p: Party, secret: string) {
  const hits: WebhookHit[] = [];
  const url = await listen(ex, (req, body, res) => {
    hits.push({ at: Date.now(), signature: String(req.headers['x-billing-signature']), body, payload: JSON.parse(body) });
    res.writeHead(204).end();
  });
  const r = await callOk(ex.billingApi, `mutation($i: BillingWebhookInput!) { registerBillingWebhook(input: $i) { partyId url } }`, { i: { partyId: p.id, url: `${url}/bills`, secret } }, p.billToken);
  expect(r.registerBillingWebhook).toEqual({ partyId: p.id, url: `${url}/bills` });
  return {
    hits,
    forBill: (billId: string) => until(async () => hits.find((h) => h.payload.bill?.id === billId), `webhook for bill ${billId} at ${p.id}`),
  };
}

/** Checks `X-Billing-Signature: t=<unix>,v1=<hex>` = HMAC-SHA256(secret, "<t>.<body>") as documented. */
export function signatureValid(secret: string, header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

/**
 * Measuring equipment with a pull interface (the usage feed protocol): GET <url>?cursor=<c> answers
 * `{ records, nextCursor }` in pages of `pageSize`; `failNext` makes the next answers HTTP 503.
 */
export async function measuringEquipment(ex: Exchange, records: Json[], pageSize = 2) {
  const state = { cursors: [] as (string | null)[], failNext: 0, records };
  const base = await listen(ex, (req, _body, res) => {
    const cursor = new URL(req.url!, 'http://x').searchParams.get('cursor');
    state.cursors.push(cursor);
    if (state.failNext > 0) {
      state.failNext--;
      res.writeHead(503).end('meter busy');
      return;
    }
    const from = Number(cursor ?? '0');
    const page = state.records.slice(from, from + pageSize);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ records: page, nextCursor: String(from + page.length) }));
  });
  return Object.assign(state, { url: `${base}/usage` });
}

export const FEED = `id url equipmentId buyerIds intervalSeconds cursor lastError consecutiveFailures acceptedTotal duplicatesTotal rejectedTotal lastSuccessAt nextPollAt`;

// ------------------------------------------------------------------------------------------
// Operators and the standard usage of a scenario
// ------------------------------------------------------------------------------------------

/** The Moderator's operator (ADMIN): runs the adjunct billing computer in claims 1-8 and 19-30. */
export const operatorToken = (ex: Exchange) => ex.billToken('ADMIN', 'moderator-operator');
/** The billing agent (BILLING_AGENT): operates the billing computer in claims 9-18 and 31-45. */
export const agentToken = (ex: Exchange) => ex.billToken('BILLING_AGENT', 'billing-agent');
/** The Moderator's own service credential at billing. */
export const moderatorCredential = (ex: Exchange) => ex.billToken('MODERATOR', 'moderator');

/**
 * Two calls of the default scenario: 240 s, then 180 s that crosses the 5-minute tier boundary.
 * Rated under LOW_INCENTIVE: 4 min x 0.50 = 2.00; then 1 min x 0.50 + 2 min x 0.40 = 1.30.
 * The PERIODIC bill: usage 3.30 minus the 1.00 ADVANCE (2 min x 0.50) = 2.30.
 */
export const twoCalls = (a: Auction, o: { prefix?: string; source?: UsageSource; equipmentId?: string; carrierId?: string } = {}) => [
  voiceUsage(a, { id: `${o.prefix ?? 'call'}-1`, seconds: 240, atMin: 1, source: o.source, equipmentId: o.equipmentId, carrierId: o.carrierId }),
  voiceUsage(a, { id: `${o.prefix ?? 'call'}-2`, seconds: 180, atMin: 10, source: o.source, equipmentId: o.equipmentId, carrierId: o.carrierId }),
];
export const TWO_CALLS_RATED = [
  { amount: '2.000000', segments: [{ tierIndex: 0, ratePerUnit: '0.5', quantity: '4', amount: '2.000000' }] },
  { amount: '1.300000', segments: [{ tierIndex: 0, ratePerUnit: '0.5', quantity: '1', amount: '0.500000' }, { tierIndex: 1, ratePerUnit: '0.4', quantity: '2', amount: '0.800000' }] },
];
export const TWO_CALLS_BILL_LINES = [
  ['USAGE', 0, '5', '0.5', '2.500000'],
  ['USAGE', 1, '2', '0.4', '0.800000'],
  ['ADVANCE_CREDIT', null, null, null, '-1.000000'],
];
export const billLines = (b: Json) => b.lines.map((l: Json) => [l.kind, l.tierIndex, l.quantity, l.ratePerUnit, l.amount]);

/** Billing records of the request, oldest first, reduced to what rating decided. */
export async function rated(ex: Exchange, a: Auction, bearer: string) {
  const recs = await billingRecords(ex, a.requestId, bearer);
  return recs.map((r) => ({ amount: r.amount.amount, segments: r.segments.map((s: Json) => ({ tierIndex: s.tierIndex, ratePerUnit: s.ratePerUnit, quantity: s.quantity, amount: s.amount })) }));
}

/** Issues the bills of the auction's billing period and returns the ones of its buyer. */
export async function billsOfPeriod(ex: Exchange, a: Auction, bearer: string, groupBy: 'BUYER_REQUEST' | 'BUYER_CARRIER' = 'BUYER_REQUEST') {
  const run = await generateBills(ex, billingPeriod(a.interval.start), bearer, groupBy);
  return run.bills.filter((b) => b.buyer.id === a.buyer.id);
}

/** Subscribes `p` to billIssued through the gateway (and waits until the subscription is open). */
export function followBills(ex: Exchange, p: Party): Promise<TestSubscription> {
  return subscribeReady(ex, 'billing', BILL_ISSUED_TOPIC, p.billToken, BILL_ISSUED);
}

/** A DATA usage record of the auction's buyer on the winning carrier, 5-minute slot `slot`. */
export function dataUsage(a: Auction, o: { id: string; slot: number; bytes: string; mbps?: string; qos?: Json; minBandwidthMbps?: string; maxBandwidthMbps?: string; source?: UsageSource }): Json {
  const start = Date.parse(a.interval.start) + MINUTE + o.slot * 5 * MINUTE;
  const rec: Json = {
    recordId: o.id,
    source: o.source ?? 'MODERATOR',
    buyerId: a.buyer.id,
    carrierId: a.winner.id,
    intervalStart: iso(start),
    intervalEnd: iso(start + 5 * MINUTE),
    serviceType: 'DATA',
    quantity: o.bytes,
  };
  if (o.mbps) rec.volumeSamples = [{ at: iso(start), mbps: o.mbps }];
  if (o.qos) rec.qos = o.qos;
  if (o.minBandwidthMbps) rec.minBandwidthMbps = o.minBandwidthMbps;
  if (o.maxBandwidthMbps) rec.maxBandwidthMbps = o.maxBandwidthMbps;
  return rec;
}

/**
 * The moderator's record of delivering the selection to billing (ADMIN view), once it is settled:
 * billing may store the record a moment before the moderator has marked it DELIVERED.
 */
export async function billingDelivery(ex: Exchange, selectionId: string): Promise<Json> {
  const admin = await ex.modToken('ADMIN', 'moderator-operator');
  return until(async () => {
    const d = (await callOk(ex.moderatorApi, `query($id: ID!) { selection(id: $id) { billingDelivery { state attempts lastError } } }`, { id: selectionId }, admin)).selection.billingDelivery;
    return d.state === 'DELIVERED' || d.attempts >= 3 ? d : null;
  }, `the moderator's delivery of ${selectionId}`);
}
