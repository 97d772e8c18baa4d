// The patched engine's pushdown (tools/ferretdb/patches/0001) and ordered inserts (0003) against
// MongoDB's own rules, written out in tests/support/mongo-order.ts (exact comparison of Int32,
// Int64 and Double, type brackets, arrays) rather than FerretDB's Go evaluation, which shares the
// engine's storage format: tiny doubles stored in exponent form, huge doubles and Longs beyond
// 2^53, field names SQLite reads as its own, $in lists longer than a statement's parameters, and
// an ordered insertMany that fails half-way. Runs on whichever backend the run uses (.ci/run: both).
import fc from 'fast-check';
import mongoose from 'mongoose';
import { mongoUri, uniqueName } from '../../support/harness';
import { matches, sortDocs } from '../../support/mongo-order';

const { MongoClient, Long, Double } = mongoose.mongo;

const P60 = 2n ** 60n;
const P53 = 2n ** 53n;
// Every BSON number type, with equal values of different types and the values whose stored text
// misorders: exponent-form doubles below 1e-6 and from 1e21, and integers beyond 2^53.
const numbers: unknown[] = [
  0,
  new Double(0),
  new Double(-0),
  5e-7,
  1e-7,
  5e-324,
  2e-300,
  9.9e-7,
  1e-6,
  -5e-7,
  0.1,
  0.5,
  1,
  new Double(1),
  Long.fromNumber(1),
  5,
  new Double(5),
  Long.fromNumber(5),
  9,
  10,
  99.5,
  Long.fromBigInt(P53),
  new Double(2 ** 53),
  Long.fromBigInt(P53 + 1n),
  2 ** 53 + 2,
  Long.fromBigInt(P60),
  new Double(2 ** 60),
  Long.fromBigInt(P60 + 1n),
  Long.fromBigInt(P60 - 1n),
  Long.fromBigInt(P60 + 256n),
  1e21,
  -(2 ** 60),
  Long.fromBigInt(-P60),
];
const others: unknown[] = ['x', '5', new Date('2026-11-01T00:00:00Z'), true, null];
const scalarArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...numbers) }, { weight: 1, arbitrary: fc.constantFrom(...others) });
const valueArb = fc.oneof({ weight: 6, arbitrary: scalarArb }, { weight: 1, arbitrary: fc.array(fc.constantFrom(...numbers), { maxLength: 3 }) });
const numArb = fc.constantFrom(...numbers);
const condArb = fc.oneof(
  numArb,
  numArb.map((v) => ({ $eq: v })),
  fc.array(numArb, { minLength: 1, maxLength: 4 }).map((v) => ({ $in: v })),
  fc.tuple(numArb, numArb, fc.boolean(), fc.boolean()).map(([lo, hi, gtE, ltE]) => ({ [gtE ? '$gte' : '$gt']: lo, [ltE ? '$lte' : '$lt']: hi })),
  numArb.map((v) => ({ $gte: v })),
  numArb.map((v) => ({ $lt: v })),
);

let client: InstanceType<typeof MongoClient>;
let dbName: string;

beforeAll(async () => {
  client = new MongoClient(mongoUri());
  await client.connect();
  dbName = uniqueName('t_semantics');
});

afterAll(async () => {
  await client.db(dbName).dropDatabase().catch(() => undefined);
  await client.close();
});

const coll = (name: string) => client.db(dbName).collection<any>(name);

async function ids(name: string, filter: Record<string, unknown>): Promise<string[]> {
  const docs = await coll(name).find(filter, { projection: { _id: 1 } }).toArray();
  return docs.map((d) => String(d._id)).sort();
}

function expectedIds(docs: Record<string, unknown>[], filter: Record<string, unknown>): string[] {
  return docs
    .filter((d) => matches(d, filter))
    .map((d) => String(d._id))
    .sort();
}

