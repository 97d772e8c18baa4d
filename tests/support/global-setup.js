'use strict';
// Starts one embedded FerretDB for the integration run (SQLite in a temp dir by default,
// PostgreSQL when TEST_DB_BACKEND=postgresql), unless MONGODB_URI points at a real server.
// Each test file then uses databases of its own names, so files never see each other's data.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFerretDB } = require('../../tools/lib/ferretdb');

module.exports = async function globalSetup() {
  // The importer's checkpoints (npm run ingest without --checkpoint) go to a folder of this run, not the user's state folder.
  if (!process.env.INGEST_CHECKPOINT_DIR) {
    process.env.INGEST_CHECKPOINT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'exchange-test-ingest-'));
    process.env.TEST_INGEST_CHECKPOINT_DIR = process.env.INGEST_CHECKPOINT_DIR;
  }
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_URI = process.env.MONGODB_URI;
    return;
  }
  const backend = process.env.TEST_DB_BACKEND || 'sqlite';
  const state = { backend };
  let opts;
  if (backend === 'postgresql') {
    const base = process.env.TEST_POSTGRESQL_URL || 'postgres://postgres@127.0.0.1:5432';
    const dbName = `ferretdb_test_${process.pid}_${Date.now()}`;
    execFileSync('psql', [`${base}/postgres`, '-q', '-c', `CREATE DATABASE ${dbName}`], { stdio: 'inherit' });
    state.pgBase = base;
    state.pgDb = dbName;
    opts = { postgresqlUrl: `${base}/${dbName}` };
  } else if (backend === 'sqlite') {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exchange-test-db-'));
    opts = { sqliteDir: state.dir };
  } else {
    throw new Error(`TEST_DB_BACKEND must be sqlite or postgresql, not ${backend}`);
  }
  const db = await startFerretDB(opts);
  state.pid = db.child.pid;
  process.env.TEST_MONGODB_URI = db.uri;
  process.env.TEST_DB_STATE = JSON.stringify(state);
  globalThis.__EXCHANGE_TEST_DB__ = db;
};
