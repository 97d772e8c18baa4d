'use strict';
// `npm start`: the embedded database (unless MONGODB_URI is set), both subgraphs and the
// gateway, each its own process. It says the exchange "is up" only once every service has told
// it (over an IPC channel) that it bound its own port: a foreign server answering on a port proves
// nothing. Ports already taken, a DB_DIR another stack holds, or a bad variable stop it before
// anything starts, with one message. Ctrl-C (or SIGTERM) stops the gateway, then the subgraphs,
// then the database; if any service dies, the rest are stopped too so nothing is left half-running.
// With the demo data on (and never in production) the demo market runs once the gateway is up: a
// client of the gateway that simulates buyers, carriers and a switch (DEMO_MARKET=false: off).
// Production (NODE_ENV=production or a production key setting) seeds no demo parties and prints no
// development-token help: its tokens come from the operator's keys (docs/TOKENS.md).
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { startFerretDB, ROOT } = require('./lib/ferretdb');
const { acquireDirLock, LockHeldError } = require('./lib/lock');
const { portVariable, exitOnProblems } = require('./lib/env');
const { serviceConfigProblems } = require('./lib/service-config');
const { isProduction } = require('./lib/production');

const env = { ...process.env };
/** Children by stopping order: the gateway first (its clients get `complete`), the database last. */
const children = { demo: [], gateway: [], subgraphs: [] };
let db;
/** The database being started: Ctrl-C meanwhile must still stop it (it is in its own process group). */
let dbStarting;
let lock;
let stopping = false;

/** A clean, expected end of start-up (reported in one line, no stack). */
class StartFailed extends Error {}

function service(name, group, script, extraEnv) {
  // Own process group: Ctrl-C in the terminal reaches only this launcher, which stops the
  // services in order (a database killed under the subgraphs made them log errors while stopping).
  const child = spawn(process.execPath, [path.join(ROOT, script)], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  child.serviceName = name;
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything.`);
      shutdown(1);
    }
  });
  children[group].push(child);
  return child;
}

/**
 * The demo market (demo-market/dist), if its own decision lets it run: it is a client, so its end
 * (no demo parties, a failure) is reported but stops nothing else.
 */
function startDemoMarket(demoEnv) {
  let decision;
  try {
    decision = require(path.join(ROOT, 'demo-market/dist/config.js')).demoMarketDecision(demoEnv);
  } catch {
    return false; // not built
  }
  if (!decision.run) {
    if (decision.refused || decision.production) console.error(decision.reason);
    return false;
  }
  const child = spawn(process.execPath, [path.join(ROOT, 'demo-market/dist/main.js')], { env: demoEnv, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  child.on('exit', (code, signal) => {
    if (!stopping && code !== 0) console.error(`demo market exited (${signal ?? code}); the exchange keeps running.`);
  });
  children.demo.push(child);
  return true;
}

/** Resolves when `child` reports that it bound its port; rejects if it exits first. */
function listening(child, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StartFailed(`${child.serviceName} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.on('message', (m) => {
      if (m && m.type === 'listening') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new StartFailed(`${child.serviceName} exited (${signal ?? code}) before it was up`));
    });
  });
}

/** Whether host:port can be bound now (EADDRINUSE: something else listens there). */
function portFree(host, port) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(new StartFailed(`Cannot listen on ${host}:${port}: ${err.code || err.message}`))));
    srv.listen({ port, host }, () => srv.close(() => resolve(true)));
  });
}

