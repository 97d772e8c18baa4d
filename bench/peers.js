'use strict';
// Peers: the project's gateway (@apollo/gateway behind node:http) against Hive Gateway with its
// JS planner and Hive Gateway with the Rust query planner (@graphql-hive/router-runtime), all with
// their defaults, side by side in one run: the same composed supergraph, the same two subgraph
// processes, the same database and the same data (32 buyers with 20 bills each). Each figure is
// measured in interleaved rounds (every round runs every gateway once, in a rotating order) and
// compared as ratios of the medians over rounds.
//
// Workloads, each with 8 and 32 connections kept busy (closed loop; the load generator runs in
// this process):
//   same token     every connection sends the same request with one token (ADMIN or one buyer):
//                  the federated 20-bill portal page, and a trivial query that touches no database
//                  ({ billingVersion }). Identical requests in flight: what deduplication saves.
//   distinct token connection i is buyer i (its own token, its own 20 bills), so no two requests
//                  in flight carry one token: the 20-bill portal page, and five of the portal's
//                  own queries (read from portal/src) in rotation, each connection starting at a
//                  different one. What users send.
// Per gateway and workload: requests/s, p50 latency; CPU time per request (user + system, from
// /proc) of every process of the stack: the gateway, the billing and moderator subgraphs, the
// database (FerretDB) and Redis; and the HTTP requests each subgraph received per request (its own
// http_request_duration_seconds count for /graphql, from its /metrics).
//
// The stack runs as `npm start` runs it with a Redis (REDIS_URL, BENCH_REDIS_URL, default the local
// one): the subgraphs publish data versions and the project's gateway keeps answers while they hold
// (gateway/src/response-cache.ts). The peers run against the same subgraphs and keep nothing. For
// context the project's gateway runs a second time as `projectPlain`: no kept answers and no
// deduplication, every request executed (what the engine alone does, and the cost of a page when
// it is not kept). The moderator-fetches goal is judged there: it is about what an executed page sends.
//
//   BENCH_ONLY=peers npm run bench           this benchmark alone (BENCH_SCALE=0.3 for a quick look)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Pool } = require('undici');
const { freePort, ROOT } = require('../tools/lib/ferretdb');
const Redis = require('ioredis');
const { startStack, startService, procCpu, uniqueName } = require('./lib/stack');
const { seedFederated, FEDERATED_BILLS } = require('./lib/federated');
const { portalQueries } = require('./lib/portal-queries');
const { GOALS } = require('./lib/goals');
const { token, round, summarize, nowMs, scaled, SCALE, gqlOk } = require('./lib/util');

const TRIVIAL = '{ billingVersion }';
const BUYERS = 32; // one per connection at 32 connections
const BILLS_PER_BUYER = 20;
// The buyer's pages: requests list, one request, bills list, one bill, routing table.
const PORTAL = ['pages/buyer/my-requests.graphql', 'pages/buyer/buyer-request.graphql', 'pages/bills/bills.graphql', 'pages/bills/bill.graphql', 'pages/buyer/routing.graphql'];
const SUBGRAPHS = ['billing', 'moderator'];