test('the oracle itself: exact number comparison across types', () => {
  expect(matches({ a: Long.fromBigInt(P60) }, { a: new Double(2 ** 60) })).toBe(true);
  expect(matches({ a: Long.fromBigInt(P60 + 1n) }, { a: new Double(2 ** 60) })).toBe(false);
  expect(matches({ a: Long.fromBigInt(P60 + 1n) }, { a: { $gt: new Double(2 ** 60) } })).toBe(true);
  expect(matches({ a: 5e-7 }, { a: { $gte: 0, $lte: 1 } })).toBe(true);
  expect(matches({ a: 'x' }, { a: { $gte: 0 } })).toBe(false);
  expect(matches({ a: [1, 5e-7] }, { a: { $lt: 1e-6 } })).toBe(true);
});

test('generated number filters over every BSON number type: find, count, update and delete give MongoDB’s answer', async () => {
  const c = coll('numbers');
  await c.createIndex({ a: 1 });
  await c.createIndex({ b: 1 });
  const docs = fc.sample(fc.record({ a: valueArb, b: valueArb }, { requiredKeys: [] }), { numRuns: 300, seed: 23 }).map((d, i) => ({ _id: `n${String(i).padStart(3, '0')}`, ...d }));
  // A few _ids that are numbers too: Long and Double of one value are one key.
  await c.insertMany(docs as any[]);

  let nonEmpty = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('a', 'b'), condArb, async (field, cond) => {
      const filter = { [field]: cond };
      const expected = expectedIds(docs, filter);
      if (expected.length) nonEmpty++;
      expect(await ids('numbers', filter)).toEqual(expected);
      expect(await c.countDocuments(filter)).toBe(expected.length);
    }),
    { numRuns: 400, seed: 29 },
  );
  expect(nonEmpty).toBeGreaterThan(100);

  // Writes select through the same pushdown.
  await fc.assert(
    fc.asyncProperty(condArb, async (cond) => {
      const filter = { a: cond };
      const expected = expectedIds(docs, filter);
      const tag = `t${Math.random()}`;
      const upd = await c.updateMany(filter, { $set: { tag } });
      expect(upd.matchedCount).toBe(expected.length);
      expect(await ids('numbers', { tag })).toEqual(expected);
    }),
    { numRuns: 60, seed: 31 },
  );
  const rangeFilter = { a: { $gte: 0, $lte: 1 } };
  const expected = expectedIds(docs, rangeFilter);
  expect(expected.length).toBeGreaterThan(5);
  expect((await c.deleteMany(rangeFilter)).deletedCount).toBe(expected.length);
  expect(await c.countDocuments(rangeFilter)).toBe(0);
});

