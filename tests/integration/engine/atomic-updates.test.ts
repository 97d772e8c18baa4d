// MongoDB makes every single-document write atomic and the services rely on it (conditional
// state changes, counters). The embedded engine is patched for it (tools/ferretdb/patches/0002);
// these run on whichever backend the run uses (.ci/run: SQLite and PostgreSQL).
import { execFileSync } from 'node:child_process';
import mongoose from 'mongoose';
import { mongoUri, uniqueName } from '../../support/harness';

const { MongoClient } = mongoose.mongo;

let client: InstanceType<typeof MongoClient>;
let dbName: string;

beforeAll(async () => {
  // A pool as large as the concurrency, so the writes really are in flight together.
  client = new MongoClient(mongoUri(), { maxPoolSize: 50 });
  await client.connect();
  dbName = uniqueName('t_atomic');
});

afterAll(async () => {
  await client.db(dbName).dropDatabase().catch(() => undefined);
  await client.close();
});

test('50 concurrent $inc on one document lose no increment', async () => {
  const c = client.db(dbName).collection('counters');
  await c.insertOne({ _id: 'c' as any, n: 0 });
  await Promise.all(Array.from({ length: 50 }, () => c.updateOne({ _id: 'c' as any }, { $inc: { n: 1 } })));
  expect((await c.findOne({ _id: 'c' as any }))?.n).toBe(50);
});

test('20 concurrent conditional updateOne: exactly one modifies', async () => {
  const c = client.db(dbName).collection('requests');
  await c.insertOne({ _id: 'r' as any, status: 'OPEN' });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => c.updateOne({ _id: 'r' as any, status: 'OPEN' }, { $set: { status: 'AWARDED', winner: i } })),
  );
  expect(results.reduce((n, r) => n + r.modifiedCount, 0)).toBe(1);
});

test('20 concurrent findOneAndUpdate on a condition: exactly one gets the document', async () => {
  const c = client.db(dbName).collection('leases');
  await c.insertOne({ _id: 'l' as any, holder: null, version: 0 });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      c.findOneAndUpdate({ _id: 'l' as any, holder: null }, { $set: { holder: `w${i}` }, $inc: { version: 1 } }, { returnDocument: 'after' }),
    ),
  );
  const winners = results.filter((r) => r !== null);
  expect(winners).toHaveLength(1);
  expect((await c.findOne({ _id: 'l' as any }))?.version).toBe(1);
});

test('concurrent $inc on many documents by a non-_id filter', async () => {
  const c = client.db(dbName).collection('totals');
  await c.createIndex({ key: 1 });
  await c.insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: `t${i}` as any, key: `k${i}`, calls: 0 })));
  await Promise.all(Array.from({ length: 100 }, (_, i) => c.updateOne({ key: `k${i % 5}` }, { $inc: { calls: 1 } })));
  const docs = await c.find({}).toArray();
  expect(docs.map((d) => d.calls)).toEqual([20, 20, 20, 20, 20]);
});

test('a conditional delete does not remove a document another writer just changed', async () => {
  const c = client.db(dbName).collection('claims');
  for (let round = 0; round < 10; round++) {
    await c.deleteMany({});
    await c.insertOne({ _id: 'x' as any, state: 'EXPIRED' });
    // Renewal and sweep race: either the sweep deletes the expired claim first (then the
    // renewal finds nothing), or the renewal wins and the renewed claim must survive.
    const [renew, sweep] = await Promise.all([
      c.updateOne({ _id: 'x' as any, state: 'EXPIRED' }, { $set: { state: 'HELD' } }),
      c.deleteOne({ _id: 'x' as any, state: 'EXPIRED' }),
    ]);
    expect(renew.modifiedCount + sweep.deletedCount).toBe(1);
    const left = await c.findOne({ _id: 'x' as any });
    expect(left ? left.state : 'gone').toBe(renew.modifiedCount ? 'HELD' : 'gone');
  }
});

// Several FerretDB processes may serve one PostgreSQL database (production scales the engine
// out that way); the write lock of patch 0002 is then PostgreSQL's own advisory lock, not a
// process-local one. SQLite storage belongs to one process (the launcher's data-directory lock).
const dbState = JSON.parse(process.env.TEST_DB_STATE ?? '{}');
const onPostgreSQL = dbState.backend === 'postgresql' ? describe : describe.skip;

onPostgreSQL('two engine processes on one PostgreSQL database', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startFerretDB } = require('../../../tools/lib/ferretdb');
  const pgDb = `atomic2_${process.pid}_${Date.now()}`;
  let engines: { uri: string; stop: () => Promise<void> }[] = [];
  let clients: InstanceType<typeof MongoClient>[] = [];

  beforeAll(async () => {
    execFileSync('psql', [`${dbState.pgBase}/postgres`, '-q', '-c', `CREATE DATABASE ${pgDb}`]);
    engines = await Promise.all([0, 1].map(() => startFerretDB({ postgresqlUrl: `${dbState.pgBase}/${pgDb}` })));
    clients = engines.map((e) => new MongoClient(e.uri, { maxPoolSize: 25 }));
    await Promise.all(clients.map((c) => c.connect()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(engines.map((e) => e.stop()));
    execFileSync('psql', [`${dbState.pgBase}/postgres`, '-q', '-c', `DROP DATABASE IF EXISTS ${pgDb}`]);
  });

  const coll = (i: number, name: string) => clients[i % 2].db('shared').collection<any>(name);

  test('50 concurrent $inc split across both processes lose no increment', async () => {
    await coll(0, 'counters').insertOne({ _id: 'c', n: 0 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => coll(i, 'counters').updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
    expect((await coll(1, 'counters').findOne({ _id: 'c' }))?.n).toBe(50);
    expect((await coll(0, 'counters').findOne({ _id: 'c' }))?.n).toBe(50);
  });

  test('20 conditional flips OPEN -> AWARDED racing across both processes: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `r${round}`;
      await coll(0, 'requests').insertOne({ _id: id, status: 'OPEN' });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 4 === 0
            ? coll(i, 'requests')
                .findOneAndUpdate({ _id: id, status: 'OPEN' }, { $set: { status: 'AWARDED', winner: i } })
                .then((r) => (r ? 1 : 0))
            : coll(i, 'requests')
                .updateOne({ _id: id, status: 'OPEN' }, { $set: { status: 'AWARDED', winner: i } })
                .then((r) => r.modifiedCount),
        ),
      );
      expect(results.reduce((n: number, r) => n + r, 0)).toBe(1);
      const doc = await coll(1, 'requests').findOne({ _id: id });
      expect(doc?.status).toBe('AWARDED');
      expect(results[doc?.winner]).toBe(1);
    }
  });
});
