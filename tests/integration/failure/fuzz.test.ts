// Malformed and hostile input, generated with fast-check, through the gateway (and straight at the
// subgraphs, which partners and the CDR importer may reach): wrong types, huge strings, negative /
// NaN / Infinity / over-precise amounts, invalid and reversed dates, operator injection such as
// {"$gt": ""} in ids and filters, 100,000-record batches, deeply nested queries.
// Every answer is either a success or a clear coded error (never INTERNAL_SERVER_ERROR, never a
// 5xx); a refused call writes nothing (documents counted before and after); and the servers keep
// serving (a good request succeeds after every property).
import fc from 'fast-check';
import { gql, gqlOk, startStack, token, type GqlResult } from '../../support/harness';
import { selectionInput } from '../billing/fixtures';
import { requestInput } from '../moderator/helpers';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const CODED = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'QUERY_TOO_DEEP', 'QUERY_TOO_COMPLEX', 'PAYLOAD_TOO_LARGE', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED']);

// ---------------------------------------------------------------- hostile values
const injection = fc.constantFrom<unknown>({ $gt: '' }, { $ne: null }, { $where: 'sleep(1000)' }, { $regex: '.*' }, [{ $gt: '' }], { $in: ['a'] });
const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n));
const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', '$gt', '{"$gt": ""}', '\u0000', 'a\u0000b', '../../etc/passwd', "'; DROP TABLE bills; --", '<script>alert(1)</script>', '\uD800', '١٢٣', '😀'),
  hugeString,
);
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 2 }));
const hostile = fc.oneof(nastyString, wrongType, injection);
const badAmount = fc.oneof(
  fc.constantFrom<unknown>('-1', '-0.01', 'NaN', 'Infinity', '-Infinity', '1e3', '1E-7', '0.0000000000000001', '1.2.3', '', ' 1', '+1', '.5', '5.', '1,5', '0x1F', '1_000', '9'.repeat(40), `0.${'1'.repeat(40)}`),
  fc.double(),
  fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5),
  injection,
  hugeString,
);
const badDate = fc.oneof(
  fc.constantFrom<unknown>('', 'yesterday', 'now', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-10-01', '2026-10-01T00:00:00', '0000-00-00T00:00:00Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '2026-10-01T25:61:00Z'),
  fc.integer(),
  fc.double(),
  injection,
  hugeString,
);

/** The verdict on one answer: a success, or only coded errors (with the field's data null). */
function judge(r: GqlResult, field: string): { ok: boolean; refused: boolean; why?: string } {
  if (r.status >= 500) return { ok: false, refused: true, why: `HTTP ${r.status}: ${JSON.stringify(r.errors)}` };
  // A success answers the field (null is a fine answer for an unknown id).
  if (!r.errors?.length) return { ok: !!r.data && field in r.data, refused: false, why: 'no data and no error' };
  const codes = r.errors.map((e) => String(e.extensions?.code));
  const bad = codes.filter((c) => !CODED.has(c));
  if (bad.length) return { ok: false, refused: true, why: `uncoded errors ${JSON.stringify(r.errors).slice(0, 800)}` };
  if (r.errors.some((e) => !e.message)) return { ok: false, refused: true, why: 'an error without a message' };
  const leaked = r.data && r.data[field] !== null && r.data[field] !== undefined;
  return { ok: !leaked, refused: true, why: leaked ? 'data next to errors' : undefined };
}

