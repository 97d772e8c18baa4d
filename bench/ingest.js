'use strict';
// 1. Usage ingestion: records/s through the gateway's ingestUsage (batches of 1,000, idempotency
// on: every record has a recordId, the unique _id `${source}:${recordId}` guards it) versus the raw
// driver's insertMany of the same usage documents (as the billing store shapes them, into a
// collection with the same indexes) in the same database. Context: the raw rate of writing
// everything billing stores per record (the usage document and its billing record, each into a
// collection with billing's indexes, the billing record in its stored form). Measured twice: one
// reporter sending batch after batch, and BENCH_REPORTERS (default 4) reporters sending at once,
// each against the raw baseline at the same concurrency; the goal is judged on the latter, since
// usage arrives from many meters, LECs and carriers at once. Raw and gateway phases alternate
// batch by batch, so both see the same machine state; the database's CPU time per 1,000 records
// is reported for each.
const { mongo } = require('mongoose');
const { startStack, procCpu } = require('./lib/stack');
const { gqlOk, token, nowMs, scaled, round } = require('./lib/util');
const { toStoredBillingRecord } = require('../billing-subgraph/dist/store/billing-record-format');

const BATCH = 1000;
const CONCURRENT_REPORTERS = Number(process.env.BENCH_REPORTERS ?? '4');
const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index field reason } } }`;
const RECORD_SELECTION = `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`;
const BUYERS = 20;
const CARRIERS = 5;

function selectionInput(i) {
  return {
    selectionId: `bench-sel-${i}`,
    requestId: `bench-req-${i}`,
    buyerId: `bench-buyer-${i}`,
    buyerIsReseller: false,
    carrierId: `bench-carrier-${i % CARRIERS}`,
    routes: [{ origin: '1', destination: '44' }],
    serviceType: 'VOICE',
    interval: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' },
    quantity: '100000',
    unit: 'MINUTE',
    incentive: { currency: 'USD', ratePerUnit: '0.010000', tierModel: 'GRADUATED', tiers: [{ fromQuantity: '50000', ratePerUnit: '0.008000' }] },
    selectedAt: '2026-09-20T12:00:00Z',
  };
}

const T0 = Date.parse('2026-10-02T00:00:00Z');
/** One API record; n is global so recordIds never repeat. */
function apiRecord(n, run) {
  const b = n % BUYERS;
  const start = T0 + ((n * 7919) % (25 * 86_400)) * 1000;
  const secs = 1 + ((n * 104729) % 900);
  return {
    recordId: `${run}-${n}`,
    source: 'MEASURING_EQUIPMENT',
    equipmentId: 'bench-meter-1',
    buyerId: `bench-buyer-${b}`,
    carrierId: `bench-carrier-${b % CARRIERS}`,
    intervalStart: new Date(start).toISOString(),
    intervalEnd: new Date(start + secs * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(secs),
    destination: `44${String(200000000 + ((n * 31337) % 799999999))}`,
  };
}

/** The billing record rating stores for a usage document (rating.ts, in its stored form), for the raw baseline. */
function billingRecordDoc(u) {
  const minutes = Math.ceil(Number(u.quantity) / 60);
  const amount = (minutes / 100).toFixed(6);
  return toStoredBillingRecord({
    _id: u._id,
    requestId: u.requestId,
    selectionId: u.selectionId,
    buyerId: u.buyerId,
    carrierId: u.carrierId,
    period: '2026-10',
    intervalStart: u.intervalStart,
    serviceType: 'VOICE',
    unit: 'MINUTE',
    billableQuantity: String(minutes),
    billableBaseQuantity: String(minutes * 60),
    cumulativeBefore: '123456',
    segments: [{ tierIndex: 0, fromQuantity: '0', ratePerUnit: '0.010000', quantity: String(minutes), baseQuantity: String(minutes * 60), amount }],
    amount,
    currency: 'USD',
    ratedAt: u.receivedAt,
  });
}

/** The document billing stores for an API record (usage.ts), for the raw baseline. */
function usageDoc(r, batchId, now) {
  const b = Number(r.buyerId.slice('bench-buyer-'.length));
  return {
    _id: `${r.source}:${r.recordId}`,
    recordId: r.recordId,
    source: r.source,
    buyerId: r.buyerId,
    carrierId: r.carrierId,
    intervalStart: new Date(r.intervalStart),
    intervalEnd: new Date(r.intervalEnd),
    serviceType: r.serviceType,
    quantity: r.quantity,
    status: 'RATED',
    reportedBy: 'BILLING_AGENT:bench-agent',
    batchId,
    receivedAt: now,
    requestId: `bench-req-${b}`,
    selectionId: `bench-sel-${b}`,
    equipmentId: r.equipmentId,
    destination: r.destination,
  };
}

async function run(ctx) {
  const batches = scaled(60, 5);
  const warmup = 3;
  const stack = await startStack({ mongoUri: ctx.db.uri });
  const client = new mongo.MongoClient(ctx.db.uri);
  await client.connect();
  try {
    const moderatorToken = await token('MODERATOR', 'moderator');
    for (let i = 0; i < BUYERS; i++) await gqlOk(stack.billing.url, RECORD_SELECTION, { input: selectionInput(i) }, moderatorToken);
    const agent = await token('BILLING_AGENT', 'bench-agent');

    // Raw baselines: the same usage documents into collections of the same database, one with
    // exactly the indexes billing declares on usage_records, one with only _id.
    const rawDb = client.db(`${stack.billingDb}_raw`);
    const indexedLike = async (name, source) => {
      await rawDb.createCollection(name);
      const coll = rawDb.collection(name);
      const indexes = (await client.db(stack.billingDb).collection(source).listIndexes().toArray()).filter((ix) => ix.name !== '_id_');
      for (const ix of indexes) await coll.createIndex(ix.key, { name: ix.name, unique: !!ix.unique });
      return { coll, indexes: indexes.length };
    };
    const { coll: indexed, indexes: usageIndexCount } = await indexedLike('usage_indexed', 'usage_records');
    const { coll: both } = await indexedLike('usage_both', 'usage_records');
    const { coll: bothRecords, indexes: recordIndexCount } = await indexedLike('billing_records_both', 'billing_records');

    let n = 0;
    // One timed phase: `conc` clients each send one batch of 1,000 at the same time, as that many
    // reporters (meters, LECs, carriers) do. Each kind of write gets its own phase, one after the
    // other, so raw and gateway see the same machine state; the database's CPU time is measured
    // per phase, and the services' for the gateway path.
    const cpu = { dbGateway: 0, dbIndexed: 0, gateway: 0, billing: 0 };
    const dbCpu = () => (ctx.db.pid ? procCpu(ctx.db.pid) : 0);
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let lastBatch = null;
    const measure = async (conc, batches, counted) => {
      const t = { gateway: 0, indexed: 0, both: 0 };
      const rounds = Math.ceil(batches / conc);
      for (let i = 0; i < rounds; i++) {
        const sets = Array.from({ length: conc }, () => Array.from({ length: BATCH }, () => apiRecord(n++, 'g')));
        const now = new Date();
        const timed = async (fn) => {
          const s = nowMs();
          await Promise.all(sets.map(fn));
          return nowMs() - s;
        };
        let c = dbCpu();
        const dIndexed = await timed((records, j) => indexed.insertMany(records.map((r) => usageDoc(r, `raw_${i}_${j}`, now)), { ordered: false }));
        const cIndexed = dbCpu() - c;
        const dBoth = await timed(async (records, j) => {
          const docs = records.map((r) => usageDoc(r, `raw_${i}_${j}`, now));
          await both.insertMany(docs, { ordered: false });
          await bothRecords.insertMany(docs.map(billingRecordDoc), { ordered: false });
        });
        c = dbCpu();
        const c0 = { gateway: procCpu(stack.gateway.pid), billing: procCpu(stack.billing.pid) };
        const outs = [];
        const dGateway = await timed(async (records) => outs.push((await gqlOk(stack.gateway.url, INGEST, { records }, agent)).ingestUsage));
        const cGateway = dbCpu() - c;
        lastBatch = sets[0];
        if (!counted) continue;
        cpu.dbGateway += cGateway;
        cpu.dbIndexed += cIndexed;
        cpu.gateway += procCpu(stack.gateway.pid) - c0.gateway;
        cpu.billing += procCpu(stack.billing.pid) - c0.billing;
        t.gateway += dGateway;
        t.indexed += dIndexed;
        t.both += dBoth;
        for (const out of outs) {
          accepted += out.accepted;
          duplicates += out.duplicates;
          rejected += out.rejected.length;
        }
      }
      const records = rounds * conc * BATCH;
      const rate = (ms) => records / (ms / 1000);
      return { clients: conc, records, gateway: rate(t.gateway), indexed: rate(t.indexed), both: rate(t.both) };
    };
    await measure(1, warmup, false);
    const serial = await measure(1, batches, true);
    const concurrent = await measure(CONCURRENT_REPORTERS, batches, true);
    // Idempotency check (not timed): the last batch again must be all duplicates, and the billing
    // records must be exactly one per accepted record.
    const again = (await gqlOk(stack.gateway.url, INGEST, { records: lastBatch }, agent)).ingestUsage;
    const billingRecords = await client.db(stack.billingDb).collection('billing_records').countDocuments();
    const usageCount = await client.db(stack.billingDb).collection('usage_records').countDocuments();
    const total = serial.records + concurrent.records;
    const figure = (m) => ({
      clients: m.clients,
      records: m.records,
      gatewayRecordsPerSec: round(m.gateway, 0),
      rawIndexedRecordsPerSec: round(m.indexed, 0),
      ratioVsRaw: round(m.gateway / m.indexed, 3),
      rawUsageAndBillingRecordPerSec: round(m.both, 0),
      ratioVsRawUsageAndBillingRecord: round(m.gateway / m.both, 3),
    });
    return {
      batchSize: BATCH,
      warmupBatches: warmup,
      // Judged with several reporters at once (how usage arrives); one reporter alone is context.
      ...figure(concurrent),
      serial: figure(serial),
      usageIndexes: usageIndexCount,
      billingRecordIndexes: recordIndexCount,
      cpuMsPer1000Records: {
        databaseForGatewayPath: round((cpu.dbGateway * 1e6) / total, 0),
        databaseForRawIndexed: round((cpu.dbIndexed * 1e6) / total, 0),
        gatewayProcess: round((cpu.gateway * 1e6) / total, 0),
        billingProcess: round((cpu.billing * 1e6) / total, 0),
      },
      accepted,
      duplicatesInTimedRun: duplicates,
      rejectedInTimedRun: rejected,
      resend: { accepted: again.accepted, duplicates: again.duplicates },
      storedUsage: usageCount,
      storedBillingRecords: billingRecords,
      goals: { ratio: 0.5, recordsPerSec: 10_000 },
      met: concurrent.gateway / concurrent.indexed >= 0.5 && concurrent.gateway >= 10_000,
    };
  } finally {
    await client.close();
    await stack.stop();
  }
}

module.exports = { run, apiRecord, usageDoc, selectionInput };