/** Requests a subgraph has received on /graphql so far (every status), from its Prometheus /metrics. */
async function graphqlRequests(base) {
  const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!r.ok) throw new Error(`${base}/metrics answered ${r.status}`);
  let n = 0;
  for (const line of (await r.text()).split('\n')) {
    if (line.startsWith('http_request_duration_seconds_count{') && line.includes('route="/graphql"')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

async function startHive(name, supergraphPath, rust) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, 'lib', 'child.js'), path.join(__dirname, 'lib', 'hive-gateway.js')], {
    env: { ...process.env, PORT: String(port), SUPERGRAPH_PATH: supergraphPath, HIVE_RUST: rust ? '1' : '0', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready`);
    try {
      const r = await fetch(`${base}/healthcheck`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 90 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    pid: child.pid,
    url: `${base}/graphql`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Keeps `connections` requests in flight for `ms`: connection i sends `work(i).bodies` in turn with
 * `work(i).bearer`. Every answer must be a GraphQL answer without errors. Measures the CPU time of
 * every process in `stack.pids` and the /graphql requests each subgraph received.
 */
async function load(target, stack, work, connections, ms) {
  const u = new URL(target.url);
  const pool = new Pool(u.origin, { connections, pipelining: 1 });
  const latencies = [];
  let failures = 0;
  let firstFailure;
  const pids = { gateway: target.pid, ...stack.pids };
  const calls0 = await Promise.all(SUBGRAPHS.map((k) => graphqlRequests(stack.bases[k])));
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? procCpu(pid) : null]));
  const t0 = nowMs();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const { bearer, bodies } = work(i);
      const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${bearer}` };
      for (let n = 0; nowMs() < end; n++) {
        const s = nowMs();
        const res = await pool.request({ path: u.pathname, method: 'POST', headers, body: bodies[n % bodies.length] });
        const text = await res.body.text();
        latencies.push(nowMs() - s);
        if (res.statusCode !== 200 || !text.startsWith('{"data"') || text.includes('"errors"')) {
          failures++;
          firstFailure ??= `${res.statusCode} ${text.slice(0, 300)}`;
        }
      }
    }),
  );
  const wall = nowMs() - t0;
  const cpuMs = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid && cpu0[k] !== null ? (procCpu(pid) - cpu0[k]) * 1000 : null]));
  const calls1 = await Promise.all(SUBGRAPHS.map((k) => graphqlRequests(stack.bases[k])));
  await pool.close();
  if (failures) throw new Error(`${target.name}: ${failures} of ${latencies.length} answers failed, e.g. ${firstFailure}`);
  const n = latencies.length;
  const s = summarize(latencies);
  const per = (v) => (v === null ? null : v / n);
  return {
    rps: (n / wall) * 1000,
    p50: s.p50,
    cpuMsPerRequest: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, per(v)])),
    callsPerRequest: Object.fromEntries(SUBGRAPHS.map((k, j) => [k, (calls1[j] - calls0[j]) / n])),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median of each measured figure over rounds. */
function medians(xs) {
  const at = (f) => median(xs.map(f));
  const keysOf = (o) => Object.keys(o);
  return {
    rps: at((x) => x.rps),
    p50Ms: at((x) => x.p50),
    cpuMsPerRequest: Object.fromEntries(keysOf(xs[0].cpuMsPerRequest).map((k) => [k, xs[0].cpuMsPerRequest[k] === null ? null : at((x) => x.cpuMsPerRequest[k])])),
    callsPerRequest: Object.fromEntries(keysOf(xs[0].callsPerRequest).map((k) => [k, at((x) => x.callsPerRequest[k])])),
  };
}

/** One gateway's figures for one workload, rounded; stack CPU total = the sum of the processes' medians. */
function figureOf(m) {
  const c = m.cpuMsPerRequest;
  const total = ['gateway', 'billing', 'moderator', 'database', 'redis'].reduce((a, k) => (c[k] === null || a === null ? null : a + c[k]), 0);
  return {
    rps: round(m.rps, 0),
    p50Ms: round(m.p50Ms, 2),
    cpuMsPerRequest: round(c.gateway, 3),
    stackCpuMsPerRequest: { gateway: round(c.gateway, 3), billing: round(c.billing, 3), moderator: round(c.moderator, 3), database: round(c.database, 3), redis: round(c.redis, 3), total: round(total, 3) },
    subgraphCallsPerRequest: { billing: round(m.callsPerRequest.billing, 3), moderator: round(m.callsPerRequest.moderator, 3) },
  };
}

