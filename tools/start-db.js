'use strict';
// `npm run start:db`: run only the embedded database, e.g. for a billing agent that runs its
// own subgraph, or to inspect data with mongosh. Stops on Ctrl-C / SIGTERM.
const { startFerretDB } = require('./lib/ferretdb');

async function main() {
  const port = Number(process.env.DB_PORT || 27017);
  const db = await startFerretDB({
    port,
    host: process.env.DB_HOST || '127.0.0.1',
    sqliteDir: process.env.DB_DIR,
    postgresqlUrl: process.env.DB_POSTGRESQL_URL,
    stdio: 'inherit',
  });
  console.log(`Embedded FerretDB ready: ${db.uri}`);
  const shutdown = async () => {
    await db.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  db.child.on('exit', (code) => process.exit(code ?? 1));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
