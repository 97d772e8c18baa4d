// Authorization matrix: every role (and no token) against every root operation of the supergraph,
// through the gateway. The operations come from schema/supergraph.graphql, so an operation added
// to the schema without an entry in ACCESS below fails this test. Arguments are generated from the
// argument types (with per-operation overrides that point at this test's own fixtures).
//
// A denied call answers FORBIDDEN or UNAUTHENTICATED and leaks nothing: the field is null. An
// allowed call is never refused with those codes (it may still fail for other reasons, e.g. a
// CONFLICT, which is not an authorization answer).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { ROLES, type Role } from '@exchange/platform';
import { gql, gqlOk, startStack, token, type GqlResult } from '../../support/harness';
import { subscribe, wsClient, type TestSubscription, type TestWsClient } from '../../support/ws-client';
import { selectionInput } from '../billing/fixtures';
import { until } from './support/children';
import { within } from '../../support/wait';

type Who = Role | 'NONE';
const EVERYONE: Who[] = [...ROLES, 'NONE'];
const OPERATORS: Role[] = ['ADMIN', 'MODERATOR', 'BILLING_AGENT'];

interface Access {
  /** Roles that may call the operation (with their own fixtures); every other role is refused. */
  allow: Who[];
  /**
   * Refused without revealing that the object exists: the answer is null without an error, or
   * NOT_FOUND (never FORBIDDEN), and still no data. Listed per operation where that is the
   * documented (and tested) behaviour.
   */
  hidden?: Who[];
}

// The expected access of every root operation. Keep in step with the schema's descriptions.
const ACCESS: Record<string, Access> = {
  // ---- Query
  billingVersion: { allow: EVERYONE },
  selectionRecord: { allow: [...OPERATORS, 'BUYER', 'CARRIER'], hidden: ['PARTNER', 'METER', 'LEC'] },
  bill: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  bills: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  usageRecords: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  rejectedUsage: { allow: [...OPERATORS, 'CARRIER', 'METER', 'LEC'] },
  billingRecords: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  usageFeed: { allow: ['ADMIN', 'BILLING_AGENT'] },
  usageFeeds: { allow: ['ADMIN', 'BILLING_AGENT'] },
  usageReporters: { allow: ['ADMIN', 'BILLING_AGENT'] },
  settlementStatement: { allow: ['ADMIN', 'BILLING_AGENT', 'CARRIER'] },
  billingProfile: { allow: ['ADMIN', 'BILLING_AGENT', 'BUYER', 'CARRIER'] },
  ledgerEntries: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  reconciliation: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  disputes: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  openDispute: { allow: ['BUYER', 'CARRIER'] },
  resolveDispute: { allow: ['ADMIN', 'BILLING_AGENT'] },
  // The fixture carrier is selected for the fixture buyer's request: it sees the counterparty view
  // (id, name, no end users); a carrier that was not selected is refused (gateway/carrier-visibility.test.ts).
  buyer: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  carrier: { allow: [...OPERATORS, 'CARRIER'] },
  buyers: { allow: [...OPERATORS, 'BUYER'] },
  carriers: { allow: [...OPERATORS, 'CARRIER'] },
  serviceRequest: { allow: [...OPERATORS, 'BUYER', 'CARRIER', 'PARTNER'] },
  serviceRequests: { allow: ['ADMIN', 'MODERATOR', 'BUYER'] },
  openRequests: { allow: ['ADMIN', 'MODERATOR', 'CARRIER'] },
  bid: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  bidBoard: { allow: [...OPERATORS, 'BUYER', 'CARRIER', 'PARTNER'] },
  selection: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  routeCall: { allow: ['ADMIN', 'BUYER'] },
  routingTable: { allow: ['ADMIN', 'BUYER'] },
  billRelays: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  marketBoards: { allow: [...OPERATORS, 'PARTNER'] },
  carrierTrunks: { allow: [...OPERATORS, 'CARRIER'] },
  switchKeys: { allow: ['ADMIN', 'BUYER'] },
  routeAttempts: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  // ---- Mutation
  recordSelection: { allow: ['MODERATOR'] },
  recordRouteAttempts: { allow: ['ADMIN', 'MODERATOR'] },
  ingestUsage: { allow: [...OPERATORS, 'CARRIER', 'METER', 'LEC'] },
  registerUsageReporter: { allow: ['ADMIN', 'BILLING_AGENT'] },
  setMediationPolicy: { allow: ['ADMIN', 'BILLING_AGENT'] },
  registerUsageFeed: { allow: ['ADMIN', 'BILLING_AGENT'] },
  pollUsageFeed: { allow: ['ADMIN', 'BILLING_AGENT'] },
  generateBills: { allow: ['ADMIN', 'BILLING_AGENT'] },
  runBillingCycle: { allow: ['ADMIN', 'BILLING_AGENT'] },
  setBillingProfile: { allow: ['ADMIN', 'BILLING_AGENT'] },
  registerBillingWebhook: { allow: ['ADMIN', 'BILLING_AGENT', 'BUYER', 'CARRIER'] },
  // A carrier is told NOT_FOUND, as a stranger would be (tests/integration/billing/payments.test.ts).
  recordPayment: { allow: ['ADMIN', 'BILLING_AGENT', 'BUYER'], hidden: ['CARRIER'] },
  registerBuyer: { allow: ['ADMIN'] },
  registerCarrier: { allow: ['ADMIN'] },
  createServiceRequest: { allow: ['BUYER'] },
  cancelServiceRequest: { allow: ['ADMIN', 'BUYER'] },
  submitBid: { allow: ['CARRIER'] },
  withdrawBid: { allow: ['CARRIER'] },
  closeBidding: { allow: ['ADMIN', 'BUYER'] },
  relayBill: { allow: ['BILLING_AGENT'] },
  addCarrierTrunk: { allow: ['ADMIN', 'CARRIER'] },
  removeCarrierTrunk: { allow: ['ADMIN', 'CARRIER'] },
  createSwitchKey: { allow: ['ADMIN', 'BUYER'] },
  revokeSwitchKey: { allow: ['ADMIN', 'BUYER'] },
  // ---- Subscription
  billIssued: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  requestDistributed: { allow: [...OPERATORS, 'CARRIER'] },
  bidUpdates: { allow: [...OPERATORS, 'BUYER', 'CARRIER', 'PARTNER'] },
  billRelayed: { allow: [...OPERATORS, 'BUYER', 'CARRIER'] },
  marketBoardChanges: { allow: [...OPERATORS, 'PARTNER'] },
};

