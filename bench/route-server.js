'use strict';
// 9. Route server: switches asking the moderator's switch-facing HTTP endpoint for routes.
// 100,000 prefixes (100 selections of 1,000 prefixes over 4 buyers, a quarter of them starting
// later so lookups fall back to shorter prefixes), trunks for every carrier and one switch key per
// buyer are written straight into the moderator's database before it starts. A load generator in
// this process keeps 16 requests in flight on keep-alive connections, each for a distinct number
// with its buyer's key, against /route/kamailio. Then: awards made through GraphQL on one instance
// and, by polling the route server of a second instance (same database, Redis pub/sub), how long
// until the new prefix is answered.
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const { mongo } = require('mongoose');
const { startService, uniqueName, procCpu } = require('./lib/stack');
const { freePort } = require('../tools/lib/ferretdb');
const { registerParties, createRequest, DAY } = require('./lib/parties');
const { gqlOk, token, scaled, round, summarize, nowMs, sleep } = require('./lib/util');

const PREFIXES = 100_000;
const PER_SELECTION = 1000;
const BUYERS = 4;
const CARRIERS = 37;
const CONCURRENCY = 16;

function prng(seed0) {
  let seed = seed0;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const digits = (rnd, n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rnd() * 10));
  return s;
};
const prefixOf = (rnd) => String(1 + Math.floor(rnd() * 9)) + digits(rnd, Math.floor(rnd() * 3)) + digits(rnd, 1 + Math.floor(rnd() * 7));
const hash = (key) => crypto.createHash('sha256').update(key, 'utf8').digest('hex');

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** GET on a keep-alive agent; resolves with the status (body read and dropped). */
function get(agent, port, path, key) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { 'x-api-key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

async function seed(uri, dbName, now) {
  const rnd = prng(0x5e7e);
  const selections = [];
  const calls = []; // { buyer, number }
  const seen = new Set();
  for (let s = 0; s < PREFIXES / PER_SELECTION; s++) {
    const routes = [];
    for (let r = 0; r < PER_SELECTION; r++) routes.push({ origin: '1', destination: prefixOf(rnd) });
    const start = s % 4 === 0 ? now + 10 * DAY : now - DAY;
    selections.push({
      _id: `rs-sel-${s}`,
      requestId: `rs-req-${s}`,
      buyerId: `rs-buyer-${s % BUYERS}`,
      buyerIsReseller: false,
      carrierId: `rs-carrier-${s % CARRIERS}`,
      bidId: `rs-bid-${s}`,
      routes,
      serviceType: 'VOICE',
      interval: { start: new Date(start), end: new Date(start + 60 * DAY) },
      quantity: '1000',
      unit: 'MINUTE',
      incentive: { currency: 'USD', ratePerUnit: '0.012500' },
      estimatedCost: { total: '12.50', usage: '12.50', setupFee: '0', minimumTopUp: '0', effectiveRate: '0.0125', currency: 'USD' },
      selectedAt: new Date(now - 2 * DAY),
      delivery: { state: 'DELIVERED', attempts: 1, nextAttemptAt: new Date(now - 2 * DAY), deliveredAt: new Date(now - 2 * DAY) },
    });
  }
  const trunks = [];
  for (let c = 0; c < CARRIERS; c++) {
    for (const [i, host] of [`sip${c}.carrier.example`, `10.0.${c}.1`].entries()) {
      trunks.push({ _id: `rs-trk-${c}-${i}`, carrierId: `rs-carrier-${c}`, name: `t${i}`, host, port: 5060, transport: 'UDP', techPrefix: i ? '#1' : '', priority: i, createdAt: new Date(now) });
    }
  }
  const keys = Array.from({ length: BUYERS }, () => `rsk_${crypto.randomBytes(32).toString('base64url')}`);
  const keyDocs = keys.map((k, b) => ({ _id: `rs-key-${b}`, buyerId: `rs-buyer-${b}`, name: 'bench', hash: hash(k), createdAt: new Date(now), revokedAt: null }));
  const client = new mongo.MongoClient(uri);
  await client.connect();
  const db = client.db(dbName);
  await db.collection('selections').insertMany(selections, { ordered: false });
  await db.collection('carrier_trunks').insertMany(trunks);
  await db.collection('switch_keys').insertMany(keyDocs);
  await client.close();
  return { selections, keys, calls, seen, rnd };
}

/** Distinct dialled numbers: half extend one of the buyer's prefixes, half are random; 11-13 digits. */
function numbers(seeded, n) {
  const { selections, rnd, seen, calls } = seeded;
  while (calls.length < n) {
    const sel = selections[Math.floor(rnd() * selections.length)];
    const buyer = Number(sel.buyerId.slice('rs-buyer-'.length));
    const head = calls.length % 2 === 0 ? sel.routes[Math.floor(rnd() * sel.routes.length)].destination : String(1 + Math.floor(rnd() * 9));
    const number = head + digits(rnd, Math.max(0, 11 + Math.floor(rnd() * 3) - head.length));
    if (seen.has(`${buyer}:${number}`)) continue;
    seen.add(`${buyer}:${number}`);
    calls.push({ buyer, path: `/route/kamailio?number=%2B${number}` });
  }
  return calls;
}

async function load(port, keys, calls, from, to) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = new Float64Array(to - from);
  const statuses = {};
  let next = from;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= to) return;
        const c = calls[i];
        const s = nowMs();
        const status = await get(agent, port, c.path, keys[c.buyer]);
        latencies[i - from] = nowMs() - s;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const wallMs = nowMs() - t0;
  agent.destroy();
  return { latencies, statuses, wallMs };
}