test('the issue’s cases: tiny doubles in a range, Long and Double beyond 2^53, by value and by _id', async () => {
  const c = coll('issue');
  await c.createIndex({ amount: 1 });
  await c.insertMany([
    { _id: 'tiny', amount: 5e-7 },
    { _id: 'half', amount: 0.5 },
    { _id: 'sub', amount: 5e-324 },
    { _id: 'neg', amount: -5e-7 },
    { _id: 'big-d', amount: new Double(2 ** 60) },
    { _id: 'big-l', amount: Long.fromBigInt(P60) },
    { _id: 'big-l1', amount: Long.fromBigInt(P60 + 1n) },
  ] as any[]);
  expect(await ids('issue', { amount: { $gte: 0, $lte: 1 } })).toEqual(['half', 'sub', 'tiny']);
  expect(await ids('issue', { amount: { $gte: -0, $lte: 1 } })).toEqual(['half', 'sub', 'tiny']);
  expect(await ids('issue', { amount: { $gt: 0, $lt: 1e-6 } })).toEqual(['sub', 'tiny']);
  expect(await c.countDocuments({ amount: { $gte: 0, $lte: 1 } })).toBe(3);
  expect(await ids('issue', { amount: Long.fromBigInt(P60) })).toEqual(['big-d', 'big-l']);
  expect(await ids('issue', { amount: new Double(2 ** 60) })).toEqual(['big-d', 'big-l']);
  expect(await ids('issue', { amount: { $in: [Long.fromBigInt(P60 + 1n)] } })).toEqual(['big-l1']);
  expect(await ids('issue', { amount: { $gt: Long.fromBigInt(P60) } })).toEqual(['big-l1']);
  expect(await ids('issue', { amount: { $gte: new Double(2 ** 60), $lte: Long.fromBigInt(P60) } })).toEqual(['big-d', 'big-l']);

  // An upsert whose range holds a stored tiny double updates it.
  const up = await c.updateOne({ amount: { $gte: 0, $lte: 1e-6 }, _id: 'tiny' }, { $set: { seen: true } }, { upsert: true });
  expect([up.matchedCount, up.upsertedCount]).toEqual([1, 0]);
  const upRange = await c.updateOne({ amount: { $gt: 0, $lt: 1e-6 } }, { $inc: { hits: 1 } }, { upsert: true });
  expect([upRange.matchedCount, upRange.upsertedCount]).toEqual([1, 0]);
  expect(await c.countDocuments({ hits: 1 })).toBe(1);

  // Long and Double of one value are one _id: an upsert by the other type updates, never inserts.
  const ids64 = coll('ids64');
  await ids64.insertOne({ _id: new Double(2 ** 60) as any, v: 1 });
  const byLong = await ids64.updateOne({ _id: Long.fromBigInt(P60) as any }, { $set: { v: 2 } }, { upsert: true });
  expect([byLong.matchedCount, byLong.upsertedCount]).toEqual([1, 0]);
  await expect(ids64.insertOne({ _id: Long.fromBigInt(P60) as any, v: 3 })).rejects.toMatchObject({ code: 11000 });
  const uniq = coll('unique64');
  await uniq.createIndex({ n: 1 }, { unique: true });
  await uniq.insertOne({ _id: 'u1' as any, n: Long.fromBigInt(P60 + 256n) });
  await expect(uniq.insertOne({ _id: 'u2' as any, n: new Double(2 ** 60 + 256) })).rejects.toMatchObject({ code: 11000 });
  await uniq.insertOne({ _id: 'u3' as any, n: Long.fromBigInt(P60 + 1n) });
  const byK = await c.updateOne({ amount: Long.fromBigInt(P60) }, { $set: { k: 1 } }, { upsert: true });
  expect([byK.matchedCount, byK.upsertedCount]).toEqual([1, 0]);
  // A Long with no double of its value is another key.
  const other = await ids64.updateOne({ _id: Long.fromBigInt(P60 + 1n) as any }, { $set: { v: 4 } }, { upsert: true });
  expect(other.upsertedCount).toBe(1);
  expect(await ids64.countDocuments({})).toBe(2);
});

