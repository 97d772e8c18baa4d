// The migration runner (billing-subgraph/src/store/migrations/runner.ts): each migration runs once
// per database however often and however many instances start, a failing one is not recorded and
// stops the start with its id, and a claim whose runner died is taken over.
import mongoose from 'mongoose';
import { StartupError } from '../../../platform/src';
import { runMigrations, type Migration, type MigrationRecord } from '../../../billing-subgraph/src/store/migrations';
import { mongoUri, uniqueName } from '../../support/harness';

const fast = { ttlMs: 30_000, maxWaitMs: 20_000, pollMs: 5 };

/** Migrations that count their runs (and can be held inside `up` until the test lets them go). */
function counted(ids: string[], gate?: Promise<void>) {
  const runs = new Map<string, number>();
  const list: Migration[] = ids.map((id, i) => ({
    id,
    description: `step ${id}`,
    async up(conn) {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      if (i === 0 && gate) await gate;
      await conn.collection('touched').updateOne({ _id: id as never }, { $inc: { n: 1 } }, { upsert: true });
    },
  }));
  return { list, runs };
}

async function until(cond: () => Promise<boolean>) {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
}

describe('migration runner', () => {
  let conns: mongoose.Connection[];
  beforeEach(async () => {
    const dbName = uniqueName('t_migrations');
    conns = await Promise.all([0, 1].map(() => mongoose.createConnection(mongoUri(), { dbName }).asPromise()));
  });
  afterEach(async () => {
    await conns[0].dropDatabase();
    await Promise.all(conns.map((c) => c.close()));
  });
  const records = () => conns[0].collection<MigrationRecord>('migrations').find({}).sort({ _id: 1 }).toArray();

  it('runs each migration once: a second start skips what is recorded', async () => {
    const { list, runs } = counted(['0001-a', '0002-b']);
    expect(await runMigrations(conns[0], list, { timing: fast })).toEqual({ ran: ['0001-a', '0002-b'], skipped: [] });
    expect(await runMigrations(conns[0], list, { timing: fast })).toEqual({ ran: [], skipped: ['0001-a', '0002-b'] });
    expect([...runs]).toEqual([['0001-a', 1], ['0002-b', 1]]);
    expect((await records()).map((r) => [r._id, r.state, r.doneAt instanceof Date, r.expiresAt])).toEqual([['0001-a', 'done', true, undefined], ['0002-b', 'done', true, undefined]]);
    // A migration added later runs on the next start, alone.
    const more = counted(['0001-a', '0002-b', '0003-c']);
    expect(await runMigrations(conns[0], more.list, { timing: fast })).toEqual({ ran: ['0003-c'], skipped: ['0001-a', '0002-b'] });
  });

  it('refuses a database a newer version brought forward, naming the migrations it does not know', async () => {
    await runMigrations(conns[0], counted(['0001-a', '0002-b', '0003-c']).list, { timing: fast });
    const older = counted(['0001-a']);
    const err = await runMigrations(conns[1], older.list, { timing: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toBe('the database was brought forward by a newer version (migrations 0002-b, 0003-c are not known to this one); start that version or a later one');
    expect(older.runs.size).toBe(0);
  });

  it('two instances starting at once (two connections): each migration runs once, and neither returns before all are recorded', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { list, runs } = counted(['0001-a', '0002-b', '0003-c'], gate);
    const done: boolean[] = [false, false];
    const both = conns.map((c, i) => runMigrations(c, list, { timing: fast, owner: `instance-${i}` }).then((o) => ((done[i] = true), o)));
    // One holds the first migration's claim; the other is waiting for it, not running it.
    await until(async () => (await records()).some((r) => r._id === '0001-a' && r.state === 'running'));
    await until(async () => runs.get('0001-a') === 1);
    expect(done).toEqual([false, false]);
    open();
    const [x, y] = await Promise.all(both);
    expect([...runs].sort()).toEqual([['0001-a', 1], ['0002-b', 1], ['0003-c', 1]]);
    expect([...x.ran, ...y.ran].sort()).toEqual(['0001-a', '0002-b', '0003-c']);
    expect([...x.skipped, ...y.skipped].sort()).toEqual(['0001-a', '0002-b', '0003-c']);
    expect((await records()).map((r) => r.state)).toEqual(['done', 'done', 'done']);
    expect((await conns[0].collection('touched').find({}).toArray()).map((d) => d.n)).toEqual([1, 1, 1]);
  });

  it('a failing migration is not recorded, stops the start naming it, and runs again on the next start', async () => {
    let broken = true;
    const ran: string[] = [];
    const list: Migration[] = [
      { id: '0001-ok', description: 'fine', up: async () => void ran.push('0001-ok') },
      { id: '0002-bad', description: 'splits the widgets', up: async () => { ran.push('0002-bad'); if (broken) throw new Error('widget w-7 has no name'); } },
      { id: '0003-later', description: 'after it', up: async () => void ran.push('0003-later') },
    ];
    const err = await runMigrations(conns[0], list, { timing: fast }).catch((e) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toBe('migration 0002-bad (splits the widgets) failed: widget w-7 has no name; nothing recorded, fix the cause and start again');
    expect(ran).toEqual(['0001-ok', '0002-bad']);
    expect((await records()).map((r) => [r._id, r.state])).toEqual([['0001-ok', 'done']]);
    broken = false;
    expect(await runMigrations(conns[1], list, { timing: fast })).toEqual({ ran: ['0002-bad', '0003-later'], skipped: ['0001-ok'] });
    expect(ran).toEqual(['0001-ok', '0002-bad', '0002-bad', '0003-later']);
  });

  it('takes over the claim of a runner that died inside a migration; waits out a live one, then says who holds it', async () => {
    const { list, runs } = counted(['0001-a']);
    await conns[0].collection<MigrationRecord>('migrations').insertOne({ _id: '0001-a', state: 'running', owner: 'crashed', description: 'x', expiresAt: new Date(Date.now() - 1), startedAt: new Date(0) });
    expect(await runMigrations(conns[1], list, { timing: fast })).toEqual({ ran: ['0001-a'], skipped: [] });
    expect(runs.get('0001-a')).toBe(1);

    const live = counted(['0001-a', '0002-b']);
    await conns[0].collection<MigrationRecord>('migrations').insertOne({ _id: '0002-b', state: 'running', owner: 'host:42:busy', description: 'x', expiresAt: new Date(Date.now() + 60_000), startedAt: new Date() });
    const err = await runMigrations(conns[1], live.list, { timing: { ...fast, maxWaitMs: 50 } }).catch((e) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toMatch(/^migration 0002-b is being run by host:42:busy and did not finish within 50 ms/);
    expect(live.runs.size).toBe(0);
  });
});
