'use strict';
// Peers: the project's gateway (@apollo/gateway behind node:http) against Hive Gateway with its
// JS planner and Hive Gateway with the Rust query planner (@graphql-hive/router-runtime), all with
// their defaults, side by side in one run: the same composed supergraph, the same two subgraph
// processes and the same data. Each figure is measured in interleaved rounds (every round runs
// every gateway once, in a rotating order) and compared as ratios of the medians over rounds.
//
// Figures: the federated 20-bill portal page (billing page + one moderator entity fetch) as ADMIN
// and as a buyer, and a trivial query that touches no database ({ billingVersion }), each with 8
// and 32 connections kept busy (closed loop): requests/s, p50 latency and the gateway process's CPU
// time per request (user + system, from /proc). The load generator runs in this process. For
// context the project's gateway also runs a second time with both deduplications switched off.
//
//   BENCH_ONLY=peers npm run bench           this benchmark alone (BENCH_SCALE=0.3 for a quick look)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Pool } = require('undici');
const { freePort, ROOT } = require('../tools/lib/ferretdb');
const { startStack, startService, procCpu } = require('./lib/stack');
const { seedFederated, FEDERATED_BILLS } = require('./lib/federated');
const { token, round, summarize, nowMs, scaled, SCALE, gqlOk } = require('./lib/util');

const TRIVIAL = '{ billingVersion }';

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