describe('failure: malformed and hostile input', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let G: string;
  let tokens: Record<'admin' | 'agent' | 'moderator' | 'buyer' | 'carrier', string>;
  let openRequest: string;
  let bill: string;

  /** Documents of the collections a refused call must not touch. */
  const counts = async () => {
    const m = stack.moderator.models;
    const b = stack.billing.models;
    const [requests, bids, log, usage, rejected, records, bills, slots, reporters] = await Promise.all([
      m.ServiceRequest.countDocuments(),
      m.Bid.countDocuments(),
      m.AuctionLog.countDocuments(),
      b.Usage.countDocuments(),
      b.Rejected.countDocuments(),
      b.BillingRecord.countDocuments(),
      b.Bill.countDocuments(),
      b.Slot.countDocuments(),
      b.Reporter.countDocuments(),
    ]);
    return { requests, bids, log, usage, rejected, records, bills, slots, reporters };
  };

  /** A good request through the gateway still succeeds, on both subgraphs. */
  const stillServing = async () => {
    const r = await gqlOk(G, `query($id: ID!) { billingVersion serviceRequest(id: $id) { id status } }`, { id: openRequest }, tokens.buyer);
    expect(r.serviceRequest).toEqual({ id: openRequest, status: 'OPEN' });
  };

  beforeAll(async () => {
    stack = await startStack({ billing: { WORKERS: 'false' }, moderator: { SCHEDULER_ENABLED: 'false', OUTBOX_ENABLED: 'false' } });
    G = stack.gateway.url;
    tokens = {
      admin: await token('ADMIN', 'fuzz-admin'),
      agent: await token('BILLING_AGENT', 'fuzz-agent'),
      moderator: await token('MODERATOR', 'moderator'),
      buyer: await token('BUYER', 'fuzz-buyer'),
      carrier: await token('CARRIER', 'fuzz-carrier'),
    };
    await gqlOk(G, `mutation { registerBuyer(input: { id: "fuzz-buyer", name: "Fuzz Buyer" }) { id } }`, {}, tokens.admin);
    await gqlOk(G, `mutation { registerCarrier(input: { id: "fuzz-carrier", name: "Fuzz Carrier", coverage: ["44"] }) { id } }`, {}, tokens.admin);
    openRequest = (await gqlOk(G, `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }`, { i: requestInput() }, tokens.buyer)).createServiceRequest.id;
    const rec = await gqlOk(
      G,
      `mutation($i: SelectionRecordInput!) { recordSelection(input: $i) { advanceBill { id } } }`,
      { i: selectionInput({ selectionId: 'fuzz-sel', buyerId: 'fuzz-buyer', carrierId: 'fuzz-carrier', incentive: { currency: 'USD', ratePerUnit: '1' } }) },
      tokens.moderator,
    );
    bill = rec.recordSelection.advanceBill.id;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  }, 30_000);

  it('ingestUsage: hostile records are refused one by one or as a batch, and exactly the accepted ones are stored', async () => {
    const start = Date.UTC(2026, 9, 5, 10);
    const good = (i: number, id: string) => ({
      recordId: id,
      source: 'MODERATOR',
      buyerId: 'fuzz-buyer',
      carrierId: 'fuzz-carrier',
      intervalStart: new Date(start + i * 60_000).toISOString(),
      intervalEnd: new Date(start + i * 60_000 + 30_000).toISOString(),
      serviceType: 'VOICE',
      quantity: '30',
    });
    const fields = ['recordId', 'source', 'buyerId', 'carrierId', 'intervalStart', 'intervalEnd', 'serviceType', 'quantity', 'requestId', 'destination', 'equipmentId'] as const;
    const mutation = fc.record({
      field: fc.constantFrom(...fields),
      value: fc.oneof(hostile, badAmount, badDate),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(mutation, { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 6 }), fc.boolean(), fc.constantFrom('gateway', 'billing'), async (edits, reversed, target) => {
        const records: Record<string, unknown>[] = edits.map((es, i) => {
          const r: Record<string, unknown> = good(i, `fuzz-${++n}`);
          if (reversed && i === 0) [r.intervalStart, r.intervalEnd] = [r.intervalEnd, r.intervalStart];
          for (const e of es) r[e.field] = e.value;
          return r;
        });
        const before = await counts();
        const r = await gql(target === 'gateway' ? G : stack.billing.url, `mutation($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted duplicates rejected { index field reason } } }`, { r: records }, tokens.agent);
        const v = judge(r, 'ingestUsage');
        expect({ ok: v.ok, why: v.why }).toEqual({ ok: true, why: v.why });
        const after = await counts();
        if (v.refused) {
          expect(after).toEqual(before);
          return;
        }
        const out = r.data!.ingestUsage as { accepted: number; duplicates: number; rejected: { index: number; field: string | null; reason: string }[] };
        expect(out.accepted + out.duplicates + out.rejected.length).toBe(records.length);
        expect(after.usage - before.usage).toBe(out.accepted);
        expect(after.rejected - before.rejected).toBe(out.rejected.length);
        for (const x of out.rejected) expect(x.reason.length).toBeGreaterThan(0);
        // The reversed record is never accepted.
        if (reversed) expect(out.rejected.map((x) => x.index)).toContain(0);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  }, 120_000);

  it('ingestUsage: a 100,000-record batch is refused as a whole, with nothing stored', async () => {
    const before = await counts();
    const records = Array.from({ length: 100_000 }, (_, i) => ({
      recordId: `huge-${i}`,
      source: 'MODERATOR',
      buyerId: 'fuzz-buyer',
      carrierId: 'fuzz-carrier',
      intervalStart: '2026-10-05T10:00:00Z',
      intervalEnd: '2026-10-05T10:01:00Z',
      serviceType: 'VOICE',
      quantity: '60',
    }));
    for (const url of [G, stack.billing.url]) {
      const r = await gql(url, `mutation($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted } }`, { r: records }, tokens.agent);
      expect(r.status).toBeLessThan(500);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].message).toMatch(/10[,.]?000/);
      expect(r.data ?? null).toBeNull();
    }
    expect(await counts()).toEqual(before);
    await stillServing();
  }, 120_000);

  it('money, dates and ids: hostile amounts, invalid or reversed dates and operator injection are coded errors that write nothing', async () => {
    const DAY = 86_400_000;
    type Case = { name: string; field: string; url: () => string; query: string; vars: Record<string, unknown>; bearer: string };
    const cases = fc.oneof(
      badAmount.map<Case>((rate) => ({
        name: 'submitBid rate',
        field: 'submitBid',
        url: () => G,
        query: `mutation($i: SubmitBidInput!) { submitBid(input: $i) { id } }`,
        vars: { i: { requestId: openRequest, incentive: { currency: 'GBP', ratePerUnit: rate } } },
        bearer: tokens.carrier,
      })),
      fc.record({ q: badAmount, start: badDate, closes: badDate, which: fc.nat(2) }).map<Case>(({ q, start, closes, which }) => {
        const base = requestInput();
        const i = { ...base } as Record<string, unknown>;
        if (which === 0) i.quantity = q;
        if (which === 1) i.interval = { start, end: base.interval.end };
        if (which === 2) i.biddingClosesAt = closes;
        return { name: 'createServiceRequest', field: 'createServiceRequest', url: () => G, query: `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }`, vars: { i }, bearer: tokens.buyer };
      }),
      fc.constant<Case>({
        name: 'createServiceRequest reversed interval',
        field: 'createServiceRequest',
        url: () => G,
        query: `mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }`,
        vars: { i: { ...requestInput(), interval: { start: new Date(Date.now() + 30 * DAY).toISOString(), end: new Date(Date.now() + 2 * DAY).toISOString() } } },
        bearer: tokens.buyer,
      }),
      badAmount.map<Case>((amount) => ({
        name: 'recordPayment amount',
        field: 'recordPayment',
        url: () => stack.billing.url,
        query: `mutation($i: PaymentInput!) { recordPayment(input: $i) { id } }`,
        vars: { i: { billId: bill, amount, path: 'DIRECT', paymentId: 'fuzz-pay' } },
        bearer: tokens.agent,
      })),
      fc.record({ start: badDate, end: badDate, reversed: fc.boolean() }).map<Case>(({ start, end, reversed }) => ({
        name: 'generateBills period',
        field: 'generateBills',
        url: () => G,
        query: `mutation($p: IntervalInput!) { generateBills(period: $p) { issued } }`,
        vars: { p: reversed ? { start: '2026-11-01T00:00:00Z', end: '2026-10-01T00:00:00Z' } : { start, end } },
        bearer: tokens.agent,
      })),
      fc.record({ from: badDate, to: badDate }).map<Case>((f) => ({
        name: 'rejectedUsage filter dates',
        field: 'rejectedUsage',
        url: () => G,
        query: `query($f: RejectedUsageFilter) { rejectedUsage(filter: $f) { nodes { recordId } } }`,
        vars: { f: f },
        bearer: tokens.agent,
      })),
      fc.record({ from: badDate, to: badDate }).map<Case>((f) => ({
        name: 'bills filter dates',
        field: 'bills',
        url: () => G,
        query: `query($f: BillFilter) { bills(filter: $f) { nodes { id } } }`,
        vars: { f: { issuedFrom: f.from, issuedTo: f.to } },
        bearer: tokens.agent,
      })),
      fc.record({ at: badDate }).map<Case>(({ at }) => ({
        name: 'routeCall at',
        field: 'routeCall',
        url: () => G,
        query: `query($d: String!, $at: DateTime) { routeCall(destination: $d, at: $at) { matchedPrefix } }`,
        vars: { d: '442071234567', at },
        bearer: tokens.buyer,
      })),
      fc.record({ id: fc.oneof(injection, wrongType, nastyString), op: fc.constantFrom('serviceRequest', 'bill', 'selectionRecord', 'bid', 'selection', 'usageFeed'), target: fc.constantFrom('gateway', 'subgraph') }).map<Case>(({ id, op, target }) => {
        const billing = ['bill', 'selectionRecord', 'usageFeed'].includes(op);
        return {
          name: `${op} id`,
          field: op,
          url: () => (target === 'gateway' ? G : billing ? stack.billing.url : stack.moderator.url),
          query: `query($id: ID!) { ${op}(id: $id) { id } }`,
          vars: { id },
          bearer: tokens.admin,
        };
      }),
      fc.record({ key: fc.constantFrom('buyerId', 'carrierId', 'requestId', 'recordId', 'status'), value: fc.oneof(injection, wrongType) }).map<Case>(({ key, value }) => ({
        name: `usageRecords filter ${key}`,
        field: 'usageRecords',
        url: () => stack.billing.url,
        query: `query($f: UsageRecordFilter) { usageRecords(filter: $f) { nodes { id } } }`,
        vars: { f: { [key]: value } },
        bearer: tokens.carrier,
      })),
      fc.record({ id: hostile, coverage: fc.array(hostile, { maxLength: 3 }) }).map<Case>(({ id, coverage }) => ({
        name: 'registerCarrier',
        field: 'registerCarrier',
        url: () => G,
        query: `mutation($i: RegisterCarrierInput!) { registerCarrier(input: $i) { id } }`,
        vars: { i: { id, name: 'Hostile', coverage } },
        bearer: tokens.admin,
      })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const before = await counts();
        const r = await gql(c.url(), c.query, c.vars, c.bearer);
        const v = judge(r, c.field);
        expect({ case: c.name, ok: v.ok, why: v.why }).toEqual({ case: c.name, ok: true, why: v.why });
        if (v.refused) expect({ case: c.name, counts: await counts() }).toEqual({ case: c.name, counts: before });
      }),
      { numRuns: RUNS * 4 },
    );
    await stillServing();
  }, 180_000);

  it('deep, huge and garbled queries are refused before anything runs', async () => {
    const deep = fc.integer({ min: 13, max: 60 }).map((depth) => {
      // serviceRequest > selection > request > selection > … > id: every level is a real field.
      const levels = Array.from({ length: depth - 1 }, (_, i) => (i % 2 === 0 ? 'selection' : 'request'));
      const q = `query($id: ID!) { serviceRequest(id: $id) { ${levels.map((l) => `${l} {`).join(' ')} id ${levels.map(() => '}').join(' ')} } }`;
      return { q, expect: ['QUERY_TOO_DEEP'] };
    });
    const garbled = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '}}}}', 'query { serviceRequest(id: ) }', '{ __typename ', 'mutation { }', '{ a: b: c }')).map((q) => ({ q, expect: null }));
    const wide = fc.integer({ min: 300, max: 2000 }).map((n) => ({ q: `{ ${Array.from({ length: n }, (_, i) => `a${i}: buyers { id name endUsers { id } }`).join(' ')} }`, expect: null }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(deep, garbled, wide), async ({ q, expect: codes }) => {
        const before = await counts();
        const r = await gql(G, q, { id: openRequest }, tokens.admin);
        expect(r.status).toBeLessThan(500);
        expect(r.errors?.length ?? 0).toBeGreaterThan(0);
        const got = r.errors!.map((e) => String(e.extensions?.code));
        expect(got.every((c) => CODED.has(c))).toBe(true);
        if (codes) expect(got).toEqual(codes);
        expect(r.data ?? null).toBeNull();
        expect(await counts()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  }, 120_000);
});