function stopChild(c) {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 10000);
    c.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.demo.map(stopChild));
  await Promise.all(children.gateway.map(stopChild));
  await Promise.all(children.subgraphs.map(stopChild));
  if (!db && dbStarting) db = await dbStarting.catch(() => undefined);
  if (db) await db.stop();
  lock?.release();
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGHUP', () => shutdown(0));

  const problems = [];
  const host = env.HOST || '127.0.0.1';
  const ports = {
    GATEWAY_PORT: portVariable(env, 'GATEWAY_PORT', 4000, problems),
    MODERATOR_PORT: portVariable(env, 'MODERATOR_PORT', 4001, problems),
    BILLING_PORT: portVariable(env, 'BILLING_PORT', 4002, problems),
    ROUTE_SERVER_PORT: portVariable(env, 'ROUTE_SERVER_PORT', 4003, problems),
  };
  const production = isProduction(env);
  const embedded = !env.MONGODB_URI;
  if (embedded) ports.DB_PORT = portVariable(env, 'DB_PORT', 27017, problems);
  // Every service's own configuration check (e.g. production without keys), before anything starts.
  problems.push(...serviceConfigProblems(env));
  exitOnProblems(problems);
  if (ports.GATEWAY_PORT === 0 || ports.MODERATOR_PORT === 0 || ports.BILLING_PORT === 0 || ports.ROUTE_SERVER_PORT === 0) {
    exitOnProblems(['GATEWAY_PORT, MODERATOR_PORT, BILLING_PORT, ROUTE_SERVER_PORT: `npm start` needs fixed ports (0 only for a service started alone)']);
  }

  const taken = [];
  for (const [name, port] of Object.entries(ports)) {
    if (port !== 0 && !(await portFree(host, port))) taken.push(`${name} ${port}: ${host}:${port} is already in use (another stack, or another program)`);
  }
  if (taken.length) {
    throw new StartFailed(`Cannot start: ${taken.length === 1 ? 'a port is' : 'ports are'} taken:\n${taken.map((t) => `  - ${t}`).join('\n')}\nStop what listens there, or set the variable to a free port.`);
  }

  if (embedded) {
    const sqliteDir = env.DB_DIR || path.join(ROOT, 'data', 'db');
    if (!env.DB_POSTGRESQL_URL) lock = acquireDirLock(sqliteDir, { purpose: 'npm start' });
    dbStarting = startFerretDB({ port: ports.DB_PORT, sqliteDir, postgresqlUrl: env.DB_POSTGRESQL_URL, stdio: 'inherit', detached: true });
    db = await dbStarting;
    if (stopping) return;
    env.MONGODB_URI = db.uri;
    db.child.on('exit', () => {
      if (!stopping) {
        console.error('embedded database exited; stopping everything.');
        shutdown(1);
      }
    });
    console.error(`embedded FerretDB: ${db.uri}`);
  }
  const moderatorUrl = `http://${host}:${ports.MODERATOR_PORT}/graphql`;
  const billingUrl = `http://${host}:${ports.BILLING_PORT}/graphql`;
  const routeServerUrl = `http://${host}:${ports.ROUTE_SERVER_PORT}`;
  const common = { MODERATOR_URL: moderatorUrl, BILLING_URL: billingUrl, MODERATOR_HOST: host, BILLING_HOST: host, GATEWAY_HOST: host };

  const billing = service('billing', 'subgraphs', 'billing-subgraph/dist/main.js', { ...common, BILLING_PORT: String(ports.BILLING_PORT) });
  const seedDemoData = env.SEED_DEMO_DATA ?? (production ? 'false' : 'true');
  const moderator = service('moderator', 'subgraphs', 'moderator-subgraph/dist/main.js', {
    ...common,
    MODERATOR_PORT: String(ports.MODERATOR_PORT),
    ROUTE_SERVER_HOST: host,
    ROUTE_SERVER_PORT: String(ports.ROUTE_SERVER_PORT),
    SEED_DEMO_DATA: seedDemoData,
  });
  await Promise.all([listening(moderator), listening(billing)]);
  const gateway = service('gateway', 'gateway', 'gateway/dist/main.js', { ...common, GATEWAY_PORT: String(ports.GATEWAY_PORT), ROUTE_SERVER_URL: routeServerUrl });
  const up = await listening(gateway);
  if (stopping) return;
  const base = up.url.replace(/\/graphql$/, '');
  const demo = startDemoMarket({ ...env, SEED_DEMO_DATA: seedDemoData, GATEWAY_URL: up.url });
  const demoLine = demo ? '  Demo market:     demo buyers and carriers trade and call (DEMO_MARKET=false: off)\n' : '';
  const billsLine = `  Posted bills:    ${(env.BILLING_PUBLIC_URL || base).replace(/\/+$/, '')}/bills/<id> (the gateway forwards /bills/ to billing)\n`;
  const prodLine = production ? '  Production:      no demo data; tokens are signed with your own keys (npm run keys, docs/TOKENS.md)\n' : '';
  console.log(`\nTelecom service exchange is up.\n  GraphQL gateway: ${up.url}\n  Portal:          ${base}/portal/\n  Route server:    ${routeServerUrl}/route/kamailio (also ${base}/route/…)\n${billsLine}${demoLine}${prodLine}  Press Ctrl-C to stop.\n`);
}

main().catch((err) => {
  if (stopping) return;
  console.error(err instanceof StartFailed || err instanceof LockHeldError ? err.message : err);
  shutdown(1);
});