/**
 * Baseline: the least a node:http server can do per request (a fixed body of the same size,
 * keep-alive), in its own process, under the same load generator. Measured in rounds interleaved
 * with the route server's, so both see the same machine (on a shared machine the ratio says more
 * than the absolute rate).
 */
async function startBaseline() {
  const port = await freePort();
  const body = JSON.stringify({ version: '1.0', routing: 'serial', routes: [{ uri: 'sip:4420123456789@sip1.carrier.example:5060;transport=udp', dst_uri: 'sip:sip1.carrier.example:5060;transport=udp' }, { uri: 'sip:#14420123456789@10.0.1.1:5060;transport=udp', dst_uri: 'sip:10.0.1.1:5060;transport=udp' }], carrier_id: 'rs-carrier-1', selection_id: 'rs-sel-1', request_id: 'rs-req-1', buyer_id: 'rs-buyer-1' });
  const src = `const b=${JSON.stringify(body)};const s=require('node:http').createServer((q,r)=>{r.writeHead(200,{'content-type':'application/json','content-length':Buffer.byteLength(b)});r.end(b)});s.keepAliveTimeout=65000;s.listen(${port},'127.0.0.1',()=>process.send('up'))`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', () => reject(new Error('baseline server exited')));
  });
  return { port, pid: child.pid, stop: () => child.kill() };
}