test('an upsert that matches nothing builds its document from the filter’s equality conditions only (patch 0004)', async () => {
  const c = coll('upserts');
  await c.createIndex({ amount: 1 });
  await c.insertOne({ _id: 'old', amount: 5, tag: 'x' });
  const doc = async (id: unknown) => {
    const found = await c.findOne({ _id: id });
    expect(found).not.toBeNull();
    return found;
  };

  // A range-only filter: the new document has the update's fields and an ObjectId, no amount.
  const rangeOnly = await c.updateOne({ amount: { $gte: 0, $lte: 1 } }, { $set: { n: 1 } }, { upsert: true });
  expect([rangeOnly.matchedCount, rangeOnly.upsertedCount]).toEqual([0, 1]);
  const fromRange = await doc(rangeOnly.upsertedId);
  expect(fromRange._id).toBeInstanceOf(mongoose.mongo.ObjectId);
  expect(Object.keys(fromRange).sort()).toEqual(['_id', 'n']);

  // Range next to equalities (plain, dotted, $eq, a Long): those are taken, the range is not.
  const mixed = await c.updateOne(
    { amount: { $gte: 0, $lte: 1 }, tag: 'x', 'meta.kind': 'k', seq: Long.fromBigInt(P60 + 1n), level: { $eq: 3, $gte: 0 }, _id: 'mixed' },
    { $set: { n: 2 }, $setOnInsert: { created: true } },
    { upsert: true },
  );
  expect([mixed.matchedCount, mixed.upsertedCount, mixed.upsertedId]).toEqual([0, 1, 'mixed']);
  const fromMixed = await doc('mixed');
  expect(fromMixed).toEqual({ _id: 'mixed', tag: 'x', meta: { kind: 'k' }, seq: Long.fromBigInt(P60 + 1n), level: 3, n: 2, created: true });
  expect(fromMixed.seq).toBeInstanceOf(Long);
  // Found again by the same filter, once the update put a value in the range: no second insert.
  await c.updateOne({ _id: 'mixed' }, { $set: { amount: 0.5 } });
  const again = await c.updateOne({ amount: { $gte: 0, $lte: 1 }, tag: 'x', seq: Long.fromBigInt(P60 + 1n) }, { $inc: { n: 1 } }, { upsert: true });
  expect([again.matchedCount, again.upsertedCount]).toEqual([1, 0]);

  // $in of one value is an equality; of two, a constraint only. A regex is a pattern, not a value.
  const inOne = await c.updateOne({ code: { $in: ['only'] }, amount: { $lt: -1 } }, { $set: { n: 3 } }, { upsert: true });
  expect(await doc(inOne.upsertedId)).toMatchObject({ code: 'only', n: 3 });
  const inTwo = await c.updateOne({ code: { $in: ['a', 'b'] }, label: /^x/ }, { $set: { n: 4 } }, { upsert: true });
  const fromInTwo = await doc(inTwo.upsertedId);
  expect(Object.keys(fromInTwo).sort()).toEqual(['_id', 'n']);
  const idIn = await c.updateOne({ _id: { $in: ['picked'] }, amount: { $gt: 100 } }, { $set: { n: 5 } }, { upsert: true });
  expect(idIn.upsertedId).toBe('picked');
  expect(await doc('picked')).toEqual({ _id: 'picked', n: 5 });

  // findOneAndUpdate with upsert and a range: the new document, without the ranged field.
  const fam = await c.findOneAndUpdate(
    { amount: { $gte: 1000, $lt: 2000 }, tag: 'fam' },
    { $set: { n: 6 }, $setOnInsert: { created: true } },
    { upsert: true, returnDocument: 'after', includeResultMetadata: true },
  );
  expect(fam.lastErrorObject).toMatchObject({ updatedExisting: false });
  expect(fam.value).toMatchObject({ tag: 'fam', n: 6, created: true });
  expect(Object.keys(fam.value!).sort()).toEqual(['_id', 'created', 'n', 'tag']);
  expect(await doc(fam.value!._id)).toEqual(fam.value);
  const famBefore = await c.findOneAndUpdate({ amount: { $gte: 3000 }, tag: 'fam2' }, { $set: { n: 7 } }, { upsert: true });
  expect(famBefore).toBeNull();
  expect(await c.countDocuments({ tag: 'fam2', n: 7, amount: { $exists: false } })).toBe(1);

  // The document that existed was never touched.
  expect(await doc('old')).toEqual({ _id: 'old', amount: 5, tag: 'x' });
});

test('sorted pages over mixed tiny, ordinary and huge numbers come in MongoDB’s order', async () => {
  const c = coll('rates');
  await c.createIndex({ rate: 1 });
  const docs = fc
    .sample(fc.constantFrom(...numbers), { numRuns: 200, seed: 37 })
    .map((rate, i) => ({ _id: `r${String(i).padStart(3, '0')}`, rate }));
  await c.insertMany(docs as any[]);
  const boundArb = fc.constantFrom(...numbers);
  await fc.assert(
    fc.asyncProperty(boundArb, boundArb, fc.constantFrom(1, -1), fc.integer({ min: 1, max: 60 }), fc.boolean(), async (lo, hi, dir, limit, oneSided) => {
      const filter = { rate: oneSided ? { $gte: lo } : { $gte: lo, $lte: hi } };
      const sort = { rate: dir, _id: 1 } as Record<string, 1 | -1>;
      const page = (await c.find(filter).sort(sort).limit(limit).toArray()).map((d) => d._id);
      const expected = sortDocs(docs.filter((d) => matches(d, filter)), sort)
        .slice(0, limit)
        .map((d) => d._id);
      expect(page).toEqual(expected);
    }),
    { numRuns: 200, seed: 41 },
  );
  // The page: 0.5 never before 1e-7.
  const page = await c.find({ rate: { $gte: 0, $lte: 1 } }).sort({ rate: 1, _id: 1 }).limit(100).toArray();
  const rates = page.map((d) => Number(d.rate));
  expect(rates).toEqual([...rates].sort((a, b) => a - b));
});

