import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';

// Data versions: what lets the gateway keep whole answers (gateway/src/response-cache.ts) without
// ever serving one that a committed write has made stale.
//
// Every write command a subgraph sends to its database (insert, update, delete, findAndModify —
// from a resolver, a worker or a migration alike) gives its collection a new random version in one
// Redis hash, after the command has finished and before the GraphQL answer of the request that
// wrote goes out. The read commands one GraphQL request sends are noted, and the subgraph names the
// collections it read in a response header. The gateway reads the hash before it executes an
// operation and keeps the answer with the versions of the collections its subgraphs read; an
// identical request of the same caller is answered from it while each of those is unchanged.
//
// The driver's command monitoring sees every command (mongoose models, raw collections, cursors'
// getMore) in the async context of the code that sent it, so no query can be missed by a model
// that forgot to declare what it reads. Versions are random, never counters: a Redis that lost
// the hash (restart, flush) cannot give an old answer's version back.

/** The response header with the collections a GraphQL request read: `<store id> <db.coll>,<db.coll>`. */
export const DATA_READS_HEADER = 'x-exchange-data-reads';
/** The hash field naming the store: a subgraph using another Redis than the gateway is never cached. */
export const STORE_FIELD = '_store';
/** The Redis hash of versions, under the deployment's key prefix (PUBSUB_PREFIX). */
export const dataVersionsKey = (prefix: string) => `${prefix}data-versions`;

const READS: Record<string, (command: Record<string, unknown>) => unknown> = {
  find: (c) => c.find,
  aggregate: (c) => c.aggregate,
  count: (c) => c.count,
  distinct: (c) => c.distinct,
  getMore: (c) => c.collection,
};
const WRITES: Record<string, (command: Record<string, unknown>) => unknown> = {
  insert: (c) => c.insert,
  update: (c) => c.update,
  delete: (c) => c.delete,
  findAndModify: (c) => c.findAndModify,
  // Collection-level changes: whatever was read from them before is gone.
  drop: (c) => c.drop,
  create: (c) => c.create,
};

/** What one GraphQL request of a subgraph has read, and whether it wrote or read state kept outside the database. */
interface Scope {
  reads: Set<string>;
  /** One promise per write command sent: settled once its collection's new version is in Redis. */
  writes: Promise<void>[];
  /** Read state that no collection version covers (process memory): the answer is not to be kept. */
  opaque: boolean;
  /**
   * The answer has gone out. Work the request started keeps its async context (a worker kicked by
   * a mutation, and the timers it sets itself): its commands are no longer this request's.
   */
  closed: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * Called by a resolver that answers from state held in process memory (a routing table, trunk
 * lists): no collection version covers it, so the gateway must not keep the answer.
 */
export function answerFromMemory(): void {
  const scope = scopes.getStore();
  if (scope) scope.opaque = true;
}

/** `db.collection`: the field of one collection's version. */
const fieldOf = (db: string, collection: unknown) => (typeof collection === 'string' && collection ? `${db}.${collection}` : undefined);

/** How long a GraphQL answer waits for its writes' new versions to reach Redis before it goes out anyway. */
const SETTLE_TIMEOUT_MS = 1_000;
/** How often a tracker asks Redis for the store id again: without one (Redis down at its start), and with one (the hash may have been lost). */
const RELEARN_EVERY_MS = 5_000;
const REFRESH_EVERY_MS = 60_000;

export interface DataVersionTrackerOptions {
  redisUrl: string;
  prefix: string;
  logger?: Logger;
}

/** The subgraph side: notes reads per GraphQL request and publishes new versions after writes. */
export class DataVersionTracker {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly logger?: Logger;
  /** This store's id as Redis holds it ('' until learned; learned again with every flush and every minute). */
  private store = '';
  /** Collections written since the last flush, and who waits for their new versions. */
  private readonly pending = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  /** Write commands sent and not yet answered, by connection and request id. */
  private readonly writing = new Map<string, { field: string; done?: () => void }>();
  private flushing?: Promise<void>;
  private retryMs = 0;
  private closed = false;
  private lastLearn = 0;

