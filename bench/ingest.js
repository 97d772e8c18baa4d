'use strict';
// 1. Usage ingestion: records/s through the gateway's ingestUsage (batches of 1,000, idempotency
// on: every record has a recordId, the unique _id `${source}:${recordId}…` guards it, mediation on
// as in production) versus the raw driver's insertMany of the same usage documents (as the billing
// store shapes them, into a collection with the same indexes) in the same database. The traffic is
// what users send: reporters of four kinds, each with its own credential and source — the meter
// (METER, MEASURING_EQUIPMENT), the local exchange carrier (LEC), the carriers (CARRIER, each only
// its own traffic) and the billing agent's CDR import — and a share of every batch
// (BENCH_CROSS_REPORTED, default 0.1) are calls another source already reported (answer 2 s
// later, 1 s longer, as two meters of one call disagree), so mediation corroborates them or, when
// the later source ranks higher, supersedes the stored charge. Context: the raw rate of writing
// everything billing stores per record (the usage document and its billing record, each into a
// collection with billing's indexes, the billing record in its stored form). Measured twice: one
// reporter sending batch after batch, and BENCH_REPORTERS (default 4) reporters sending at once,
// each against the raw baseline at the same concurrency; the goal is judged on the latter, since
// usage arrives from many meters, LECs and carriers at once. Raw and gateway phases alternate
// batch by batch, so both see the same machine state; the database's CPU time per 1,000 records
// is reported for each. After the timed runs, every call must be charged exactly once.
const { mongo } = require('mongoose');
const { startStack, procCpu } = require('./lib/stack');
const { gqlOk, token, nowMs, scaled, round } = require('./lib/util');
const { toStoredBillingRecord } = require('../billing-subgraph/dist/store/billing-record-format');

