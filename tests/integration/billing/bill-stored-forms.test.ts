// Issue 22 item 2: bills hold `selectionAmounts` and `periodRates` as sub-documents. A database
// from before (the '|'-joined strings) is brought forward once when billing starts (migration
// 0001), after which its bills read, price their call detail and bill late usage exactly as bills
// stored in the new form do.
import mongoose from 'mongoose';
import { StartupError } from '../../../platform/src';
import { gqlOk, mongoUri, startBilling, token, uniqueName } from '../../support/harness';
import { agentToken, BILL_FIELDS, GENERATE, ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';

const MIGRATION = '0001-bill-sub-documents';
const incentive = { currency: 'USD', ratePerUnit: '0.10', tierModel: 'VOLUME', tiers: [{ fromQuantity: '10', ratePerUnit: '0.05' }] };
const READ = `query($id: ID!) { bill(id: $id) { ${BILL_FIELDS.replace(/documentUrls \{[^}]*\}/, '')} netAmount { amount } destinationSummary { prefix calls minutes amount { amount } } } }`;

describe('bills stored in the old string forms are brought forward at start', () => {
  let b: Billing;
  let dbName: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dbName = b.dbName;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  const calls = (who: string, day: number, minutes: number[]) =>
    minutes.map((m, i) => voice({ recordId: `${who}-${day}-${i}`, seconds: m * 60, buyerId: `${who}-buyer`, carrierId: 'sf-carrier', requestId: `${who}-req`, start: `2026-10-${String(day + i).padStart(2, '0')}T10:00:00Z` }));
  const billsOf = (who: string) => b.models.Bill.find({ buyerId: `${who}-buyer` }).sort({ sequence: 1, kind: 1 }).lean();
  const read = async (id: string) => (await gqlOk(b.url, READ, { id }, await agentToken())).bill;
  const callsCsv = async (id: string, who: string) =>
    (await fetch(`${b.url.replace(/\/graphql$/, '')}/bills/${id}.calls.csv`, { headers: { authorization: `Bearer ${await token('BUYER', `${who}-buyer`)}` } })).text();
  /** What a bill charged, without the names that differ between the two buyers. */
  const charged = (bill: any) => ({ kind: bill.kind, total: bill.total, lines: bill.lines.map((l: any) => [l.kind, l.quantity, l.unit, l.ratePerUnit, l.tierIndex, l.amount]) });

  it('migrates an old-form database once, and its bills read and bill late usage identically', async () => {
    for (const who of ['old', 'new']) {
      await recordSelection(b, { selectionId: `${who}-sel`, requestId: `${who}-req`, buyerId: `${who}-buyer`, carrierId: 'sf-carrier', quantity: '5', incentive });
      await ingestOk(b, calls(who, 3, [6, 4, 3]));
    }
    await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken());
    const before = await billsOf('old');
    expect(before.map((x) => x.kind)).toEqual(['ADVANCE', 'PERIODIC']);
    const periodic = before[1];
    expect(periodic.periodRates).toEqual([{ selectionId: 'old-sel', unit: 'MINUTE', ratePerUnit: '0.05' }]);
    expect(periodic.selectionAmounts).toEqual([{ selectionId: 'old-sel', usage: '0.650000', credit: expect.any(String) }]);
    const readBefore = await Promise.all(before.map((x) => read(x._id)));
    const csvBefore = await callsCsv(periodic._id, 'old');
    expect(csvBefore.trim().split('\r\n').slice(1).map((l) => l.split(',').slice(-4).join(','))).toEqual(['6,MINUTE,0.05,0.300000', '4,MINUTE,0.05,0.200000', '3,MINUTE,0.05,0.150000']);

    // The old buyer's bills as a database from before holds them, and no record of the migration.
    const raw = b.conn.collection('bills');
    for (const x of before) {
      await raw.updateOne({ _id: x._id as never }, {
        $set: {
          selectionAmounts: x.selectionAmounts!.map((a) => `${a.selectionId}|${a.usage}|${a.credit}`),
          ...(x.periodRates ? { periodRates: x.periodRates.map((r) => `${r.selectionId}|${r.unit}|${r.ratePerUnit}`) } : {}),
        },
      });
    }
    expect((await raw.findOne({ _id: periodic._id as never }))!.periodRates).toEqual(['old-sel|MINUTE|0.05']);
    await b.conn.collection('migrations').deleteOne({ _id: MIGRATION as never });

    await b.stop();
    b = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: dbName });
    expect(await b.conn.collection('migrations').findOne({ _id: MIGRATION as never })).toMatchObject({ state: 'done' });
    expect(await billsOf('old')).toEqual(before);
    expect(await Promise.all(before.map((x) => read(x._id)))).toEqual(readBefore);
    expect(await callsCsv(periodic._id, 'old')).toBe(csvBefore);

    // Late usage for the billed period: the adjustment reads what the earlier bills charged and credited.
    for (const who of ['old', 'new']) await ingestOk(b, calls(`${who}-late`, 20, [2]).map((c: any) => ({ ...c, buyerId: `${who}-buyer`, requestId: `${who}-req` })));
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills;
    const adjustment = (who: string) => run.bills.find((x: any) => x.buyer.id === `${who}-buyer` && x.kind === 'ADJUSTMENT');
    expect(adjustment('old')).toBeDefined();
    expect(charged(adjustment('old'))).toEqual(charged(adjustment('new')));
  });

  it('a bill whose old form cannot be read stops the start naming the migration and the value, and records nothing', async () => {
    await b.conn.collection('bills').insertOne({ _id: 'sf-broken' as never, selectionAmounts: ['no-separators'], issuedAt: new Date() });
    await b.conn.collection('migrations').deleteOne({ _id: MIGRATION as never });
    await b.stop();
    const err = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: dbName }).catch((e) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toContain(`migration ${MIGRATION}`);
    expect(err.message).toContain('bill selection amount "no-separators" is not <selection>|<usage>|<credit>');
    const conn = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
    expect(await conn.collection('migrations').countDocuments({ _id: MIGRATION as never })).toBe(0);
    await conn.collection('bills').deleteOne({ _id: 'sf-broken' as never });
    await conn.close();
    b = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: dbName });
    expect(await b.conn.collection('migrations').countDocuments({ _id: MIGRATION as never, state: 'done' })).toBe(1);
  });
});