const DENIAL_CODES = ['FORBIDDEN', 'UNAUTHENTICATED'];
const DAY = 86_400_000;

/** The client-facing API schema of the committed supergraph. */
function apiSchema(): GraphQLSchema {
  const sdl = readFileSync(path.resolve(__dirname, '..', '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
  return Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();
}

interface Fixtures {
  buyer: string;
  carrier: string;
  requestClosed: string;
  requestOpen: string;
  bidOpen: string;
  selection: string;
  bill: string;
  billNumber: string;
  billTotal: { amount: string; currency: string };
  feed: string;
  /** Fresh objects for calls that consume them (an allowed cancel, close, withdrawal, trunk removal or key revocation). */
  freshRequest(): Promise<string>;
  freshTrunk(): Promise<string>;
  freshKey(): Promise<string>;
  freshBid(): Promise<{ requestId: string; bidId: string }>;
}

let seq = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

/** A value of `type` built from the type alone (required input fields only). */
function generate(type: GraphQLInputType, name: string, fx: Fixtures): unknown {
  if (isNonNullType(type)) return generate(type.ofType, name, fx);
  if (isListType(type)) return [generate(type.ofType as GraphQLInputType, name, fx)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) if (isNonNullType(f.type)) out[f.name] = generate(f.type, f.name, fx);
    return out;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID': {
        const ids: Record<string, string> = { buyerId: fx.buyer, carrierId: fx.carrier, requestId: fx.requestOpen, billId: fx.bill, bidId: fx.bidOpen, partyId: fx.buyer };
        return ids[name] ?? 'no-such-id';
      }
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return false;
      case 'DateTime':
        return new Date().toISOString();
      case 'Decimal':
        return '1';
      default:
        return 'x';
    }
  }
  throw new Error(`no generator for ${String(type)}`);
}