  constructor(opts: DataVersionTrackerOptions) {
    this.key = dataVersionsKey(opts.prefix);
    this.logger = opts.logger;
    this.redis = new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true, retryStrategy: (n: number) => Math.min(n * 200, 2000) });
    this.redis.on('error', (err) => this.logger?.warn({ err: err.message }, 'redis error (data versions)'));
  }

  /** Joins (or founds) the store: the first tracker's id wins and every other learns it. Without Redis, answers are just not kept. */
  async start(): Promise<void> {
    this.lastLearn = Date.now();
    try {
      await this.exchange(this.redis.multi());
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'data versions unavailable for now: gateways will not keep answers of this subgraph until Redis answers');
    }
  }

  /** Runs a pipeline that (re)claims the store id and reads it back; returns the pipeline's results. */
  private async exchange(pipe: ReturnType<Redis['multi']>): Promise<[Error | null, unknown][]> {
    // A hash that was lost (Redis restarted without persistence, flushed) comes back under a NEW
    // store id, so every answer a gateway kept before the loss is stale: a version written after
    // it was kept and then lost would otherwise look unchanged.
    pipe.hsetnx(this.key, STORE_FIELD, randomBytes(9).toString('base64url'));
    pipe.hget(this.key, STORE_FIELD);
    const out = ((await pipe.exec()) ?? []) as [Error | null, unknown][];
    const failed = out.find(([err]) => err);
    if (failed) throw failed[0];
    this.store = String(out[out.length - 1]?.[1] ?? '');
    return out;
  }

  /**
   * Watches every command of `conn`'s client. The connection must have been opened with
   * `monitorCommands: true` (connectDatabase's `monitorCommands` option).
   */
  track(conn: Connection): void {
    const client = conn.getClient();
    const idOf = (e: { connectionId?: unknown; requestId: number }) => `${String(e.connectionId)}|${e.requestId}`;
    client.on('commandStarted', (e) => {
      const command = e.command as Record<string, unknown>;
      const current = scopes.getStore();
      const scope = current && !current.closed ? current : undefined;
      const write = WRITES[e.commandName];
      if (write) {
        const field = fieldOf(e.databaseName, write(command));
        if (!field) return;
        const entry: { field: string; done?: () => void } = { field };
        if (scope) scope.writes.push(new Promise<void>((r) => (entry.done = r)));
        this.writing.set(idOf(e), entry);
        return;
      }
      const read = READS[e.commandName];
      const field = read && scope && fieldOf(e.databaseName, read(command));
      if (field) scope.reads.add(field);
    });
    // Succeeded or failed: a failed write may still have changed documents (an unordered insert).
    const finished = (e: { connectionId?: unknown; requestId: number }) => {
      const id = idOf(e);
      const entry = this.writing.get(id);
      if (!entry) return;
      this.writing.delete(id);
      this.pending.add(entry.field);
      if (entry.done) this.waiting.push(entry.done);
      this.schedule();
    };
    client.on('commandSucceeded', finished);
    client.on('commandFailed', finished);
  }

  /** Runs one GraphQL request's execution, noting what it reads. */
  run<T>(fn: () => T): T {
    return scopes.run({ reads: new Set(), writes: [], opaque: false, closed: false }, fn);
  }

  /**
   * The header value for the request running now, or undefined when its answer must not be kept
   * (it read process memory, or it is not running under `run`). Waits first until the request's
   * own writes carry new versions, so a caller who reads after a mutation's answer never gets an
   * answer kept from before it.
   */
  async finish(): Promise<string | undefined> {
    const scope = scopes.getStore();
    if (!scope) return undefined;
    if (scope.writes.length) {
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        Promise.all(scope.writes).then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), SETTLE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (late) this.logger?.error('new data versions not published within 1 s: answers kept by gateways may be stale until their time limit');
    }
    scope.closed = true;
    const since = Date.now() - this.lastLearn;
    if (!this.closed && (since > REFRESH_EVERY_MS || (!this.store && since > RELEARN_EVERY_MS))) void this.start();
    if (scope.opaque || !this.store) return undefined;
    return `${this.store} ${[...scope.reads].join(',')}`;
  }

  private schedule(): void {
    if (this.flushing || this.closed) return;
    this.flushing = new Promise<void>((r) => (this.retryMs ? setTimeout(r, this.retryMs) : setImmediate(r))).then(() => this.flush());
  }

  /** One pipeline per turn for every collection written in it; kept and retried while Redis refuses. */
  private async flush(): Promise<void> {
    const fields = [...this.pending];
    const done = this.waiting.splice(0);
    this.pending.clear();
    const version = randomBytes(9).toString('base64url');
    try {
      await this.exchange(this.redis.multi().hset(this.key, Object.fromEntries(fields.map((f) => [f, version]))));
      this.retryMs = 0;
      for (const d of done) d();
    } catch (err) {
      for (const f of fields) this.pending.add(f);
      this.waiting.push(...done);
      this.retryMs = Math.min((this.retryMs || 50) * 2, 2_000);
      this.logger?.warn({ err: (err as Error).message, collections: fields }, 'could not publish new data versions; retrying');
    } finally {
      this.flushing = undefined;
      if (this.pending.size) this.schedule();
    }
  }

  /** Publishes what is pending (for at most SETTLE_TIMEOUT_MS), then disconnects. */
  async close(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while ((this.pending.size || this.flushing) && Date.now() < deadline) await (this.flushing ?? new Promise((r) => setTimeout(r, 20)));
    this.closed = true;
    this.redis.disconnect();
  }
}