describe('payments stored before ids were scoped get their paymentId (migration 0002)', () => {
  let b: Billing;
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('a payment with its payer id as _id and no paymentId is found, with its ledger entries, by that id after start', async () => {
    const dbName = uniqueName('t_billing');
    const conn = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
    // As an older version stored it: the payer's id is the _id, and the ledger names it unscoped.
    await conn.collection('payments').insertOne({
      _id: 'old-pay-1' as never, billId: 'old-bill', buyerId: 'op-buyer', carrierId: 'op-carrier', amount: '12.50', currency: 'USD', path: 'DIRECT', reference: null, recordedBy: 'BUYER:op-buyer', receivedAt: new Date('2026-09-01T00:00:00Z'),
    });
    await conn.collection('ledger_entries').insertMany([
      { _id: 'old-l-1' as never, event: 'PAYMENT', account: 'buyer:op-buyer:receivable', amount: '-12.50', currency: 'USD', billId: 'old-bill', paymentId: 'old-pay-1', description: 'payment', postedAt: new Date('2026-09-01T00:00:00Z') },
      { _id: 'old-l-2' as never, event: 'PAYMENT', account: 'carrier:op-carrier:cash', amount: '12.50', currency: 'USD', billId: 'old-bill', paymentId: 'old-pay-1', description: 'payment', postedAt: new Date('2026-09-01T00:00:00Z') },
    ]);
    await conn.close();
    b = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: dbName });
    expect(await b.conn.collection('payments').findOne({ _id: 'old-pay-1' as never })).toMatchObject({ paymentId: 'old-pay-1' });
    const q = `{ _entities(representations: [{ __typename: "Payment", id: "old-pay-1" }]) { ... on Payment { id billId amount { amount currency } ledgerEntries { account amount } } } }`;
    expect((await gqlOk(b.url, q, {}, await token('BUYER', 'op-buyer')))._entities).toEqual([
      { id: 'old-pay-1', billId: 'old-bill', amount: { amount: '12.50', currency: 'USD' }, ledgerEntries: [{ account: 'buyer:op-buyer:receivable', amount: '-12.50' }, { account: 'carrier:op-carrier:cash', amount: '12.50' }] },
    ]);
    // Another buyer does not see it.
    expect((await gqlOk(b.url, q, {}, await token('BUYER', 'someone-else')))._entities).toEqual([null]);
  });
});