/** The Redis server's process id (its CPU is part of the stack's), or a clear error when none answers. */
async function redisPid(url) {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    const info = await client.info('server');
    return Number(/^process_id:(\d+)/m.exec(info)?.[1]) || null;
  } catch (err) {
    throw new Error(`the peers benchmark runs the stack with Redis, and none answers at ${url} (${err.message}); start one or set BENCH_REDIS_URL`);
  } finally {
    client.disconnect();
  }
}

async function run(ctx) {
  const rounds = scaled(5, 3);
  const segmentMs = Math.max(1000, Math.round(3000 * Math.min(SCALE, 1)));
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await redisPid(redisUrl);
  const withRedis = { REDIS_URL: redisUrl, PUBSUB_PREFIX: `${uniqueName('bench')}:` };
  const stack = await startStack({ mongoUri: ctx.db.uri, billingEnv: withRedis, moderatorEnv: withRedis, gatewayEnv: withRedis });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-'));
  const targets = [];
  const queries = portalQueries(PORTAL);
  try {
    // 32 buyers with 20 bills each: the ADMIN page shows 20 of 640, a buyer's page all 20 of its own.
    const seed0 = Date.now();
    await seedFederated(stack, { bills: BUYERS * BILLS_PER_BUYER, buyers: BUYERS, carriers: 5, concurrency: 8 });
    ctx.log(`bench: peers seeded ${BUYERS * BILLS_PER_BUYER} bills in ${round((Date.now() - seed0) / 1000, 1)} s`);
    // The same composed supergraph for every gateway, pointing at this run's subgraphs.
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    const sdl = fs
      .readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')
      .replace('http://127.0.0.1:4002/graphql', stack.billing.url)
      .replace('http://127.0.0.1:4001/graphql', stack.moderator.url);
    fs.writeFileSync(supergraphPath, sdl);
    targets.push({ name: 'project', pid: stack.gateway.pid, url: stack.gateway.url });
    targets.push(await startHive('hive', supergraphPath, false));
    targets.push(await startHive('hiveRust', supergraphPath, true));
    // Context: the same gateway keeping nothing and joining nothing (every request executed).
    const plain = await startService(
      'gateway',
      'gateway/dist/main.js',
      {
        MODERATOR_URL: stack.moderator.url,
        BILLING_URL: stack.billing.url,
        SUPERGRAPH_PATH: supergraphPath,
        RESPONSE_CACHE: 'false',
        DEDUPE_OPERATIONS: 'false',
        DEDUPE_SUBGRAPH_QUERIES: 'false',
        ...withRedis,
      },
      '/health',
    );
    targets.push({ name: 'projectPlain', pid: plain.pid, url: plain.url, stop: () => plain.stop() });
    const measured = {
      pids: { billing: stack.billing.pid, moderator: stack.moderator.pid, database: ctx.db.pid ?? null, redis },
      bases: { billing: stack.billing.base, moderator: stack.moderator.base },
    };

    const admin = await token('ADMIN', 'bench-admin');
    const buyerTokens = await Promise.all(Array.from({ length: BUYERS }, (_, i) => token('BUYER', `fed-buyer-${i}`)));
    const page = JSON.stringify({ query: FEDERATED_BILLS, variables: { n: 20 } });
    const trivial = JSON.stringify({ query: TRIVIAL });
    // Each buyer's five portal requests: its own request and bill where the query takes an id.
    const own = await Promise.all(
      buyerTokens.map((t) => gqlOk(stack.gateway.url, '{ bills(first: 1) { nodes { id request { id } } } }', {}, t).then((d) => d.bills.nodes[0])),
    );
    const variables = (b) => ({
      'pages/buyer/my-requests.graphql': {},
      'pages/buyer/buyer-request.graphql': { id: b.request.id },
      'pages/bills/bills.graphql': { filter: {} },
      'pages/bills/bill.graphql': { id: b.id },
      'pages/buyer/routing.graphql': { at: null },
    });
    const rotation = own.map((b, i) => {
      const bodies = PORTAL.map((q) => JSON.stringify({ query: queries[q], variables: variables(b)[q] }));
      return bodies.map((_, k) => bodies[(k + i) % bodies.length]); // connection i starts at query i mod 5
    });
    const same = (bearer, body) => () => ({ bearer, bodies: [body] });
    const scenarios = [];
    for (const connections of [8, 32]) {
      if (connections > BUYERS) throw new Error(`${connections} connections need ${connections} buyers for distinct tokens, not ${BUYERS}`);
      scenarios.push(
        { key: `portalAdmin${connections}`, what: `portal page, ADMIN, ${connections} connections`, tokens: 'same', query: 'page', work: same(admin, page), connections },
        { key: `portalBuyer${connections}`, what: `portal page, one buyer, ${connections} connections`, tokens: 'same', query: 'page', work: same(buyerTokens[0], page), connections },
        { key: `trivial${connections}`, what: `trivial query, ${connections} connections`, tokens: 'same', query: 'trivial', work: same(admin, trivial), connections },
        {
          key: `distinctPage${connections}`,
          what: `portal page, ${connections} buyers (distinct tokens), ${connections} connections`,
          tokens: 'distinct',
          query: 'page',
          work: (i) => ({ bearer: buyerTokens[i], bodies: [page] }),
          connections,
        },
        {
          key: `distinctPortal${connections}`,
          what: `five portal queries in rotation, ${connections} buyers (distinct tokens), ${connections} connections`,
          tokens: 'distinct',
          query: 'rotation',
          work: (i) => ({ bearer: buyerTokens[i], bodies: rotation[i] }),
          connections,
        },
      );
    }
    scenarios.sort((a, b) => (a.tokens === b.tokens ? 0 : a.tokens === 'same' ? -1 : 1));

    // Same answers from every gateway (sanity), then a warm-up of every path.
    // Signed document links and the routing table's "now" (its `at`, also in its CSV) differ from call to call.
    const VOLATILE = new Set(['documentUrls', 'at', 'csv']);
    const comparable = (a) => JSON.stringify(a, (k, v) => (VOLATILE.has(k) ? undefined : v));
    const checks = [
      [FEDERATED_BILLS, { n: 20 }, admin],
      [FEDERATED_BILLS, { n: 20 }, buyerTokens[0]],
      [FEDERATED_BILLS, { n: 20 }, buyerTokens[BUYERS - 1]],
      ...PORTAL.map((q) => [queries[q], variables(own[1])[q], buyerTokens[1]]),
    ];
    for (const [query, vars, bearer] of checks) {
      const answers = await Promise.all(targets.map((t) => gqlOk(t.url, query, vars, bearer)));
      if (query === FEDERATED_BILLS && answers[0].bills.nodes.length !== 20) throw new Error(`expected a page of 20 bills, got ${answers[0].bills.nodes.length}`);
      for (const [j, a] of answers.entries()) {
        if (comparable(a) !== comparable(answers[0])) throw new Error(`${targets[j].name} answers ${query.slice(0, 60)}… differently from the project's gateway`);
      }
    }
    for (const t of targets) for (const s of scenarios) await load(t, measured, s.work, s.connections, 500);

    const samples = Object.fromEntries(scenarios.map((s) => [s.key, Object.fromEntries(targets.map((t) => [t.name, []]))]));
    for (let r = 0; r < rounds; r++) {
      ctx.log(`bench: peers round ${r + 1} of ${rounds}`);
      for (const s of scenarios) {
        const order = targets.map((_, i) => targets[(i + r) % targets.length]);
        for (const t of order) samples[s.key][t.name].push(await load(t, measured, s.work, s.connections, segmentMs));
      }
    }

    const figures = {};
    let rpsMet = true;
    let cpuMet = true;
    for (const s of scenarios) {
      const med = Object.fromEntries(targets.map((t) => [t.name, medians(samples[s.key][t.name])]));
      const ratio = (mine, peer) => ({
        rps: round(med[mine].rps / med[peer].rps, 2),
        p50: round(med[mine].p50Ms / med[peer].p50Ms, 2),
        cpuPerRequest: round(med[mine].cpuMsPerRequest.gateway / med[peer].cpuMsPerRequest.gateway, 2),
      });
      const f = {
        what: s.what,
        tokens: s.tokens,
        query: s.query,
        connections: s.connections,
        ...Object.fromEntries(Object.entries(med).map(([k, v]) => [k, figureOf(v)])),
        vsHive: ratio('project', 'hive'),
        vsHiveRust: ratio('project', 'hiveRust'),
        plainVsHive: ratio('projectPlain', 'hive'),
        plainVsHiveRust: ratio('projectPlain', 'hiveRust'),
      };
      if (s.tokens === 'same') {
        // Issue 15's goals on the same-token rows.
        f.rpsMet = f.vsHive.rps >= 1 && f.vsHiveRust.rps >= 1;
        f.cpuMet = med.project.cpuMsPerRequest.gateway <= med.hiveRust.cpuMsPerRequest.gateway;
        rpsMet &&= f.rpsMet;
        if (s.query === 'page') cpuMet &&= f.cpuMet;
      } else {
        // Issue 24's goals on the distinct-token rows (bench/lib/goals.js judges them again for the summary).
        f.rpsMet = med.project.rps / med.hiveRust.rps >= GOALS.distinctRpsVsHiveRust;
        if (s.query === 'page') {
          f.cpuMet = med.project.cpuMsPerRequest.gateway / med.hiveRust.cpuMsPerRequest.gateway <= GOALS.gatewayCpuVsHiveRust;
          f.stackCpuMet = f.project.stackCpuMsPerRequest.total === null ? null : f.project.stackCpuMsPerRequest.total <= GOALS.stackCpuMsPerPage;
          // An executed page's fetches (the project's own gateway answers repeated pages from kept answers).
          f.moderatorCallsMet = Math.abs(med.projectPlain.callsPerRequest.moderator - GOALS.moderatorCallsPerPage) < 0.005;
        }
      }
      figures[s.key] = f;
    }
    const distinct = Object.values(figures).filter((f) => f.tokens === 'distinct');
    const distinctMet = distinct.every((f) => f.rpsMet && (f.query !== 'page' || (f.cpuMet && f.stackCpuMet && f.moderatorCallsMet)));
    return {
      rounds,
      segmentSeconds: segmentMs / 1000,
      buyers: BUYERS,
      billsPerBuyer: BILLS_PER_BUYER,
      portalQueries: PORTAL,
      peers: {
        hive: `@graphql-hive/gateway ${require('@graphql-hive/gateway/package.json').version}`,
        hiveRust: `@graphql-hive/gateway with @graphql-hive/router-runtime ${require('@graphql-hive/router-runtime/package.json').version}`,
      },
      figures,
      goals: {
        sameToken: { rpsRatioMin: 1.0, cpuPerRequestVsHiveRustMax: 1.0 },
        distinctToken: {
          rpsVsHiveRustMin: GOALS.distinctRpsVsHiveRust,
          gatewayCpuVsHiveRustMax: GOALS.gatewayCpuVsHiveRust,
          stackCpuMsPerPageMax: GOALS.stackCpuMsPerPage,
          moderatorCallsPerPage: GOALS.moderatorCallsPerPage,
        },
      },
      rpsMet,
      cpuMet,
      distinctMet,
      met: rpsMet && cpuMet && distinctMet,
    };
  } finally {
    for (const t of targets.slice(1)) await t.stop();
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    // This run's data versions (its own prefix) are of no use to anyone after it.
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await client.del(`${withRedis.PUBSUB_PREFIX}data-versions`).catch(() => undefined);
    client.disconnect();
  }
}

module.exports = { run, PORTAL };
