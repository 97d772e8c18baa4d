'use strict';
// The three services as separate processes (as `npm start` runs them), on free ports, with
// database names of their own so benchmarks never see each other's data. The benchmark client
// runs in the parent process, so its load generation never shares an event loop with a service.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const { freePort, ROOT } = require('../../tools/lib/ferretdb');

const NODE_FLAGS = () => {
  // BENCH_CPU_PROF=dir: every service process writes a .cpuprofile there when it exits.
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
};

const uniqueName = (prefix) => `${prefix}_${crypto.randomBytes(4).toString('hex')}`;

async function waitReady(url, name, child, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

/** Starts one service process; resolves once its readiness URL answers 200. */
async function startService(name, script, env, readyPath) {
  const port = await freePort();
  const portVar = { billing: 'BILLING_PORT', moderator: 'MODERATOR_PORT', gateway: 'GATEWAY_PORT' }[name];
  const child = spawn(process.execPath, [...NODE_FLAGS(), path.join(__dirname, 'child.js'), path.join(ROOT, script)], {
    env: { ...process.env, LOG_LEVEL: 'error', ...(name === 'moderator' ? { ROUTE_SERVER_PORT: '0' } : {}), ...env, [portVar]: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}${readyPath}`, name, child);
  return {
    name,
    pid: child.pid,
    url: `${base}/graphql`,
    base,
    child,
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * billing + moderator + gateway. `dbUri.billing` / `dbUri.moderator` let a benchmark put a
 * counting proxy in front of one service's database traffic.
 */
async function startStack({ mongoUri, billingUri, moderatorUri, billingEnv = {}, moderatorEnv = {}, gatewayEnv = {}, gateway = true } = {}) {
  const billingDb = billingEnv.BILLING_DB_NAME ?? uniqueName('bench_billing');
  const moderatorDb = moderatorEnv.MODERATOR_DB_NAME ?? uniqueName('bench_moderator');
  const billing = await startService(
    'billing',
    'billing-subgraph/dist/main.js',
    { MONGODB_URI: billingUri ?? mongoUri, BILLING_DB_NAME: billingDb, ...billingEnv },
    '/ready',
  );
  let moderator;
  try {
    moderator = await startService(
      'moderator',
      'moderator-subgraph/dist/main.js',
      { MONGODB_URI: moderatorUri ?? mongoUri, MODERATOR_DB_NAME: moderatorDb, BILLING_URL: billing.url, ...moderatorEnv },
      '/ready',
    );
  } catch (err) {
    await billing.stop();
    throw err;
  }
  let gw = null;
  if (gateway) {
    try {
      gw = await startService('gateway', 'gateway/dist/main.js', { MODERATOR_URL: moderator.url, BILLING_URL: billing.url, ...gatewayEnv }, '/health');
    } catch (err) {
      await moderator.stop();
      await billing.stop();
      throw err;
    }
  }
  return {
    billing,
    moderator,
    gateway: gw,
    billingDb,
    moderatorDb,
    async stop() {
      if (gw) await gw.stop();
      await moderator.stop();
      await billing.stop();
    },
  };
}

/** Resident-set high-water mark and current RSS of a process, from /proc (Linux), in bytes. */
function procMemory(pid) {
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : null;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: null, hwm: null };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function procCpu(pid) {
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Reads a gauge from a service's Prometheus /metrics (prom-client default metrics). */
async function metricValue(base, name) {
  const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

module.exports = { startStack, startService, procMemory, procCpu, metricValue, uniqueName };
