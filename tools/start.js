'use strict';
// `npm start`: the embedded database (unless MONGODB_URI is set), both subgraphs and the
// gateway, each its own process. Ctrl-C (or SIGTERM) stops every one of them; if any service
// dies, the rest are stopped too so nothing is left half-running.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startFerretDB, ROOT } = require('./lib/ferretdb');

const env = { ...process.env };
const children = [];
let db;
let stopping = false;

function service(name, script, extraEnv) {
  const child = spawn(process.execPath, [path.join(ROOT, script)], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.serviceName = name;
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything.`);
      shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function waitReady(url, name, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become ready at ${url} within ${timeoutMs / 1000}s`);
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  const exits = children
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map(
      (c) =>
        new Promise((resolve) => {
          const t = setTimeout(() => c.kill('SIGKILL'), 10000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    );
  await Promise.all(exits);
  if (db) await db.stop();
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGHUP', () => shutdown(0));

  const host = env.HOST || '127.0.0.1';
  const ports = {
    gateway: env.GATEWAY_PORT || '4000',
    moderator: env.MODERATOR_PORT || '4001',
    billing: env.BILLING_PORT || '4002',
  };
  if (!env.MONGODB_URI) {
    db = await startFerretDB({
      port: Number(env.DB_PORT || 27017),
      sqliteDir: env.DB_DIR || path.join(ROOT, 'data', 'db'),
      postgresqlUrl: env.DB_POSTGRESQL_URL,
      stdio: 'inherit',
    });
    env.MONGODB_URI = db.uri;
    db.child.on('exit', () => {
      if (!stopping) {
        console.error('embedded database exited; stopping everything.');
        shutdown(1);
      }
    });
    console.error(`embedded FerretDB: ${db.uri}`);
  }
  const moderatorUrl = `http://${host}:${ports.moderator}/graphql`;
  const billingUrl = `http://${host}:${ports.billing}/graphql`;
  const common = { MODERATOR_URL: moderatorUrl, BILLING_URL: billingUrl, MODERATOR_HOST: host, BILLING_HOST: host, GATEWAY_HOST: host };

  service('billing', 'billing-subgraph/dist/main.js', { ...common, BILLING_PORT: ports.billing });
  service('moderator', 'moderator-subgraph/dist/main.js', {
    ...common,
    MODERATOR_PORT: ports.moderator,
    SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? 'true',
  });
  await Promise.all([
    waitReady(`http://${host}:${ports.moderator}/ready`, 'moderator'),
    waitReady(`http://${host}:${ports.billing}/ready`, 'billing'),
  ]);
  service('gateway', 'gateway/dist/main.js', { ...common, GATEWAY_PORT: ports.gateway });
  await waitReady(`http://${host}:${ports.gateway}/health`, 'gateway');
  if (stopping) return;
  console.log(`\nTelecom service exchange is up.\n  GraphQL gateway: http://${host}:${ports.gateway}/graphql\n  Portal:          http://${host}:${ports.gateway}/portal/\n  Press Ctrl-C to stop.\n`);
}

main().catch((err) => {
  console.error(err.message);
  shutdown(1);
});
