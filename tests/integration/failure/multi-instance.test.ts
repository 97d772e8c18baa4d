// Issue 22, item 3: one concurrency rule, several instances. Two billing, two moderator and two
// gateway processes (real OS processes from dist/) on ONE database server and one Redis, as the
// README's scale-out section describes:
// - 200 calls reported at once by two sources (the meter's batch through billing 1, the carrier's
//   through billing 2, concurrently, the same calls) are charged once each;
// - 20 concurrent closes of one request, half through each gateway/moderator, make one selection;
// - a bill run started on both billing instances at once issues one set of bills, numbered
//   without gap or duplicate.
// Passes on FerretDB/SQLite (every process shares the one FerretDB of globalSetup) and on
// FerretDB/PostgreSQL (TEST_DB_BACKEND=postgresql).
import mongoose from 'mongoose';
import { Dec, parseBillNumber } from '../../../billing-subgraph/src/domain';
import { registerModels as billingModels } from '../../../billing-subgraph/src/store/models';
import { registerModels as moderatorModels } from '../../../moderator-subgraph/src/store/models';
import { gqlOk, mongoUri, token, uniqueName } from '../../support/harness';
import { GENERATE, INGEST, RECORD_SELECTION, selectionInput } from '../billing/fixtures';
import { bidInput, CLOSE, CREATE_REQUEST, REGISTER_BUYER, REGISTER_CARRIER, requestInput, SUBMIT_BID } from '../e2e/helpers';
import { freePort, startChild, until, type ChildService } from './support/children';

jest.setTimeout(60_000);

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
const CALLS = 200;
const NUMBERS = 50;

