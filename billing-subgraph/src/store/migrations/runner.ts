import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Collection, Connection } from 'mongoose';
import { StartupError } from '@exchange/platform';

/**
 * One step bringing stored documents forward. `up` must be idempotent: a runner that died inside
 * it leaves its claim to lapse, and the next runner runs the step again from the start.
 */
export interface Migration {
  /** Ordered, never reused: "0001-bill-sub-documents". */
  id: string;
  description: string;
  up(conn: Connection): Promise<void>;
}

/** The record of a migration in the `migrations` collection (`_id` = the migration's id). */
export interface MigrationRecord {
  _id: string;
  state: 'running' | 'done';
  owner: string;
  description: string;
  /** While running: the claim lapses at this instant unless its runner renews it. */
  expiresAt?: Date;
  startedAt: Date;
  doneAt?: Date;
}

export interface MigrationTiming {
  /** A running claim not renewed for this long is taken over (its runner died). */
  ttlMs: number;
  /** How long a starting instance waits for another instance's running migration. */
  maxWaitMs: number;
  pollMs: number;
}

export const DEFAULT_MIGRATION_TIMING: MigrationTiming = { ttlMs: 60_000, maxWaitMs: 15 * 60_000, pollMs: 250 };

export interface MigrationOutcome {
  /** Ids this runner ran (and recorded). */
  ran: string[];
  /** Ids already recorded, by an earlier start or by another instance starting at the same time. */
  skipped: string[];
}

const isDuplicate = (err: unknown) => (err as { code?: unknown }).code === 11000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the migrations not yet recorded, in order, before the service serves. Each is claimed with
 * one single-document atomic write (inserting the record `{_id: id, state: 'running'}`: two
 * instances starting at once collide on the unique _id, one runs it while the other waits for the
 * record to say done). A migration that throws is not recorded (its claim is deleted) and start
 * stops with a StartupError naming it. No multi-document transactions: MongoDB and FerretDB alike.
 */
export async function runMigrations(
  conn: Connection,
  migrations: readonly Migration[],
  opts: { timing?: MigrationTiming; owner?: string; log?: (msg: string) => void } = {},
): Promise<MigrationOutcome> {
  const timing = opts.timing ?? DEFAULT_MIGRATION_TIMING;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID()}`;
  const records = conn.collection<MigrationRecord>('migrations') as unknown as Collection<MigrationRecord>;
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new StartupError(`migration ${m.id} is listed twice`);
    ids.add(m.id);
  }
  // A database a newer version brought forward holds forms this version cannot read: refuse
  // rather than misread them (running an older version needs that version's database).
  const unknown = (await records.find({ state: 'done' }, { projection: { _id: 1 } }).toArray()).map((r) => r._id).filter((id) => !ids.has(id));
  if (unknown.length) {
    throw new StartupError(`the database was brought forward by a newer version (migrations ${unknown.sort().join(', ')} are not known to this one); start that version or a later one`);
  }
  const outcome: MigrationOutcome = { ran: [], skipped: [] };
  for (const m of migrations) {
    let recorded = false;
    // A claim that lapsed while its step ran (a stalled process) is claimed again: the step is
    // idempotent, and no later step starts before this one is recorded.
    while (!recorded && (await claim(records, m, owner, timing))) recorded = await runClaimed(records, conn, m, owner, timing);
    if (recorded) {
      opts.log?.(`migration ${m.id} done: ${m.description}`);
      outcome.ran.push(m.id);
    } else {
      outcome.skipped.push(m.id);
    }
  }
  return outcome;
}

/** True when `owner` now holds the migration's claim; false when it is recorded done. */
async function claim(records: Collection<MigrationRecord>, m: Migration, owner: string, timing: MigrationTiming): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    const now = new Date();
    try {
      await records.insertOne({ _id: m.id, state: 'running', owner, description: m.description, expiresAt: new Date(now.getTime() + timing.ttlMs), startedAt: now });
      return true;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const held = await records.findOne({ _id: m.id });
    if (held?.state === 'done') return false;
    if (held) {
      // The holder died (stopped renewing): one conditional update takes the claim over.
      const taken = await records.findOneAndUpdate(
        { _id: m.id, state: 'running', expiresAt: { $lt: now } },
        { $set: { owner, expiresAt: new Date(now.getTime() + timing.ttlMs), startedAt: now } },
        { returnDocument: 'after' },
      );
      if (taken && (taken as { owner?: string }).owner === owner) return true;
    }
    if (Date.now() - started > timing.maxWaitMs) {
      throw new StartupError(`migration ${m.id} is being run by ${held?.owner ?? 'another instance'} and did not finish within ${timing.maxWaitMs} ms; start again when it has`);
    }
    await sleep(timing.pollMs);
  }
}

/** Runs a claimed step; true when this runner recorded it, false when its claim lapsed meanwhile. */
async function runClaimed(records: Collection<MigrationRecord>, conn: Connection, m: Migration, owner: string, timing: MigrationTiming): Promise<boolean> {
  const renew = setInterval(() => {
    void records.updateOne({ _id: m.id, owner, state: 'running' }, { $set: { expiresAt: new Date(Date.now() + timing.ttlMs) } }).catch(() => undefined);
  }, Math.max(10, Math.floor(timing.ttlMs / 3)));
  renew.unref();
  try {
    await m.up(conn);
  } catch (err) {
    // Not recorded: the next start runs it again (it is idempotent).
    await records.deleteOne({ _id: m.id, owner, state: 'running' }).catch(() => undefined);
    throw new StartupError(`migration ${m.id} (${m.description}) failed: ${(err as Error)?.message ?? String(err)}; nothing recorded, fix the cause and start again`);
  } finally {
    clearInterval(renew);
  }
  const done = await records.updateOne({ _id: m.id, owner, state: 'running' }, { $set: { state: 'done', doneAt: new Date() }, $unset: { expiresAt: '' } });
  return done.matchedCount === 1;
}