describe("PERCENTILE_95 samples stored as '|'-joined strings become sub-documents (migration 0003)", () => {
  const SAMPLES = '0003-slot-sample-sub-documents';
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  // 100 minutes of service: twenty 5-minute slots.
  const T0 = Date.parse('2026-10-05T00:00:00Z');
  const dataRecord = (who: string, id: string, samples: { slot: number; offsetMs: number; mbps: string }[]) => {
    const start = new Date(T0 + samples[0].slot * 300_000);
    return {
      recordId: `${who}-${id}`, source: 'MODERATOR', buyerId: `${who}-buyer`, carrierId: 'ss-carrier', requestId: `${who}-req`, serviceType: 'DATA', quantity: '1000000',
      intervalStart: start.toISOString(), intervalEnd: new Date(start.getTime() + 300_000).toISOString(),
      volumeSamples: samples.map((s) => ({ at: new Date(T0 + s.slot * 300_000 + s.offsetMs).toISOString(), mbps: s.mbps })),
    };
  };
  const asString = (s: { at: Date; mbps: string; meter: string }) => `${s.at.getTime()}|${s.mbps}|${s.meter}`;
  const stored = async (who: string) => ({
    records: await b.conn.collection('billing_records').find({ buyerId: `${who}-buyer` }).sort({ _id: 1 }).toArray(),
    claims: await b.conn.collection('bill_claims').find({ buyerId: `${who}-buyer` }).sort({ _id: 1 }).toArray(),
  });
  const charged = (bill: any) => ({ kind: bill.kind, total: bill.total, lines: bill.lines.map((l: any) => [l.kind, l.quantity, l.unit, l.ratePerUnit, l.tierIndex, l.amount, l.description]) });

  it('a billing record and a bill claim with string samples, written raw, are converted at start and bill as the new form does', async () => {
    for (const who of ['old', 'new']) {
      await recordSelection(b, {
        selectionId: `${who}-sel`, requestId: `${who}-req`, buyerId: `${who}-buyer`, carrierId: 'ss-carrier', serviceType: 'DATA', unit: 'MBPS', quantity: '10',
        start: new Date(T0).toISOString(), end: new Date(T0 + 100 * 60_000).toISOString(), incentive: { currency: 'USD', ratePerUnit: '2', dataChargeModel: 'PERCENTILE_95' },
      });
      // slots at 1..20 Mbps: 19 Mbps billed
      await ingestOk(b, Array.from({ length: 20 }, (_, i) => dataRecord(who, `s${i}`, [{ slot: i, offsetMs: 60_000, mbps: String(i + 1) }])));
    }
    const periodic = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills.bills.filter((x: any) => x.kind === 'PERIODIC');
    const ofBuyer = (list: any[], who: string) => list.find((x: any) => x.buyer.id === `${who}-buyer`);
    expect(ofBuyer(periodic, 'old').lines[0]).toMatchObject({ unit: 'MBPS_P95', quantity: '19', amount: '38.000000' });
    // Late samples, not yet on a bill: slot 5 reported again at 50 and 49 Mbps (counted once, at 50).
    for (const who of ['old', 'new']) await ingestOk(b, [dataRecord(who, 'late', [{ slot: 5, offsetMs: 0, mbps: '50' }, { slot: 5, offsetMs: 120_000, mbps: '49.5' }])]);

    const before = await stored('old');
    expect(before.claims).toHaveLength(20);
    expect(before.records).toHaveLength(21);
    const late = before.records.find((r) => r.slotSamples.length === 2)!;
    expect(late.slotSamples).toEqual([
      { at: new Date(T0 + 5 * 300_000), mbps: '50', meter: expect.any(String) },
      { at: new Date(T0 + 5 * 300_000 + 120_000), mbps: '49.5', meter: late.slotSamples[0].meter },
    ]);
    // The old buyer's records and claims as a database from before holds them (the late record
    // half converted: only its string element is brought forward), and no record of the migration.
    for (const [name, docs] of [['billing_records', before.records], ['bill_claims', before.claims]] as const) {
      for (const d of docs) {
        const samples = d._id === late._id ? [asString(d.slotSamples[0]), d.slotSamples[1]] : d.slotSamples.map(asString);
        await b.conn.collection(name).updateOne({ _id: d._id }, { $set: { slotSamples: samples } });
      }
    }
    const claim = before.claims.find((c) => c.slotSamples[0].mbps === '4')!;
    expect((await b.conn.collection('bill_claims').findOne({ _id: claim._id }))!.slotSamples).toEqual([`${T0 + 3 * 300_000 + 60_000}|4|${late.slotSamples[0].meter}`]);
    expect((await b.conn.collection('billing_records').findOne({ _id: late._id }))!.slotSamples).toEqual([`${T0 + 5 * 300_000}|50|${late.slotSamples[0].meter}`, late.slotSamples[1]]);
    await b.conn.collection('migrations').deleteOne({ _id: SAMPLES as never });

    const dbName = b.dbName;
    await b.stop();
    b = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: dbName });
    expect(await b.conn.collection('migrations').findOne({ _id: SAMPLES as never })).toMatchObject({ state: 'done' });
    expect(await stored('old')).toEqual(before);

    // The adjustment reads the earlier bill's claims and the late record: both as the new form bills them.
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills.bills.filter((x: any) => x.kind === 'ADJUSTMENT');
    expect(charged(ofBuyer(run, 'old'))).toEqual(charged(ofBuyer(run, 'new')));
    // slot 5 now 50: p95 = 20 Mbps = 40.00, 2.00 more than billed
    expect(ofBuyer(run, 'old').lines.map((l: any) => [l.kind, l.amount])).toEqual([['USAGE', '2.000000']]);
  });
});
