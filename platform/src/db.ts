import mongoose, { type Connection } from 'mongoose';
import type { Logger } from 'pino';

/**
 * Opens a dedicated connection (never mongoose's global one) so that several service
 * instances can live in one process, as the multi-instance tests do.
 */
export async function connectDatabase(uri: string, dbName: string, logger?: Logger): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    dbName,
    // FerretDB and MongoDB both accept these; retryWrites needs a replica set, so leave it to the URI.
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 20,
    autoIndex: false,
    autoCreate: true,
  });
  conn.on('disconnected', () => logger?.warn({ dbName }, 'database disconnected'));
  conn.on('reconnected', () => logger?.info({ dbName }, 'database reconnected'));
  await conn.asPromise();
  return conn;
}

/** True when the database answers a ping within the driver's timeout (used by /ready). */
export async function databaseReachable(conn: Connection): Promise<boolean> {
  try {
    if (conn.readyState !== 1 || !conn.db) return false;
    await conn.db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

/** Creates the indexes each model declares; run at start so every query path is indexed before traffic. */
export async function syncIndexes(conn: Connection): Promise<void> {
  for (const model of Object.values(conn.models)) {
    await model.createIndexes();
  }
}
