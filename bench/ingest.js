'use strict';
// 1. Usage ingestion: records/s through the gateway's ingestUsage (batches of 1,000, idempotency
// on: every record has a recordId, the unique _id `${source}:${recordId}` guards it) versus the raw
// driver's insertMany of the same usage documents (as the billing store shapes them, into a
// collection with the same indexes) in the same database. Context: the raw rate of writing
// everything billing stores per record (the usage document and its billing record, each into a
// collection with billing's indexes). Raw and gateway batches alternate, so both see the same
// machine state; the database's CPU time per 1,000 records is reported for each.
const { mongo } = require('mongoose');
const { startStack, procCpu } = require('./lib/stack');
const { gqlOk, token, nowMs, scaled, round } = require('./lib/util');

const BATCH = 1000;
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

/** The billing record rating stores for a usage document (rating.ts), for the raw baseline. */
function billingRecordDoc(u) {
  const minutes = Math.ceil(Number(u.quantity) / 60);
  const amount = (minutes / 100).toFixed(6);
  return {
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
  };
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
    const { coll: both, indexes: recordIndexCount } = await indexedLike('usage_both', 'usage_records');
    const { coll: bothRecords } = await indexedLike('billing_records_both', 'billing_records');

    let n = 0;
    const t = { gateway: 0, indexed: 0, both: 0 };
    // CPU seconds of the database during each kind of write, and of the services for the gateway path.
    const cpu = { dbGateway: 0, dbIndexed: 0, gateway: 0, billing: 0 };
    const dbCpu = () => (ctx.db.pid ? procCpu(ctx.db.pid) : 0);
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let lastBatch = null;
    for (let i = 0; i < warmup + batches; i++) {
      const records = Array.from({ length: BATCH }, () => apiRecord(n++, 'g'));
      const now = new Date();
      const docs = records.map((r) => usageDoc(r, `raw_${i}`, now));
      const docs2 = records.map((r) => usageDoc(r, `raw_${i}`, now));
      const brs = docs2.map(billingRecordDoc);
      let c = dbCpu();
      let s = nowMs();
      await indexed.insertMany(docs, { ordered: false });
      const dIndexed = nowMs() - s;
      const cIndexed = dbCpu() - c;
      s = nowMs();
      await both.insertMany(docs2, { ordered: false });
      await bothRecords.insertMany(brs, { ordered: false });
      const dBoth = nowMs() - s;
      c = dbCpu();
      const c0 = { gateway: procCpu(stack.gateway.pid), billing: procCpu(stack.billing.pid) };
      s = nowMs();
      const out = (await gqlOk(stack.gateway.url, INGEST, { records }, agent)).ingestUsage;
      const dGateway = nowMs() - s;
      const cGateway = dbCpu() - c;
      if (i >= warmup) {
        cpu.dbGateway += cGateway;
        cpu.dbIndexed += cIndexed;
        cpu.gateway += procCpu(stack.gateway.pid) - c0.gateway;
        cpu.billing += procCpu(stack.billing.pid) - c0.billing;
        t.gateway += dGateway;
        t.indexed += dIndexed;
        t.both += dBoth;
        accepted += out.accepted;
        duplicates += out.duplicates;
        rejected += out.rejected.length;
      }
      lastBatch = records;
    }
    // Idempotency check (not timed): the last batch again must be all duplicates, and the billing
    // records must be exactly one per accepted record.
    const again = (await gqlOk(stack.gateway.url, INGEST, { records: lastBatch }, agent)).ingestUsage;
    const billingRecords = await client.db(stack.billingDb).collection('billing_records').countDocuments();
    const usageCount = await client.db(stack.billingDb).collection('usage_records').countDocuments();
    const total = batches * BATCH;
    const rate = (ms) => total / (ms / 1000);
    const gatewayRate = rate(t.gateway);
    const rawRate = rate(t.indexed);
    return {
      records: total,
      batchSize: BATCH,
      warmupBatches: warmup,
      gatewayRecordsPerSec: round(gatewayRate, 0),
      rawIndexedRecordsPerSec: round(rawRate, 0),
      ratioVsRaw: round(gatewayRate / rawRate, 3),
      usageIndexes: usageIndexCount,
      rawUsageAndBillingRecordPerSec: round(rate(t.both), 0),
      ratioVsRawUsageAndBillingRecord: round(gatewayRate / rate(t.both), 3),
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
      met: gatewayRate / rawRate >= 0.5 && gatewayRate >= 10_000,
    };
  } finally {
    await client.close();
    await stack.stop();
  }
}

module.exports = { run, apiRecord, usageDoc, selectionInput };
