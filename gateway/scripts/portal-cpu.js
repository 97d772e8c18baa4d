'use strict';
// Gateway CPU per federated portal page (the 20-bill page of bench/peers.js) with DISTINCT tokens:
// every request carries a token never sent before (fresh verification, nothing joined inbound),
// and requests in flight together are always of different buyers. Gateways measured side by side
// in interleaved rounds over the same subgraph processes and data: this gateway with fetch merging
// (default), the same with MERGE_SUBGRAPH_FETCHES=false, and Hive Gateway with the Rust planner.
// CPU is the gateway process's user + system time from /proc, divided by the pages answered.
//
//   npm run build && node gateway/scripts/portal-cpu.js        (PORTAL_CPU_SECONDS=3 per segment, PORTAL_CPU_ROUNDS=3)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Pool } = require('undici');
const { freePort, ROOT } = require('../../tools/lib/ferretdb');
const { startDatabase } = require('../../bench/lib/db');
const { startStack, startService, procCpu } = require('../../bench/lib/stack');
const { seedFederated, FEDERATED_BILLS } = require('../../bench/lib/federated');
const { token, gqlOk } = require('../../bench/lib/util');

const BUYERS = 8;
const CONNECTIONS = 8;
const SEGMENT_MS = Number(process.env.PORTAL_CPU_SECONDS ?? 3) * 1000;
const ROUNDS = Number(process.env.PORTAL_CPU_ROUNDS ?? 3);

async function startHiveRust(supergraphPath) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'child.js'), path.join(ROOT, 'bench', 'lib', 'hive-gateway.js')], {
    env: { ...process.env, PORT: String(port), SUPERGRAPH_PATH: supergraphPath, HIVE_RUST: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 90_000; ; ) {
    try {
      if ((await fetch(`${base}/healthcheck`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('Hive Gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'hiveRust', pid: child.pid, url: `${base}/graphql`, stop: async () => child.kill('SIGTERM') };
}

/** Fresh tokens: one per request, distinct by their lifetime (and issue second); at most 24 h ahead, as the services accept. */
function tokenSource() {
  let n = 0;
  return (buyer) => token("BUYER", buyer, `${3600 + (n++ % 80_000)}s`);
}

async function load(target, body, nextToken, ms) {
  const u = new URL(target.url);
  const pool = new Pool(u.origin, { connections: CONNECTIONS, pipelining: 1 });
  // Minted before the clock starts (signing costs this process, not the gateway, but keeps the loop tight).
  const perConnection = Math.ceil((ms / 1000) * 150);
  const tokens = await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => Promise.all(Array.from({ length: perConnection }, () => nextToken(`fed-buyer-${c % BUYERS}`)))),
  );
  let pages = 0;
  const cpu0 = procCpu(target.pid);
  const end = Date.now() + ms;
  await Promise.all(
    tokens.map(async (list) => {
      for (let i = 0; Date.now() < end && i < list.length; i++) {
        const res = await pool.request({
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${list[i]}` },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200 || !text.startsWith('{"data"') || text.includes('"errors"')) throw new Error(`${target.name}: ${res.statusCode} ${text.slice(0, 300)}`);
        pages++;
      }
    }),
  );
  const cpu = procCpu(target.pid) - cpu0;
  await pool.close();
  return (cpu * 1000) / pages;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const db = await startDatabase();
  const stack = await startStack({ mongoUri: db.uri });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-cpu-'));
  const others = [];
  try {
    await seedFederated(stack, { bills: BUYERS * 20, buyers: BUYERS, carriers: 5 });
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    const sdl = fs
      .readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')
      .replace('http://127.0.0.1:4002/graphql', stack.billing.url)
      .replace('http://127.0.0.1:4001/graphql', stack.moderator.url);
    fs.writeFileSync(supergraphPath, sdl);
    const unmerged = await startService(
      'gateway',
      'gateway/dist/main.js',
      { MODERATOR_URL: stack.moderator.url, BILLING_URL: stack.billing.url, SUPERGRAPH_PATH: supergraphPath, MERGE_SUBGRAPH_FETCHES: 'false' },
      '/health',
    );
    others.push(unmerged);
    const targets = [
      { name: 'merged', pid: stack.gateway.pid, url: stack.gateway.url },
      { name: 'unmerged', pid: unmerged.pid, url: unmerged.url },
    ];
    if (process.env.PORTAL_CPU_HIVE !== '0') {
      const hive = await startHiveRust(supergraphPath);
      others.push(hive);
      targets.push(hive);
    }
    const body = JSON.stringify({ query: FEDERATED_BILLS, variables: { n: 20 } });
    const nextToken = tokenSource();
    const first = await Promise.all(targets.map(async (t) => gqlOk(t.url, FEDERATED_BILLS, { n: 20 }, await nextToken('fed-buyer-0'))));
    if (first[0].bills.nodes.length !== 20) throw new Error('expected a 20-bill page');
    for (const a of first.slice(1)) if (JSON.stringify(a) !== JSON.stringify(first[0])) throw new Error('the gateways answer differently');
    for (const t of targets) await load(t, body, nextToken, 1000);
    const samples = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + r) % targets.length];
        samples[t.name].push(await load(t, body, nextToken, SEGMENT_MS));
      }
    }
    const result = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, { cpuMsPerPage: Number(median(xs).toFixed(3)), samples: xs.map((x) => Number(x.toFixed(3))) }]));
    if (result.hiveRust) result.mergedVsHiveRust = Number((result.merged.cpuMsPerPage / result.hiveRust.cpuMsPerPage).toFixed(2));
    console.log(JSON.stringify({ connections: CONNECTIONS, buyers: BUYERS, segmentSeconds: SEGMENT_MS / 1000, rounds: ROUNDS, result }, null, 2));
  } finally {
    for (const o of others) await o.stop();
    await stack.stop();
    await db.stop?.();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