/** Keeps `connections` requests in flight for `ms`; every answer must be a GraphQL answer without errors. */
async function load(target, body, bearer, connections, ms) {
  const u = new URL(target.url);
  const pool = new Pool(u.origin, { connections, pipelining: 1 });
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${bearer}` };
  const latencies = [];
  let failures = 0;
  let firstFailure;
  const cpu0 = procCpu(target.pid);
  const t0 = nowMs();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (nowMs() < end) {
        const s = nowMs();
        const res = await pool.request({ path: u.pathname, method: 'POST', headers, body });
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
  const cpu = procCpu(target.pid) - cpu0;
  await pool.close();
  if (failures) throw new Error(`${target.name}: ${failures} of ${latencies.length} answers failed, e.g. ${firstFailure}`);
  const s = summarize(latencies);
  return { rps: (latencies.length / wall) * 1000, p50: s.p50, cpuMsPerRequest: (cpu * 1000) / latencies.length };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function run(ctx) {
  const rounds = scaled(5, 3);
  const segmentMs = Math.max(1000, Math.round(3000 * Math.min(SCALE, 1)));
  const stack = await startStack({ mongoUri: ctx.db.uri });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-'));
  const targets = [];
  try {
    // Two buyers with 20 bills each: the ADMIN page shows 20 of 40, a buyer's page all 20 of its own.
    await seedFederated(stack, { bills: 40, buyers: 2, carriers: 5 });
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
    // Context, not a goal: the same gateway with both deduplications off (what the engine alone does).
    const plain = await startService(
      'gateway',
      'gateway/dist/main.js',
      { MODERATOR_URL: stack.moderator.url, BILLING_URL: stack.billing.url, SUPERGRAPH_PATH: supergraphPath, DEDUPE_OPERATIONS: 'false', DEDUPE_SUBGRAPH_QUERIES: 'false' },
      '/health',
    );
    targets.push({ name: 'projectNoDedupe', pid: plain.pid, url: plain.url, stop: () => plain.stop() });

    const admin = await token('ADMIN', 'bench-admin');
    const buyer = await token('BUYER', 'fed-buyer-0');
    const page = JSON.stringify({ query: FEDERATED_BILLS, variables: { n: 20 } });
    const trivial = JSON.stringify({ query: TRIVIAL });
    const scenarios = [
      { key: 'portalAdmin8', what: 'portal page, ADMIN, 8 connections', body: page, bearer: admin, connections: 8, portal: true },
      { key: 'portalAdmin32', what: 'portal page, ADMIN, 32 connections', body: page, bearer: admin, connections: 32, portal: true },
      { key: 'portalBuyer8', what: 'portal page, buyer, 8 connections', body: page, bearer: buyer, connections: 8, portal: true },
      { key: 'portalBuyer32', what: 'portal page, buyer, 32 connections', body: page, bearer: buyer, connections: 32, portal: true },
      { key: 'trivial8', what: 'trivial query, 8 connections', body: trivial, bearer: admin, connections: 8, portal: false },
      { key: 'trivial32', what: 'trivial query, 32 connections', body: trivial, bearer: admin, connections: 32, portal: false },
    ];

    // Same answers from every gateway (sanity), then a warm-up of every path.
    for (const bearer of [admin, buyer]) {
      const answers = await Promise.all(targets.map((t) => gqlOk(t.url, FEDERATED_BILLS, { n: 20 }, bearer)));
      if (answers[0].bills.nodes.length !== 20) throw new Error(`expected a page of 20 bills, got ${answers[0].bills.nodes.length}`);
      for (const a of answers.slice(1)) if (JSON.stringify(a) !== JSON.stringify(answers[0])) throw new Error('the gateways answer the portal page differently');
    }
    for (const t of targets) for (const s of scenarios) await load(t, s.body, s.bearer, s.connections, 500);

    const samples = Object.fromEntries(scenarios.map((s) => [s.key, Object.fromEntries(targets.map((t) => [t.name, []]))]));
    for (let r = 0; r < rounds; r++) {
      ctx.log(`bench: peers round ${r + 1} of ${rounds}`);
      for (const s of scenarios) {
        const order = targets.map((_, i) => targets[(i + r) % targets.length]);
        for (const t of order) samples[s.key][t.name].push(await load(t, s.body, s.bearer, s.connections, segmentMs));
      }
    }

    const figures = {};
    let rpsMet = true;
    let cpuMet = true;
    for (const s of scenarios) {
      const med = Object.fromEntries(
        targets.map((t) => {
          const xs = samples[s.key][t.name];
          return [t.name, { rps: median(xs.map((x) => x.rps)), p50Ms: median(xs.map((x) => x.p50)), cpuMsPerRequest: median(xs.map((x) => x.cpuMsPerRequest)) }];
        }),
      );
      const ratio = (peer) => ({
        rps: round(med.project.rps / med[peer].rps, 2),
        p50: round(med.project.p50Ms / med[peer].p50Ms, 2),
        cpuPerRequest: round(med.project.cpuMsPerRequest / med[peer].cpuMsPerRequest, 2),
      });
      const f = {
        what: s.what,
        ...Object.fromEntries(Object.entries(med).map(([k, v]) => [k, { rps: round(v.rps, 0), p50Ms: round(v.p50Ms, 2), cpuMsPerRequest: round(v.cpuMsPerRequest, 3) }])),
        vsHive: ratio('hive'),
        vsHiveRust: ratio('hiveRust'),
        noDedupeVsHive: { rps: round(med.projectNoDedupe.rps / med.hive.rps, 2), cpuPerRequest: round(med.projectNoDedupe.cpuMsPerRequest / med.hive.cpuMsPerRequest, 2) },
        noDedupeVsHiveRust: { rps: round(med.projectNoDedupe.rps / med.hiveRust.rps, 2), cpuPerRequest: round(med.projectNoDedupe.cpuMsPerRequest / med.hiveRust.cpuMsPerRequest, 2) },
      };
      f.rpsMet = f.vsHive.rps >= 1 && f.vsHiveRust.rps >= 1;
      f.cpuMet = med.project.cpuMsPerRequest <= med.hiveRust.cpuMsPerRequest;
      rpsMet &&= f.rpsMet;
      if (s.portal) cpuMet &&= f.cpuMet;
      figures[s.key] = f;
    }
    return {
      rounds,
      segmentSeconds: segmentMs / 1000,
      peers: {
        hive: `@graphql-hive/gateway ${require('@graphql-hive/gateway/package.json').version}`,
        hiveRust: `@graphql-hive/gateway with @graphql-hive/router-runtime ${require('@graphql-hive/router-runtime/package.json').version}`,
      },
      figures,
      goals: { rpsRatioMin: 1.0, cpuPerRequestVsHiveRustMax: 1.0 },
      rpsMet,
      cpuMet,
      met: rpsMet && cpuMet,
    };
  } finally {
    for (const t of targets.slice(1)) await t.stop();
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };
