import { backoffMs, firstDuplicate } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Schema, type Connection, type Model } from 'mongoose';
import { DEFAULT_LEASE_TIMING, leaseRenewEveryMs, type LeaseTiming } from '../domain/lease-timing';
import { SCHEMA_OPTIONS } from './schema-options';

/**
 * Database leases: a key is held by whoever holds the document `{_id: key, owner, expiresAt}` of
 * the `leases` collection, so every billing process on one database takes turns, not just the
 * callers of one process. Every step is one single-document atomic write: acquiring inserts the
 * document (two acquirers of a free key collide on the unique _id, one wins), taking over a lease
 * whose holder died is `findOneAndUpdate({_id, expiresAt < now})` (one winner: the engine applies
 * conditional updates atomically, across processes on PostgreSQL too), renewing and releasing
 * match the owner, so a holder never extends or drops a lease someone else took over.
 *
 * Several keys are acquired in sorted order (one ordered insert stops at the first held key): any
 * two acquirers meet at their first common key, so no two ever wait on each other (no deadlock).
 */
export interface LeaseDoc {
  _id: string;
  owner: string;
  /**
   * The in-process queue the holder took its turn in (see withLeases' `group`): a lease of the
   * caller's own group is one a finished turn failed to release (its delete was lost with the
   * connection), so the next turn takes it over at once instead of waiting out the ttl.
   */
  group?: string;
  expiresAt: Date;
}

export function leaseModel(conn: Connection): Model<LeaseDoc> {
  const lease = new Schema<LeaseDoc>({ _id: { type: String, required: true }, owner: String, group: String, expiresAt: Date }, SCHEMA_OPTIONS);
  return conn.model<LeaseDoc>('Lease', lease, 'leases');
}

/** Thrown when a key stayed held by someone else for longer than the timing's maxWaitMs. */
export class LeaseBusyError extends Error {
  constructor(
    readonly key: string,
    readonly holder: string | null,
    waitedMs: number,
  ) {
    super(`lease ${key} is held by ${holder ?? 'another process'}: not acquired after ${waitedMs} ms; retry later`);
  }
}

/** This process's name in lease documents; each acquisition adds its own id. */
const PROCESS = `${hostname()}:${process.pid}`;
export const newLeaseOwner = () => `${PROCESS}:${randomUUID()}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Acquires every key (sorted, unique) for `owner`, waiting with backoff while another owner holds
 * one; throws LeaseBusyError (having released what it took) after timing.maxWaitMs.
 */
export async function acquireLeases(Lease: Model<LeaseDoc>, keys: readonly string[], owner: string, timing: LeaseTiming = DEFAULT_LEASE_TIMING, group?: string): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  const started = Date.now();
  let i = 0;
  let attempt = 0;
  try {
    while (i < sorted.length) {
      const expiresAt = new Date(Date.now() + timing.ttlMs);
      try {
        await Lease.collection.insertMany(sorted.slice(i).map((k) => ({ _id: k, owner, ...(group ? { group } : {}), expiresAt })) as never[], { ordered: true });
        return;
      } catch (err) {
        const at = firstDuplicate(err);
        if (at === null) throw err;
        // Ordered: the keys before the refused one are ours now.
        i += at;
      }
      // sorted[i] is held: a lease that lapsed (its holder died or stalled) is taken over.
      // So is one left behind by an earlier turn of the caller's own queue (the caller holds that turn now).
      const free = group ? { $or: [{ expiresAt: { $lt: new Date() } }, { group }] } : { expiresAt: { $lt: new Date() } };
      const took = await Lease.findOneAndUpdate({ _id: sorted[i], ...free }, { $set: { owner, ...(group ? { group } : {}), expiresAt: new Date(Date.now() + timing.ttlMs) } }, { returnDocument: 'after' }).lean().exec();
      if (took?.owner === owner) {
        i++;
        attempt = 0;
        continue;
      }
      const waited = Date.now() - started;
      if (waited >= timing.maxWaitMs) {
        const holder = await Lease.findById(sorted[i]).lean().exec();
        throw new LeaseBusyError(sorted[i], holder?.owner ?? null, waited);
      }
      await sleep(backoffMs(++attempt, { baseMs: timing.baseDelayMs, maxMs: timing.maxDelayMs, jitter: Math.random }));
    }
  } catch (err) {
    await releaseLeases(Lease, sorted.slice(0, i), owner).catch(() => undefined);
    throw err;
  }
}

/** Extends the owner's leases; returns how many it still held (fewer: some lapsed and were taken over). */
export async function renewLeases(Lease: Model<LeaseDoc>, keys: readonly string[], owner: string, ttlMs: number): Promise<number> {
  const res = await Lease.updateMany({ _id: { $in: [...keys] }, owner }, { $set: { expiresAt: new Date(Date.now() + ttlMs) } }).exec();
  return res.matchedCount;
}

/** Drops the owner's leases (never one another owner took over). */
export async function releaseLeases(Lease: Model<LeaseDoc>, keys: readonly string[], owner: string): Promise<void> {
  if (keys.length === 0) return;
  await Lease.deleteMany({ _id: { $in: [...keys] }, owner }).exec();
}

/**
 * Runs `work` holding the leases of `keys`, renewed every ttl/3 while it runs (a long batch keeps
 * its keys), released after. `group` names an in-process queue that already serialises its callers
 * on these keys: only a caller holding its turn in that queue may pass it. A renewal that finds a lease lost (the process stalled for a whole
 * ttl) is reported through `onLost`: the work cannot be undone from here, so it must be loud.
 */
export async function withLeases<T>(
  Lease: Model<LeaseDoc>,
  keys: readonly string[],
  work: () => Promise<T>,
  opts: { timing?: LeaseTiming; onLost?: (lost: number) => void; group?: string } = {},
): Promise<T> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return work();
  const timing = opts.timing ?? DEFAULT_LEASE_TIMING;
  const owner = newLeaseOwner();
  await acquireLeases(Lease, unique, owner, timing, opts.group);
  let renewing: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renewLeases(Lease, unique, owner, timing.ttlMs).then(
      (held) => {
        if (held < unique.length) opts.onLost?.(unique.length - held);
      },
      () => undefined, // a failed renewal is retried at the next beat; the lease outlives two misses
    );
  }, leaseRenewEveryMs(timing.ttlMs));
  heartbeat.unref();
  let failure: { err: unknown } | null = null;
  try {
    return await work();
  } catch (err) {
    failure = { err };
    throw err;
  } finally {
    clearInterval(heartbeat);
    await renewing;
    // After the connection to the database broke, a release sent at once raced the driver's
    // reconnection and stalled it (failure/db-drop test): the leases are left to lapse instead —
    // this queue's next turn takes them over at once, other instances after the ttl. A release
    // that fails otherwise is harmless for the same reason.
    if (!failure || !isConnectionFailure(failure.err)) await releaseLeases(Lease, unique, owner).catch(() => undefined);
  }
}

const CONNECTION_FAILURES = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoPoolClearedError', 'MongoTopologyClosedError']);

/** Whether an error (or one it wraps) is the database connection failing, not the work's own error. */
function isConnectionFailure(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown; hasErrorLabel?: (l: string) => boolean } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.name === 'string' && CONNECTION_FAILURES.has(e.name)) return true;
    // A bulk write cut off by the connection carries the driver's labels rather than its class.
    if (typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('ResetPool') || e.hasErrorLabel('NetworkError'))) return true;
  }
  return false;
}