/** The operation's arguments for `who`: generated, then overridden where the meaning matters. */
type Override = (who: Who, fx: Fixtures, allowed: boolean) => Record<string, unknown> | Promise<Record<string, unknown>>;
const usageSource: Partial<Record<Who, string>> = { CARRIER: 'CARRIER', METER: 'MEASURING_EQUIPMENT', LEC: 'LOCAL_EXCHANGE_CARRIER' };
const OVERRIDES: Record<string, Override> = {
  selectionRecord: (_w, fx) => ({ id: fx.selection }),
  bill: (_w, fx) => ({ id: fx.bill }),
  billingRecords: (_w, fx) => ({ requestId: fx.requestClosed }),
  usageFeed: (_w, fx) => ({ id: fx.feed }),
  settlementStatement: (_w, fx) => ({ carrierId: fx.carrier, period: { start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' } }),
  ledgerEntries: (_w, fx) => ({ billId: fx.bill }),
  disputes: (_w, fx) => ({ billId: fx.bill }),
  openDispute: (_w, fx) => ({ input: { billId: fx.bill, reason: 'matrix', amount: '-1' } }),
  resolveDispute: () => ({ input: { disputeId: 'dsp_none', accept: false, reason: 'matrix' } }),
  reconciliation: (_w, fx) => ({ buyerId: fx.buyer, carrierId: fx.carrier, period: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' } }),
  buyer: (_w, fx) => ({ id: fx.buyer }),
  carrier: (_w, fx) => ({ id: fx.carrier }),
  serviceRequest: (_w, fx) => ({ id: fx.requestOpen }),
  bidBoard: (_w, fx) => ({ requestId: fx.requestOpen }),
  selection: (_w, fx) => ({ id: fx.selection }),
  bid: (_w, fx) => ({ id: fx.bidOpen }),
  routeCall: (who, fx) => ({ destination: '442071234567', ...(who === 'ADMIN' ? { buyerId: fx.buyer } : {}) }),
  routingTable: (who, fx) => (who === 'ADMIN' ? { buyerId: fx.buyer } : {}),
  recordSelection: (_w, fx) => ({ input: selectionInput({ selectionId: unique('authz-sel'), buyerId: fx.buyer, carrierId: fx.carrier }) }),
  recordRouteAttempts: (_w, fx) => ({ slots: [{ selectionId: fx.selection, slotStart: '2026-10-05T10:05:00Z', attempts: 3 }] }),
  ingestUsage: (who, fx) => {
    const start = new Date(Date.UTC(2026, 9, 5, 10));
    return {
      records: [
        {
          recordId: unique('authz-usage'),
          source: usageSource[who] ?? 'MODERATOR',
          buyerId: fx.buyer,
          carrierId: fx.carrier,
          intervalStart: start.toISOString(),
          intervalEnd: new Date(start.getTime() + 60_000).toISOString(),
          serviceType: 'VOICE',
          quantity: '60',
        },
      ],
    };
  },
  setMediationPolicy: (_w, fx) => ({ input: { buyerId: fx.buyer, carrierId: fx.carrier } }),
  registerUsageReporter: (_w, fx) => ({ input: { id: unique('authz-meter'), kind: 'METER', buyerIds: [fx.buyer] } }),
  registerUsageFeed: (_w, fx) => ({ input: { url: 'http://127.0.0.1:9/feed', equipmentId: unique('authz-eq'), buyerIds: [fx.buyer], intervalSeconds: 3600 } }),
  pollUsageFeed: (_w, fx) => ({ id: fx.feed }),
  generateBills: () => ({ period: { start: '2020-01-01T00:00:00Z', end: '2020-02-01T00:00:00Z' } }),
  runBillingCycle: () => ({ period: '2020-01' }),
  // The party itself (a buyer or carrier reads its own profile).
  billingProfile: (who, fx) => ({ partyId: who === 'CARRIER' ? fx.carrier : fx.buyer }),
  setBillingProfile: () => ({ partyId: unique('authz-party'), role: 'BUYER', profile: { legalName: 'Matrix Ltd' } }),
  registerBillingWebhook: (who, fx) => ({ input: { partyId: who === 'CARRIER' ? fx.carrier : fx.buyer, url: 'https://198.51.100.9/hook', secret: 'a-secret-of-at-least-16-chars' } }),
  recordPayment: (_w, fx) => ({ input: { billId: fx.bill, amount: '0.01', path: 'DIRECT', paymentId: unique('authz-pay') } }),
  registerBuyer: () => ({ input: { name: 'Matrix Buyer' } }),
  registerCarrier: () => ({ input: { name: 'Matrix Carrier', coverage: ['33'] } }),
  createServiceRequest: () => ({ input: requestInput() }),
  cancelServiceRequest: async (_w, fx, allowed) => ({ id: allowed ? await fx.freshRequest() : fx.requestOpen }),
  submitBid: (_w, fx) => ({ input: { requestId: fx.requestOpen, incentive: { currency: 'GBP', ratePerUnit: '0.011' } } }),
  withdrawBid: async (_w, fx, allowed) => ({ bidId: allowed ? (await fx.freshBid()).bidId : fx.bidOpen }),
  closeBidding: async (_w, fx, allowed) => ({ requestId: allowed ? await fx.freshRequest() : fx.requestOpen }),
  relayBill: (_w, fx) => ({
    input: { billId: fx.bill, billNumber: fx.billNumber, kind: 'ADVANCE', buyerId: fx.buyer, carrierId: fx.carrier, total: fx.billTotal, url: 'http://127.0.0.1:9/bill' },
  }),
  bidUpdates: (_w, fx) => ({ requestId: fx.requestOpen }),
  carrierTrunks: (who, fx) => (who === 'CARRIER' ? {} : { carrierId: fx.carrier }),
  switchKeys: (who, fx) => (who === 'ADMIN' ? { buyerId: fx.buyer } : {}),
  routeAttempts: (_w, fx) => ({ selectionId: fx.selection }),
  addCarrierTrunk: (who, fx) => ({ input: { name: unique('authz-trunk'), host: 'sip.example.net', ...(who === 'ADMIN' ? { carrierId: fx.carrier } : {}) } }),
  removeCarrierTrunk: async (_w, fx) => ({ id: await fx.freshTrunk() }),
  createSwitchKey: (who, fx) => ({ input: { name: 'matrix', ...(who === 'ADMIN' ? { buyerId: fx.buyer } : {}) } }),
  revokeSwitchKey: async (_w, fx) => ({ id: await fx.freshKey() }),
};

function requestInput() {
  const now = Date.now();
  return {
    routes: [{ origin: '1', destination: '4420' }],
    serviceType: 'VOICE',
    quantity: '1000',
    unit: 'MINUTE',
    interval: { start: new Date(now + 2 * DAY).toISOString(), end: new Date(now + 32 * DAY).toISOString() },
    biddingClosesAt: new Date(now + DAY).toISOString(),
  };
}

/** `query Op($a: T!, …) { field(a: $a, …) { __typename id? } }` for one root field. */
function documentFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>, vars: Record<string, unknown>): string {
  const args = field.args.filter((a) => a.name in vars);
  const decl = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const use = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  let selection = '';
  if (isCompositeType(named)) selection = isObjectType(named) && named.getFields().id ? ' { __typename id }' : ' { __typename }';
  return `${kind} Matrix${decl ? `(${decl})` : ''} { ${field.name}${use ? `(${use})` : ''}${selection} }`;
}

function argumentsFor(field: GraphQLField<unknown, unknown>, fx: Fixtures, override: Record<string, unknown>): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const a of field.args) if (isNonNullType(a.type)) vars[a.name] = generate(a.type, a.name, fx);
  return { ...vars, ...override };
}

describe('authorization matrix: every role × every root operation of the supergraph', () => {
  const schema = apiSchema();
  const roots = (['query', 'mutation', 'subscription'] as const).map((kind) => {
    const type = kind === 'query' ? schema.getQueryType() : kind === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    return { kind, fields: Object.values(type?.getFields() ?? {}) };
  });
  const operations = roots.flatMap((r) => r.fields.map((f) => f.name));

  let stack: Awaited<ReturnType<typeof startStack>>;
  let G: string;
  let fx: Fixtures;
  const tokens = {} as Record<Who, string | undefined>;
  const clients: TestWsClient[] = [];

  beforeAll(async () => {
    // The matrix checks each resolver's own rules, so the partner allow-list (on by default, which
    // would refuse every unlisted PARTNER operation before any resolver) is off here.
    stack = await startStack({
      moderator: { OUTBOX_INTERVAL_MS: '50', OUTBOX_BACKOFF_BASE_MS: '20', OUTBOX_BACKOFF_MAX_MS: '200' },
      billing: { WORKER_INTERVAL_MS: '600000' },
      gateway: { PARTNER_OPERATIONS_FILE: 'none' },
    });
    G = stack.gateway.url;
    const buyer = 'authz-buyer';
    const carrier = 'authz-carrier';
    const subs: Record<Role, string> = {
      BUYER: buyer,
      CARRIER: carrier,
      PARTNER: 'authz-partner',
      ADMIN: 'authz-admin',
      MODERATOR: 'moderator',
      BILLING_AGENT: 'authz-agent',
      METER: 'authz-meter',
      LEC: 'authz-lec',
    };
    for (const r of ROLES) tokens[r] = await token(r, subs[r]);
    tokens.NONE = undefined;
    const admin = tokens.ADMIN!;
    await gqlOk(G, `mutation($i: RegisterBuyerInput!) { registerBuyer(input: $i) { id } }`, { i: { id: buyer, name: 'Authz Buyer' } }, admin);
    await gqlOk(G, `mutation($i: RegisterCarrierInput!) { registerCarrier(input: $i) { id } }`, { i: { id: carrier, name: 'Authz Carrier', coverage: ['44'] } }, admin);
    for (const [id, kind] of [['authz-meter', 'METER'], ['authz-lec', 'LEC']]) {
      await gqlOk(G, `mutation($i: UsageReporterInput!) { registerUsageReporter(input: $i) { id } }`, { i: { id, kind, buyerIds: [buyer] } }, admin);
    }
    const create = async () =>
      (await gqlOk(G, `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }`, { i: requestInput() }, tokens.BUYER)).createServiceRequest.id as string;
    const placeBid = async (requestId: string) =>
      (await gqlOk(G, `mutation($i: SubmitBidInput!) { submitBid(input: $i) { id } }`, { i: { requestId, incentive: { currency: 'GBP', ratePerUnit: '0.012' } } }, tokens.CARRIER)).submitBid.id as string;
    const requestClosed = await create();
    await placeBid(requestClosed);
    const closed = await gqlOk(G, `mutation($id: ID!) { closeBidding(requestId: $id) { selection { id } } }`, { id: requestClosed }, tokens.BUYER);
    const selection = closed.closeBidding.selection.id as string;
    const requestOpen = await create();
    const bidOpen = await placeBid(requestOpen);
    // The selection reaches billing through the outbox, which issues its ADVANCE bill.
    const advance = await until(async () => {
      const r = await gqlOk(G, `query($id: ID!) { selectionRecord(id: $id) { advanceBill { id number total { amount currency } } } }`, { id: selection }, admin);
      return r.selectionRecord?.advanceBill;
    }, { message: 'the ADVANCE bill of the fixture selection', timeout: 20_000, interval: 100 });
    const feed = (
      await gqlOk(G, `mutation($i: UsageFeedInput!) { registerUsageFeed(input: $i) { id } }`, { i: { url: 'http://127.0.0.1:9/feed', equipmentId: 'authz-eq', buyerIds: [buyer], intervalSeconds: 3600 } }, admin)
    ).registerUsageFeed.id as string;
    fx = {
      buyer,
      carrier,
      requestClosed,
      requestOpen,
      bidOpen,
      selection,
      bill: advance.id,
      billNumber: advance.number,
      billTotal: advance.total,
      feed,
      freshRequest: create,
      freshTrunk: async () =>
        (await gqlOk(G, `mutation($i: AddCarrierTrunkInput!) { addCarrierTrunk(input: $i) { id } }`, { i: { name: unique('authz-trunk'), host: 'sip.example.net' } }, tokens.CARRIER))
          .addCarrierTrunk.id as string,
      freshKey: async () => (await gqlOk(G, `mutation { createSwitchKey(input: { name: "matrix" }) { switchKey { id } } }`, {}, tokens.BUYER)).createSwitchKey.switchKey.id as string,
      freshBid: async () => {
        const requestId = await create();
        return { requestId, bidId: await placeBid(requestId) };
      },
    };
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.stop();
  }, 30_000);

  it('has an expected-access entry for every root operation in the schema (and none for operations that are gone)', () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.filter((op) => !ACCESS[op])).toEqual([]);
    expect(Object.keys(ACCESS).filter((op) => !operations.includes(op))).toEqual([]);
    for (const [op, a] of Object.entries(ACCESS)) for (const w of [...a.allow, ...(a.hidden ?? [])]) expect({ op, who: w, known: EVERYONE.includes(w) }).toEqual({ op, who: w, known: true });
  });

  const verdict = (op: string, who: Who, r: GqlResult) => {
    const codes = (r.errors ?? []).map((e) => e.extensions?.code as string);
    const value = r.data ? r.data[op] : undefined;
    return { op, who, codes, value };
  };

  for (const kind of ['query', 'mutation'] as const) {
    it(`answers every ${kind} as the table says, for every role`, async () => {
      const fields = roots.find((r) => r.kind === kind)!.fields;
      const problems: unknown[] = [];
      for (const field of fields) {
        const access = ACCESS[field.name];
        if (!access) continue; // reported by the coverage test
        // Refused callers first, so that an allowed call that consumes a fixture cannot hide a refusal.
        const order = [...EVERYONE].sort((x, y) => Number(access.allow.includes(x)) - Number(access.allow.includes(y)));
        for (const who of order) {
          const allowed = access.allow.includes(who);
          const vars = argumentsFor(field, fx, (await OVERRIDES[field.name]?.(who, fx, allowed)) ?? {});
          const r = await gql(G, documentFor(kind, field, vars), vars, tokens[who]);
          const v = verdict(field.name, who, r);
          if (allowed) {
            // Every argument points at an object the caller may use, so an answer without an error has data.
            if (v.codes.some((c) => DENIAL_CODES.includes(c))) problems.push({ ...v, expected: 'allowed', errors: r.errors });
            else if (v.codes.length === 0 && (v.value === null || v.value === undefined)) problems.push({ ...v, expected: 'allowed, with data' });
          } else if (access.hidden?.includes(who)) {
            if ((v.value !== null && v.value !== undefined) || !v.codes.every((c) => c === 'NOT_FOUND')) problems.push({ ...v, expected: 'null or NOT_FOUND, no data' });
          } else {
            const refused = v.codes.length > 0 && v.codes.every((c) => DENIAL_CODES.includes(c));
            if (!refused || (v.value !== null && v.value !== undefined)) problems.push({ ...v, expected: `refused (${DENIAL_CODES.join('/')}), no data`, status: r.status });
          }
        }
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }

  it('answers every subscription as the table says, for every role', async () => {
    const fields = roots.find((r) => r.kind === 'subscription')!.fields;
    // What makes each subscription's event happen (allowed subscribers must all receive one).
    const triggers: Record<string, () => Promise<unknown>> = {
      billIssued: () =>
        gqlOk(G, `mutation($i: SelectionRecordInput!) { recordSelection(input: $i) { id } }`, { i: selectionInput({ selectionId: unique('authz-sub-sel'), buyerId: fx.buyer, carrierId: fx.carrier }) }, tokens.MODERATOR),
      requestDistributed: () => fx.freshRequest(),
      marketBoardChanges: () => fx.freshRequest(),
      bidUpdates: () => gqlOk(G, `mutation($i: SubmitBidInput!) { submitBid(input: $i) { id } }`, { i: { requestId: fx.requestOpen, incentive: { currency: 'GBP', ratePerUnit: (0.01 + (++seq % 50) / 10000).toFixed(4) } } }, tokens.CARRIER),
      billRelayed: () =>
        gqlOk(
          G,
          `mutation($i: BillRelayInput!) { relayBill(input: $i) { id } }`,
          { i: { billId: unique('authz-relay-bill'), billNumber: unique('N'), kind: 'ADVANCE', buyerId: fx.buyer, carrierId: fx.carrier, total: fx.billTotal, url: 'http://127.0.0.1:9/bill' } },
          tokens.BILLING_AGENT,
        ),
    };
    const problems: unknown[] = [];
    for (const field of fields) {
      const access = ACCESS[field.name];
      if (!access) continue;
      expect({ op: field.name, hasTrigger: !!triggers[field.name] }).toEqual({ op: field.name, hasTrigger: true });
      const subs = new Map<Who, TestSubscription>();
      for (const who of EVERYONE) {
        const c = wsClient(G, tokens[who]);
        clients.push(c);
        const vars = argumentsFor(field, fx, (await OVERRIDES[field.name]?.(who, fx, access.allow.includes(who))) ?? {});
        subs.set(who, subscribe(c, documentFor('subscription', field, vars), vars));
      }
      // Refused subscribers are told at once; allowed ones receive the events that follow.
      const allowed = EVERYONE.filter((w) => access.allow.includes(w));
      await until(async () => {
          if (allowed.every((w) => subs.get(w)!.events.length > 0 || closedWithError(subs.get(w)!))) return true;
          await triggers[field.name]();
          return false;
        }, { message: `every allowed subscriber of ${field.name} received an event`, timeout: 20_000, interval: 250 }).catch((err) => problems.push({ op: field.name, error: (err as Error).message, got: Object.fromEntries([...subs].map(([w, s]) => [w, s.events])) }));
      for (const who of EVERYONE) {
        const s = subs.get(who)!;
        if (access.allow.includes(who)) {
          const first = s.events[0];
          const codes = (first?.errors ?? []).map((e) => e.extensions?.code);
          if (!first || codes.length || !first.data?.[field.name]) problems.push({ op: field.name, who, expected: 'an event', got: first ?? (await endOf(s)) });
        } else {
          const end = await endOf(s);
          const codes = codesOf(end);
          const leaked = s.events.filter((e) => e.data && e.data[field.name] != null);
          if (!codes.length || !codes.every((c) => DENIAL_CODES.includes(c)) || leaked.length) problems.push({ op: field.name, who, expected: 'refused, no data', end, leaked });
        }
        s.unsubscribe();
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);
});

function closedWithError(s: TestSubscription): boolean {
  return s.events.some((e) => e.errors?.length);
}

/** How a subscription ended: its error (GraphQL errors, or the socket's close event), or the error event it got. */
async function endOf(s: TestSubscription): Promise<unknown> {
  const withErrors = s.events.find((e) => e.errors?.length);
  if (withErrors) return { kind: 'error', error: withErrors.errors };
  // A refusal ends the subscription; one still open after the bound is reported as such.
  return within(s.ended, { timeout: 10_000 }).catch(() => ({ kind: 'still open' }));
}

function codesOf(end: unknown): string[] {
  const e = end as { kind?: string; error?: unknown };
  if (e?.kind !== 'error') return [];
  const err = e.error as { extensions?: { code?: string } }[] | { code?: number } | undefined;
  if (Array.isArray(err)) return err.map((x) => String(x.extensions?.code));
  if (err && typeof (err as { code?: number }).code === 'number') {
    const code = (err as { code: number }).code;
    return [code === 4401 ? 'UNAUTHENTICATED' : code === 4403 ? 'FORBIDDEN' : `close ${code}`];
  }
  return [];
}