/** The tracker a subgraph runs: with a Redis (REDIS_URL) and DATA_VERSIONS on; otherwise gateways keep none of its answers. */
export function dataVersionTrackerFor(config: { REDIS_URL?: string; PUBSUB_PREFIX: string; DATA_VERSIONS: boolean }, logger?: Logger): DataVersionTracker | undefined {
  return config.REDIS_URL && config.DATA_VERSIONS ? new DataVersionTracker({ redisUrl: config.REDIS_URL, prefix: config.PUBSUB_PREFIX, logger }) : undefined;
}

/** A subgraph answer's DATA_READS_HEADER: the store it publishes versions in and the collections it read. */
export function parseDataReads(header: string | undefined): { store: string; fields: string[] } | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  return { store: header.slice(0, space), fields: header.slice(space + 1).split(',').filter(Boolean) };
}

/** The gateway side: reads versions (the whole hash before an operation runs, some fields to check a kept answer). */
export class DataVersionReader {
  private readonly redis: Redis;
  private readonly key: string;

  constructor(opts: DataVersionTrackerOptions) {
    this.key = dataVersionsKey(opts.prefix);
    // No queue while disconnected and a bound on every command: an answer that cannot be checked
    // is simply executed (a Redis outage must not stall queries).
    this.redis = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      retryStrategy: (n: number) => Math.min(n * 200, 2000),
    });
    this.redis.on('error', (err) => opts.logger?.warn({ err: err.message }, 'redis error (data versions)'));
  }

  /** Resolves once connected, or after `timeoutMs` (until then answers are executed and not kept). */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      new Promise<boolean>((r) => this.redis.once('ready', () => r(true))),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return connected;
  }

  /** Every version now (STORE_FIELD included); undefined when Redis does not answer. */
  async snapshot(): Promise<Record<string, string> | undefined> {
    try {
      return await this.redis.hgetall(this.key);
    } catch {
      return undefined;
    }
  }

  /** The store id and the current versions of `fields` (null: never written); undefined when Redis does not answer. */
  async current(fields: readonly string[]): Promise<{ store: string | null; versions: (string | null)[] } | undefined> {
    try {
      const [store, ...versions] = await this.redis.hmget(this.key, STORE_FIELD, ...fields);
      return { store, versions };
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
