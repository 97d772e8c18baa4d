'use strict';
// `npm run start:db`: run only the embedded database, e.g. for a billing agent that runs its
// own subgraph, or to inspect data with mongosh. Stops on Ctrl-C / SIGTERM. Refuses a DB_DIR
// that another stack (`npm start` or another start:db) is using.
const { startFerretDB } = require('./lib/ferretdb');
const { acquireDirLock, LockHeldError } = require('./lib/lock');
const { portVariable, exitOnProblems } = require('./lib/env');
const path = require('node:path');

let lock;

async function main() {
  const problems = [];
  const port = portVariable(process.env, 'DB_PORT', 27017, problems);
  exitOnProblems(problems);
  const sqliteDir = process.env.DB_DIR || path.join(__dirname, '..', 'data', 'db');
  if (!process.env.DB_POSTGRESQL_URL) lock = acquireDirLock(sqliteDir, { purpose: 'npm run start:db' });
  const db = await startFerretDB({
    port,
    host: process.env.DB_HOST || '127.0.0.1',
    sqliteDir,
    postgresqlUrl: process.env.DB_POSTGRESQL_URL,
    stdio: 'inherit',
  });
  console.log(`Embedded FerretDB ready: ${db.uri}`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await db.stop();
    lock?.release();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  db.child.on('exit', (code) => {
    if (!stopping) process.exit(code ?? 1);
  });
}

main().catch((err) => {
  console.error(err instanceof LockHeldError ? err.message : err);
  process.exit(1);
});
