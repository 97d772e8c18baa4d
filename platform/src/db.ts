import mongoose, { type Connection } from 'mongoose';
import type { Logger } from 'pino';
import { StartupError } from './startup';

/** Where a connection string points, without credentials or options: "db1:27017,db2" or "cluster0.example.net (SRV)". */
export function databaseHostOf(uri: string): string {
  const m = /^mongodb(\+srv)?:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(uri);
  if (!m || !m[2]) return '(unparsable connection string)';
  return m[1] ? `${m[2]} (SRV)` : m[2];
}

/** How long a service waits for its database at start before it gives up with one line. */
export const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a dedicated connection (never mongoose's global one) so that several service
 * instances can live in one process, as the multi-instance tests do. An unreachable server fails
 * within `connectTimeoutMs` with a StartupError naming the host (never the credentials), not a
 * driver dump.
 */
export async function connectDatabase(
  uri: string,
  dbName: string,
  logger?: Logger,
  opts: { connectTimeoutMs?: number; monitorCommands?: boolean } = {},
): Promise<Connection> {
  const timeoutMs = opts.connectTimeoutMs ?? DATABASE_CONNECT_TIMEOUT_MS;
  const conn = mongoose.createConnection(uri, {
    dbName,
    // FerretDB and MongoDB both accept these; retryWrites needs a replica set, so leave it to the URI.
    serverSelectionTimeoutMS: Math.min(10_000, timeoutMs),
    maxPoolSize: 20,
    autoIndex: false,
    autoCreate: true,
    // Command events for DataVersionTracker (data-versions.ts); otherwise as the URI says.
    ...(opts.monitorCommands ? { monitorCommands: true } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      conn.asPromise(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), timeoutMs);
      }),
    ]);
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    const cause = err as { message?: string; reason?: { servers?: Map<string, { error?: { message?: string } | null }> } };
    // The driver's own reason is per server ("connect ECONNREFUSED 127.0.0.1:27999"); the topology dump is not for operators.
    const serverError = [...(cause.reason?.servers?.values() ?? [])].map((s) => s.error?.message).find(Boolean);
    const detail = (serverError ?? cause.message ?? String(err)).split('\n')[0];
    throw new StartupError(`cannot reach the database server ${databaseHostOf(uri)} within ${Math.round(timeoutMs / 1000)} s (${detail})`);
  } finally {
    clearTimeout(timer);
  }
  // A close asked for (shutdown) is no news; a lost server is.
  conn.on('disconnected', () => {
    if (!(conn as unknown as { _closeCalled?: boolean })._closeCalled) logger?.warn({ dbName }, 'database disconnected');
  });
  conn.on('reconnected', () => logger?.info({ dbName }, 'database reconnected'));
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