test('fields named like SQLite’s own names (oid, rowid, _rowid_, _ferretdb_sjson) are found, upserted once and kept unique', async () => {
  const c = coll('reserved');
  const names = ['oid', 'OID', 'rowid', '_rowid_', 'RowId', '_ferretdb_sjson', '_ferretdb_record_id'];
  // (SQLite index names ignore case: one index per name up to case)
  for (const n of ['oid', 'rowid', '_rowid_', '_ferretdb_sjson', '_ferretdb_record_id']) await c.createIndex({ [n]: 1 });
  await c.insertMany(names.map((n, i) => ({ _id: `k${i}`, [n]: `v-${n}`, num: i })) as any[]);
  for (const [i, n] of names.entries()) {
    expect(await ids('reserved', { [n]: `v-${n}` })).toEqual([`k${i}`]);
    expect(await ids('reserved', { [n]: { $in: [`v-${n}`, 'none'] } })).toEqual([`k${i}`]);
    const up = await c.updateOne({ [n]: `v-${n}` }, { $set: { seen: true } }, { upsert: true });
    expect([up.matchedCount, up.upsertedCount]).toEqual([1, 0]);
  }
  expect(await c.countDocuments({})).toBe(names.length);

  const u = coll('reserved_unique');
  await u.createIndex({ oid: 1 }, { unique: true });
  await u.createIndex({ rowid: 1 }, { unique: true });
  await u.insertOne({ _id: 'u1' as any, oid: 7, rowid: 1 });
  await expect(u.insertOne({ _id: 'u2' as any, oid: 7, rowid: 2 })).rejects.toMatchObject({ code: 11000 });
  await expect(u.insertOne({ _id: 'u3' as any, oid: 8, rowid: 1 })).rejects.toMatchObject({ code: 11000 });
  expect(await ids('reserved_unique', { oid: { $gte: 7, $lte: 8 } })).toEqual(['u1']);
});

test('an $in of 40,000 values on an indexed field and on _id answers, as released FerretDB did', async () => {
  const c = coll('bigin');
  await c.createIndex({ k: 1 });
  await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `b${i}`, k: i % 2 ? i : `s${i}` })) as any[]);
  const values: unknown[] = Array.from({ length: 40_000 }, (_, i) => (i % 2 ? i : `s${i}`));
  values.push(Long.fromNumber(2), new Double(3));
  const expected = Array.from({ length: 300 }, (_, i) => `b${i}`).sort();
  expect(await ids('bigin', { k: { $in: values } })).toEqual(expected);
  expect(await c.countDocuments({ k: { $in: values } })).toBe(300);
  const idValues = Array.from({ length: 40_000 }, (_, i) => `b${i * 7}`);
  expect(await ids('bigin', { _id: { $in: idValues } })).toEqual(expected.filter((id) => Number(id.slice(1)) % 7 === 0));
  expect((await c.updateMany({ k: { $in: values } }, { $set: { hit: true } })).matchedCount).toBe(300);
  expect((await c.deleteMany({ _id: { $in: idValues } })).deletedCount).toBe(Math.ceil(300 / 7));
});

test('an ordered insertMany stops at the first duplicate; an unordered one stores every other document', async () => {
  const docs = () => Array.from({ length: 1200 }, (_, i) => ({ _id: i === 501 ? 'd0' : `d${i}`, i }));
  const ordered = coll('ordered');
  const err = await ordered.insertMany(docs() as any[], { ordered: true }).catch((e) => e);
  expect(err).toMatchObject({ code: 11000 });
  expect(await ordered.countDocuments({})).toBe(501);
  expect(await ordered.countDocuments({ i: { $gte: 502 } })).toBe(0);

  const unordered = coll('unordered');
  await expect(unordered.insertMany(docs() as any[], { ordered: false })).rejects.toMatchObject({ code: 11000 });
  expect(await unordered.countDocuments({})).toBe(1199);
});