const BATCH = 1000;
const CONCURRENT_REPORTERS = Number(process.env.BENCH_REPORTERS ?? '4');
const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index field reason } } }`;
const REGISTER_REPORTER = `mutation($input: UsageReporterInput!) { registerUsageReporter(input: $input) { id } }`;
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
const CROSS_REPORTED = Number(process.env.BENCH_CROSS_REPORTED ?? '0.1');

/**
 * The reporters, in the order their batches go out. `carrier` set: a carrier credential, whose
 * records are all its own traffic. Tokens are filled in by run().
 */
const REPORTERS = [
  { tag: 'm', role: 'METER', sub: 'bench-meter', source: 'MEASURING_EQUIPMENT', equipmentId: 'bench-meter-1' },
  { tag: 'l', role: 'LEC', sub: 'bench-lec', source: 'LOCAL_EXCHANGE_CARRIER' },
  ...Array.from({ length: CARRIERS }, (_, k) => ({ tag: `c${k}`, role: 'CARRIER', sub: `bench-carrier-${k}`, source: 'CARRIER', carrier: k })),
  { tag: 'a', role: 'BILLING_AGENT', sub: 'bench-agent', source: 'MEASURING_EQUIPMENT', equipmentId: 'bench-switch-2' },
];

/** Call n: buyer (of carrier k when given), called number, answer time, seconds. */
function call(n, k) {
  const b = k === undefined ? n % BUYERS : k + CARRIERS * (n % (BUYERS / CARRIERS));
  return {
    n,
    b,
    start: T0 + ((n * 7919) % (25 * 86_400)) * 1000,
    secs: 1 + ((n * 104729) % 900),
    destination: `44${String(200000000 + ((n * 31337) % 799999999))}`,
  };
}

/** One API record of call `c` as reporter `rep` sends it; a second report of a call is answered 2 s later and lasts 1 s longer. */
function apiRecord(c, rep, run, second = false) {
  const start = c.start + (second ? 2000 : 0);
  const secs = c.secs + (second ? 1 : 0);
  return {
    recordId: `${run}-${c.n}-${rep.tag}`,
    source: rep.source,
    ...(rep.equipmentId ? { equipmentId: rep.equipmentId } : {}),
    buyerId: `bench-buyer-${c.b}`,
    carrierId: `bench-carrier-${c.b % CARRIERS}`,
    intervalStart: new Date(start).toISOString(),
    intervalEnd: new Date(start + secs * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(secs),
    destination: c.destination,
  };
}

/**
 * The calls' generator: each batch is mostly new calls, plus CROSS_REPORTED of calls that earlier
 * rounds' batches reported and no reporter of this batch's source has (of the batch's carrier, for
 * a carrier), so no record is ever sent twice. Within a round each earlier call is re-reported by
 * one batch at most: a third source reporting a call at the very moment a second one does is rare,
 * and batches sharing a called number take turns (call-locks.ts), which the tests cover.
 */
function traffic(run) {
  let n = 0;
  let reported = []; // calls of earlier rounds: { c, sources }
  let thisRound = [];
  let round = 0;
  return {
    batch(rep) {
      const again = reported.filter((x) => x.round !== round && !x.sources.has(rep.source) && (rep.carrier === undefined || x.c.b % CARRIERS === rep.carrier));
      const cross = Math.min(again.length, Math.round(BATCH * CROSS_REPORTED));
      const records = [];
      // Spread over the earlier calls, so the re-reports are of distinct calls.
      for (let i = 0; i < cross; i++) {
        const x = again[Math.floor((i * again.length) / cross)];
        x.sources.add(rep.source);
        x.round = round;
        records.push(apiRecord(x.c, rep, run, true));
      }
      while (records.length < BATCH) {
        const c = call(n++, rep.carrier);
        thisRound.push({ c, sources: new Set([rep.source]) });
        records.push(apiRecord(c, rep, run));
      }
      return records;
    },
    /** The round's calls become re-reportable (stored by then); only the latest rounds' are kept. */
    endRound() {
      reported = thisRound.concat(reported).slice(0, 20 * BATCH);
      thisRound = [];
      round++;
    },
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
function usageDoc(r, batchId, now, rep = REPORTERS[REPORTERS.length - 1]) {
  const b = Number(r.buyerId.slice('bench-buyer-'.length));
  const tenant = rep.role === 'BILLING_AGENT' ? '' : `|${rep.role}:${rep.sub}`;
  return {
    _id: `${r.source}:${r.recordId}${tenant}${r.equipmentId !== undefined ? `|eq:${r.equipmentId}` : ''}`,
    recordId: r.recordId,
    source: r.source,
    buyerId: r.buyerId,
    carrierId: r.carrierId,
    intervalStart: new Date(r.intervalStart),
    intervalEnd: new Date(r.intervalEnd),
    serviceType: r.serviceType,
    quantity: r.quantity,
    status: 'RATED',
    reportedBy: `${rep.role}:${rep.sub}`,
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
  // A round of BENCH_REPORTERS batches of 1,000 can take the database longer than the gateway's
  // 10 s default for one subgraph call on a loaded 2-core machine: the benchmark measures
  // throughput, so it waits for every batch rather than failing the run.
  const stack = await startStack({ mongoUri: ctx.db.uri, gatewayEnv: { SUBGRAPH_TIMEOUT_MS: '120000' } });
  const client = new mongo.MongoClient(ctx.db.uri);
  await client.connect();
  try {
    const moderatorToken = await token('MODERATOR', 'moderator');
    for (let i = 0; i < BUYERS; i++) await gqlOk(stack.billing.url, RECORD_SELECTION, { input: selectionInput(i) }, moderatorToken);
    const agent = await token('BILLING_AGENT', 'bench-agent');
    const allBuyers = Array.from({ length: BUYERS }, (_, b) => `bench-buyer-${b}`);
    for (const rep of REPORTERS) {
      if (rep.role === 'METER' || rep.role === 'LEC') await gqlOk(stack.billing.url, REGISTER_REPORTER, { input: { id: rep.sub, kind: rep.role, buyerIds: allBuyers } }, agent);
      rep.token = rep.role === 'BILLING_AGENT' ? agent : await token(rep.role, rep.sub);
    }

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

    const gen = traffic('g');
    let turn = 0; // which reporter sends the next batch
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
        const reps = Array.from({ length: conc }, () => REPORTERS[turn++ % REPORTERS.length]);
        const sets = reps.map((rep) => gen.batch(rep));
        gen.endRound();
        const now = new Date();
        const timed = async (fn) => {
          const s = nowMs();
          await Promise.all(sets.map(fn));
          return nowMs() - s;
        };
        let c = dbCpu();
        const dIndexed = await timed((records, j) => indexed.insertMany(records.map((r) => usageDoc(r, `raw_${i}_${j}`, now, reps[j])), { ordered: false }));
        const cIndexed = dbCpu() - c;
        const dBoth = await timed(async (records, j) => {
          const docs = records.map((r) => usageDoc(r, `raw_${i}_${j}`, now, reps[j]));
          await both.insertMany(docs, { ordered: false });
          await bothRecords.insertMany(docs.map(billingRecordDoc), { ordered: false });
        });
        c = dbCpu();
        const c0 = { gateway: procCpu(stack.gateway.pid), billing: procCpu(stack.billing.pid) };
        const outs = [];
        const dGateway = await timed(async (records, j) => outs.push((await gqlOk(stack.gateway.url, INGEST, { records }, reps[j].token)).ingestUsage));
        const cGateway = dbCpu() - c;
        lastBatch = { records: sets[0], rep: reps[0] };
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
    const again = (await gqlOk(stack.gateway.url, INGEST, { records: lastBatch.records }, lastBatch.rep.token)).ingestUsage;
    const charges = await chargesOfCalls(client.db(stack.billingDb));
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
      reporters: REPORTERS.map((r) => `${r.role}:${r.sub}`),
      crossReportedShare: CROSS_REPORTED,
      ...charges,
      goals: { ratio: 0.5, recordsPerSec: 5_000 },
      met: concurrent.gateway / concurrent.indexed >= 0.5 && concurrent.gateway >= 5_000 && charges.everyCallChargedOnce,
    };
  } finally {
    await client.close();
    await stack.stop();
  }
}

/**
 * Whether every call was charged exactly once (not timed): per call (callId, else the record's own
 * id) the billing records of its reports, reversals included, must net to one charge — the usage
 * record still RATED — and a reported call must never be left without one.
 */
async function chargesOfCalls(db) {
  const usage = await db.collection('usage_records').find({}, { projection: { status: 1, callId: 1 } }).toArray();
  const records = await db.collection('billing_records').find({}, { projection: { _id: 1 } }).toArray();
  const net = new Map(); // usage id -> billing records (+1) and reversals (-1)
  for (const r of records) {
    const reversed = r._id.endsWith('|superseded');
    const id = reversed ? r._id.slice(0, -'|superseded'.length) : r._id;
    net.set(id, (net.get(id) ?? 0) + (reversed ? -1 : 1));
  }
  const perCall = new Map();
  const byStatus = {};
  for (const u of usage) {
    byStatus[u.status] = (byStatus[u.status] ?? 0) + 1;
    const k = u.callId ?? u._id;
    perCall.set(k, (perCall.get(k) ?? 0) + (net.get(u._id) ?? 0));
  }
  let wrong = 0;
  for (const v of perCall.values()) if (v !== 1) wrong++;
  return {
    storedUsage: usage.length,
    usageByStatus: byStatus,
    storedBillingRecords: records.length,
    reversals: records.filter((r) => r._id.endsWith('|superseded')).length,
    calls: perCall.size,
    callsNotChargedOnce: wrong,
    everyCallChargedOnce: wrong === 0,
  };
}

module.exports = { run, apiRecord, usageDoc, selectionInput, call, traffic, REPORTERS };