/** Interleaved rounds against each target; rates are medians of the rounds, latencies pooled. */
async function rounds(targets, keys, calls, from, total, n) {
  const per = Math.floor(total / n);
  const out = targets.map(() => ({ rates: [], latencies: [], statuses: {}, cpuSec: 0 }));
  for (let k = 0; k < n; k++) {
    for (const [t, target] of targets.entries()) {
      const lo = from + k * per;
      const cpu0 = procCpu(target.pid);
      const r = await load(target.port, keys, calls, lo, lo + per);
      out[t].cpuSec += procCpu(target.pid) - cpu0;
      out[t].rates.push(per / (r.wallMs / 1000));
      out[t].latencies.push(...r.latencies);
      for (const [st, c] of Object.entries(r.statuses)) out[t].statuses[st] = (out[t].statuses[st] ?? 0) + c;
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return out.map((o) => ({ ...o, perSec: median(o.rates), lookups: per * n, s: summarize(o.latencies) }));
}

async function updateLatency(a, bPort, awards) {
  const buyer = 'rs-award-buyer';
  const carrier = 'rs-award-carrier';
  await registerParties(a.url, { buyers: [buyer], carriers: [{ id: carrier, coverage: ['99'] }] });
  const buyerToken = await token('BUYER', buyer);
  const carrierToken = await token('CARRIER', carrier);
  await gqlOk(a.url, `mutation { addCarrierTrunk(input: { name: "t1", host: "award.example" }) { id } }`, {}, carrierToken);
  const key = (await gqlOk(a.url, `mutation { createSwitchKey(input: { name: "bench" }) { key } }`, {}, buyerToken)).createSwitchKey.key;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const now = Date.now();
  const at = Math.floor((now + 3 * DAY) / 1000);
  const out = [];
  for (let i = 0; i < awards; i++) {
    const dest = `99${10000 + i}`;
    const req = await createRequest(a.url, buyer, {
      routes: [{ origin: '1', destination: dest }],
      interval: { start: new Date(now + 2 * DAY).toISOString(), end: new Date(now + 30 * DAY).toISOString() },
    });
    await gqlOk(a.url, `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`, { input: { requestId: req.id, incentive: { currency: 'USD', ratePerUnit: '0.01' } } }, carrierToken);
    const path = `/route/json?number=${dest}123456&at=${at}`;
    if ((await get(agent, bPort, path, key)) !== 404) throw new Error('the award prefix routes before its award');
    const t0 = nowMs();
    const closing = gqlOk(a.url, `mutation($id: ID!) { closeBidding(requestId: $id) { id } }`, { id: req.id }, buyerToken);
    for (;;) {
      if ((await get(agent, bPort, path, key)) === 200) break;
      if (nowMs() - t0 > 10_000) throw new Error(`award ${i} not answered by the other instance within 10 s`);
      await sleep(1);
    }
    out.push(nowMs() - t0);
    await closing;
  }
  agent.destroy();
  return out;
}

async function run(ctx) {
  const now = Date.now();
  const dbName = uniqueName('bench_route');
  const seeded = await seed(ctx.db.uri, dbName, now);
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await reachable(redisUrl);
  const env = { MONGODB_URI: ctx.db.uri, MODERATOR_DB_NAME: dbName, OUTBOX_ENABLED: 'false', BILLING_URL: 'http://127.0.0.1:9/graphql', ...(redis ? { REDIS_URL: redisUrl, PUBSUB_PREFIX: `${uniqueName('bench')}:` } : {}) };
  const [portA, portB] = [await freePort(), await freePort()];
  const a = await startService('moderator', 'moderator-subgraph/dist/main.js', { ...env, ROUTE_SERVER_PORT: String(portA) }, '/ready');
  let b = null;
  try {
    b = redis ? await startService('moderator', 'moderator-subgraph/dist/main.js', { ...env, ROUTE_SERVER_PORT: String(portB) }, '/ready') : null;
    const total = scaled(100_000, 20_000);
    const warm = 5000;
    const calls = numbers(seeded, warm + total);
    ctx.log(`bench: route server: ${PREFIXES} prefixes loaded; ${total} lookups, ${CONCURRENCY} in flight`);
    const base = await startBaseline();
    let route;
    let bare;
    const cpuClient0 = process.cpuUsage();
    try {
      await load(portA, seeded.keys, calls, 0, warm);
      await load(base.port, seeded.keys, calls, 0, warm);
      [route, bare] = await rounds([{ port: portA, pid: a.pid }, base], seeded.keys, calls, warm, total, 5);
    } finally {
      base.stop();
    }
    const c = process.cpuUsage(cpuClient0);
    const s = route.s;
    const perSec = route.perSec;
    const answered = route.statuses['200'] ?? 0;
    if (answered < route.lookups * 0.2) throw new Error(`too few routes answered (${JSON.stringify(route.statuses)}): is the table loaded?`);

    const awards = scaled(30, 10);
    const upd = summarize(await updateLatency(a, b ? portB : portA, awards));
    const met = perSec >= 10_000 && s.p99 < 5;
    return {
      prefixes: PREFIXES,
      buyers: BUYERS,
      lookups: route.lookups,
      rounds: 5,
      concurrency: CONCURRENCY,
      lookupsPerSec: round(perSec, 0),
      p50Ms: round(s.p50, 3),
      p99Ms: round(s.p99, 3),
      maxMs: round(s.max, 2),
      statuses: route.statuses,
      serverCpuMsPerLookup: round((route.cpuSec * 1000) / route.lookups, 4),
      baseline: { perSec: round(bare.perSec, 0), p50Ms: round(bare.s.p50, 3), p99Ms: round(bare.s.p99, 3), serverCpuMsPerRequest: round((bare.cpuSec * 1000) / bare.lookups, 4) },
      ratioVsBaseline: round(perSec / bare.perSec, 2),
      clientCpuMsPerLookup: round((c.user + c.system) / 1000 / (route.lookups + bare.lookups), 4),
      update: { awards, acrossInstances: !!b, p50Ms: round(upd.p50, 1), p99Ms: round(upd.p99, 1), maxMs: round(upd.max, 1) },
      goals: { lookupsPerSec: 10_000, p99Ms: 5, updateP99Ms: 1000 },
      met,
      updateMet: upd.p99 < 1000,
    };
  } finally {
    if (b) await b.stop();
    await a.stop();
  }
}

module.exports = { run };
