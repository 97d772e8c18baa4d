'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const db = globalThis.__EXCHANGE_TEST_DB__;
  if (db) await db.stop();
  if (process.env.TEST_INGEST_CHECKPOINT_DIR) fs.rmSync(process.env.TEST_INGEST_CHECKPOINT_DIR, { recursive: true, force: true });
  const state = process.env.TEST_DB_STATE ? JSON.parse(process.env.TEST_DB_STATE) : null;
  if (!state) return;
  if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
  if (state.pgDb) {
    try {
      execFileSync('psql', [`${state.pgBase}/postgres`, '-q', '-c', `DROP DATABASE IF EXISTS ${state.pgDb}`], { stdio: 'inherit' });
    } catch {
      /* best effort: a leftover test database is harmless */
    }
  }
};