/** The same call as the meter and the carrier report it: answer within 2 s, duration within 1 s. */
function report(i: number, source: 'MEASURING_EQUIPMENT' | 'CARRIER') {
  const meter = source === 'MEASURING_EQUIPMENT';
  // A number's calls are 10 minutes apart (NUMBERS calls every 12 s), far beyond the answer tolerance.
  const answer = Date.UTC(2026, 10, 4, 8, 0, 0) + i * 12_000 + (meter ? 0 : ((i % 3) - 1) * 2000);
  const seconds = 30 + (i % 170) + (meter ? 0 : (i % 2 === 0 ? 1 : -1));
  return {
    recordId: `mi-${meter ? 'meter' : 'cdr'}-${i}`,
    source,
    buyerId: 'mi-buyer',
    carrierId: 'mi-carrier',
    intervalStart: new Date(answer).toISOString(),
    intervalEnd: new Date(answer + seconds * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(seconds),
    destination: `+44207946${String(i % NUMBERS).padStart(4, '0')}`,
  };
}

describe('several billing, moderator and gateway instances on one database', () => {
  const prefix = `${uniqueName('multi')}:`;
  const billingDb = uniqueName('t_multi_billing');
  const moderatorDb = uniqueName('t_multi_mod');
  const children: ChildService[] = [];
  let billing: ChildService[];
  let gateways: ChildService[];
  let conns: mongoose.Connection[] = [];
  let bm: ReturnType<typeof billingModels>;
  let mm: ReturnType<typeof moderatorModels>;
  let agent: string;
  let moderatorToken: string;

  beforeAll(async () => {
    const shared = { MONGODB_URI: mongoUri(), REDIS_URL, PUBSUB_PREFIX: prefix };
    const start = async (service: 'billing' | 'moderator' | 'gateway', env: Record<string, string>) => {
      const c = await startChild(service, await freePort(), env, 40_000);
      children.push(c);
      return c;
    };
    billing = await Promise.all([0, 1].map(() => start('billing', { ...shared, BILLING_DB_NAME: billingDb })));
    const moderators = await Promise.all(
      billing.map((b) => start('moderator', { ...shared, MODERATOR_DB_NAME: moderatorDb, BILLING_URL: b.url, SCHEDULER_ENABLED: 'false', OUTBOX_INTERVAL_MS: '50' })),
    );
    gateways = await Promise.all(moderators.map((m, i) => start('gateway', { REDIS_URL, PUBSUB_PREFIX: prefix, MODERATOR_URL: m.url, BILLING_URL: billing[i].url })));
    conns = await Promise.all([billingDb, moderatorDb].map((dbName) => mongoose.createConnection(mongoUri(), { dbName }).asPromise()));
    bm = billingModels(conns[0]);
    mm = moderatorModels(conns[1]);
    agent = await token('BILLING_AGENT', 'agent-1');
    moderatorToken = await token('MODERATOR', 'moderator');
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(children.map((c) => c.stop()));
    for (const c of conns) {
      await c.dropDatabase().catch(() => undefined);
      await c.close();
    }
  }, 30_000);

  it('20 concurrent closes of one request over both moderators make one selection, recorded once by billing', async () => {
    const admin = await token('ADMIN', 'admin-1');
    const buyer = await token('BUYER', 'mi-close-buyer');
    await gqlOk(gateways[0].url, REGISTER_BUYER, { input: { id: 'mi-close-buyer', name: 'Multi Buyer' } }, admin);
    await gqlOk(gateways[1].url, REGISTER_CARRIER, { input: { id: 'mi-close-c1', name: 'Multi Carrier One', coverage: ['49'] } }, admin);
    await gqlOk(gateways[0].url, REGISTER_CARRIER, { input: { id: 'mi-close-c2', name: 'Multi Carrier Two', coverage: ['49'] } }, admin);
    const req = (await gqlOk(gateways[1].url, CREATE_REQUEST, { input: requestInput('4930', '1000') }, buyer)).createServiceRequest;
    await gqlOk(gateways[0].url, SUBMIT_BID, { input: bidInput(req.id, '0.0200', 'EUR') }, await token('CARRIER', 'mi-close-c1'));
    await gqlOk(gateways[1].url, SUBMIT_BID, { input: bidInput(req.id, '0.0150', 'EUR') }, await token('CARRIER', 'mi-close-c2'));

    const closes = await Promise.all(Array.from({ length: 20 }, (_, i) => gqlOk(gateways[i % 2].url, CLOSE, { id: req.id }, buyer)));
    const outcomes = new Set(closes.map((c) => JSON.stringify(c.closeBidding)));
    expect([...outcomes].map((o) => JSON.parse(o))).toEqual([{ id: req.id, status: 'AWARDED', selection: { id: expect.any(String), carrier: { id: 'mi-close-c2', name: 'Multi Carrier Two' } } }]);
    expect(await mm.Selection.countDocuments({ requestId: req.id })).toBe(1);
    const selectionId = closes[0].closeBidding.selection.id;
    expect(await mm.ServiceRequest.findById(req.id).lean()).toMatchObject({ status: 'AWARDED', selectionId });

    // Both outboxes deliver the one selection (to billing 1 and billing 2): billing records it once.
    await until(async () => (await mm.Selection.countDocuments({ requestId: req.id, 'delivery.state': 'DELIVERED' })) === 1, 'selection delivered to billing');
    expect(await bm.Selection.countDocuments({ requestId: req.id })).toBe(1);
  });

  it('200 calls reported by the meter through billing 1 and the carrier through billing 2 at once: one charge per call', async () => {
    await gqlOk(billing[0].url, RECORD_SELECTION, {
      input: selectionInput({ selectionId: 'mi-sel', requestId: 'mi-req', buyerId: 'mi-buyer', carrierId: 'mi-carrier', start: NOV.start, end: NOV.end, routes: [{ origin: 'US', destination: '44' }], incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } }),
    }, moderatorToken);
    const meter = Array.from({ length: CALLS }, (_, i) => report(i, 'MEASURING_EQUIPMENT'));
    const cdrs = Array.from({ length: CALLS }, (_, i) => report(i, 'CARRIER'));
    const [a, b] = await Promise.all([gqlOk(billing[0].url, INGEST, { records: meter }, agent), gqlOk(billing[1].url, INGEST, { records: cdrs }, agent)]);
    expect(a.ingestUsage).toMatchObject({ accepted: CALLS, rejected: [] });
    expect(b.ingestUsage).toMatchObject({ accepted: CALLS, rejected: [] });

    const usage = await bm.Usage.find({ carrierId: 'mi-carrier' }).lean();
    expect(usage).toHaveLength(2 * CALLS);
    const calls = new Map<string, typeof usage>();
    for (const u of usage) calls.set(u.callId ?? u._id, [...(calls.get(u.callId ?? u._id) ?? []), u]);
    expect(calls.size).toBe(CALLS);
    // Each call: both reports, exactly one billable (the meter's: it has precedence), the other evidence.
    for (const [, reports] of calls) {
      expect(reports.map((r) => r.source).sort()).toEqual(['CARRIER', 'MEASURING_EQUIPMENT']);
      expect(reports.filter((r) => r.status === 'RATED').map((r) => r.source)).toEqual(['MEASURING_EQUIPMENT']);
    }
    // The charges: whichever batch went first, every call's net charge is the meter's seconds (a
    // carrier record rated first was reversed when the meter's arrived).
    const { bills } = (await gqlOk(billing[1].url, GENERATE, { period: NOV }, agent)).generateBills;
    const bill = bills.find((x: any) => x.carrier.id === 'mi-carrier');
    const meterSeconds = meter.reduce((s, r) => s.plus(r.quantity), new Dec(0));
    const amount = bill.lines.filter((l: any) => l.kind === 'USAGE').reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0));
    expect(amount.toFixed(6)).toBe(meterSeconds.times('0.01').toFixed(6));
    // No lease outlives its batch.
    expect(await bm.Lease.countDocuments({})).toBe(0);
  });

  it('a bill run started on both billing instances at once issues one set of bills, numbered without gap or duplicate', async () => {
    const DEC = { start: '2026-12-01T00:00:00Z', end: '2027-01-01T00:00:00Z' };
    const buyers = Array.from({ length: 12 }, (_, k) => `mi-run-buyer-${k}`);
    await Promise.all(
      buyers.map((buyerId, k) =>
        gqlOk(billing[k % 2].url, RECORD_SELECTION, { input: selectionInput({ selectionId: `mi-run-sel-${k}`, requestId: `mi-run-req-${k}`, buyerId, carrierId: 'mi-carrier', start: DEC.start, end: DEC.end }) }, moderatorToken),
      ),
    );
    await Promise.all(
      buyers.map((buyerId, k) =>
        gqlOk(billing[(k + 1) % 2].url, INGEST, {
          records: Array.from({ length: 5 }, (_, j) => ({
            recordId: `mi-run-${k}-${j}`,
            source: 'CARRIER',
            buyerId,
            carrierId: 'mi-carrier',
            intervalStart: `2026-12-0${1 + j}T10:00:00Z`,
            intervalEnd: `2026-12-0${1 + j}T10:02:00Z`,
            serviceType: 'VOICE',
            quantity: '120',
            destination: `+4420795${k}${j}000`,
          })),
        }, agent),
      ),
    );
    const runs = await Promise.all(billing.map((b) => gqlOk(b.url, GENERATE, { period: DEC }, agent)));
    const ids = runs.map((r) => r.generateBills.bills.map((x: any) => x.id).sort());
    expect(ids[0]).toHaveLength(buyers.length);
    expect(ids[1]).toEqual(ids[0]);
    // Between them the two runs issued each bill once.
    expect(runs[0].generateBills.issued + runs[1].generateBills.issued).toBe(buyers.length);
    expect(await bm.Bill.countDocuments({ periodStart: new Date(DEC.start), kind: { $ne: 'ADVANCE' } })).toBe(buyers.length);
    // Every record on exactly one bill.
    expect(await bm.BillClaim.countDocuments({ buyerId: { $in: buyers } })).toBe(5 * buyers.length);

    // Every number of the database (this file's bills: ADVANCE and PERIODIC, issued by either
    // instance) once, per series 1..n with no gap.
    const numbered = await bm.Bill.find({ status: { $ne: 'DRAFT' } }).select({ number: 1 }).lean();
    const series = new Map<string, number[]>();
    for (const x of numbered) {
      const p = parseBillNumber(x.number!);
      expect(p).not.toBeNull();
      const key = `${p!.year}-${p!.month}`;
      series.set(key, [...(series.get(key) ?? []), p!.sequence]);
    }
    for (const [, seqs] of series) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
  });
});
