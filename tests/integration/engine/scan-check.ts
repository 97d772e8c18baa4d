// Records every query the services send to the database (mongoose's debug hook) and asks the
// database, with `explain`, how it would read each one: a plan that reads a whole collection is a
// scan. On SQLite a scan is a "SCAN <table>" step; on PostgreSQL a "Seq Scan" (the check's own
// FerretDB runs on a PostgreSQL database with enable_seqscan off, so a sequential scan appears only
// where no index can serve the condition).
import { execFileSync } from 'node:child_process';
import mongoose from 'mongoose';

const { MongoClient } = mongoose.mongo;

export interface Op {
  phase: string;
  db: string;
  collection: string;
  method: string;
  filter: Record<string, unknown>;
  sort?: Record<string, unknown>;
}

const FILTERED: Record<string, (args: any[]) => Record<string, unknown> | undefined> = {
  find: (a) => a[0],
  findOne: (a) => a[0],
  countDocuments: (a) => a[0],
  updateOne: (a) => a[0],
  updateMany: (a) => a[0],
  deleteOne: (a) => a[0],
  deleteMany: (a) => a[0],
  findOneAndUpdate: (a) => a[0],
  findOneAndDelete: (a) => a[0],
  replaceOne: (a) => a[0],
  distinct: (a) => a[1] ?? {},
  aggregate: (a) => (Array.isArray(a[0]) && a[0][0]?.$match) || {},
};

export class QueryRecorder {
  ops: Op[] = [];
  phase = 'setup';

  start(): void {
    const rec = this;
    mongoose.set('debug', function (this: any, collection: string, method: string, ...args: any[]) {
      const pick = FILTERED[method];
      if (!pick) return;
      const sort = method === 'find' || method === 'findOne' ? args[1]?.sort : undefined;
      rec.ops.push({ phase: rec.phase, db: this?.conn?.name ?? '?', collection, method, filter: pick(args) ?? {}, ...(sort ? { sort } : {}) });
    });
  }

  stop(): void {
    mongoose.set('debug', false);
  }

  async during<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    this.phase = phase;
    try {
      return await fn();
    } finally {
      this.phase = 'between';
    }
  }
}

export interface Scan {
  phase: string;
  where: string;
  filter: string;
  plan: string;
}

/** The database the check explains on: the run's own, or a PostgreSQL one without seq scans. */
export async function explainTarget(runUri: string): Promise<{ uri: string; stop: () => Promise<void> }> {
  const state = JSON.parse(process.env.TEST_DB_STATE ?? '{}');
  if (state.backend !== 'postgresql') return { uri: runUri, stop: async () => undefined };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startFerretDB } = require('../../../tools/lib/ferretdb');
  const name = `noscan_${process.pid}_${Date.now()}`;
  execFileSync('psql', [`${state.pgBase}/postgres`, '-q', '-c', `CREATE DATABASE ${name}`, '-c', `ALTER DATABASE ${name} SET enable_seqscan = off`]);
  const db = await startFerretDB({ postgresqlUrl: `${state.pgBase}/${name}` });
  return {
    uri: db.uri,
    stop: async () => {
      await db.stop();
      execFileSync('psql', [`${state.pgBase}/postgres`, '-q', '-c', `DROP DATABASE IF EXISTS ${name}`]);
    },
  };
}

function isScan(plan: unknown): boolean {
  const text = JSON.stringify(plan);
  return /detail=SCAN /.test(text) || /"Node Type":"Seq Scan"/.test(text);
}

/**
 * Explains every recorded filter (deduplicated by collection and filter shape) against `uri`,
 * where the services' databases live (or copies of their indexes, see copyIndexes).
 */
export async function findScans(uri: string, ops: Op[], phases: string[]): Promise<Scan[]> {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const scans: Scan[] = [];
    const seen = new Set<string>();
    for (const op of ops) {
      if (!phases.includes(op.phase)) continue;
      const filter = JSON.stringify(op.filter);
      const key = `${op.db}.${op.collection}:${filter}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const r = await client.db(op.db).command({ explain: { find: op.collection, filter: op.filter } });
      if (isScan(r.queryPlanner)) {
        scans.push({ phase: op.phase, where: `${op.collection}.${op.method}`, filter, plan: JSON.stringify(r.queryPlanner).slice(0, 400) });
      }
    }
    return scans;
  } finally {
    await client.close();
  }
}

/** Creates the same collections and indexes in `targetUri` (for the PostgreSQL no-seqscan copy). */
export async function copyIndexes(fromUri: string, toUri: string, dbs: string[]): Promise<void> {
  if (fromUri === toUri) return;
  const from = new MongoClient(fromUri);
  const to = new MongoClient(toUri);
  await from.connect();
  await to.connect();
  try {
    for (const db of dbs) {
      for (const c of await from.db(db).listCollections().toArray()) {
        const idx = (await from.db(db).collection(c.name).indexes()).filter((i) => i.name !== '_id_');
        await to.db(db).createCollection(c.name).catch(() => undefined);
        if (idx.length) await to.db(db).collection(c.name).createIndexes(idx.map((i) => ({ key: i.key, name: i.name, ...(i.unique ? { unique: true } : {}) })));
      }
    }
  } finally {
    await from.close();
    await to.close();
  }
}

function isRange(cond: unknown): boolean {
  return typeof cond === 'object' && cond !== null && ['$gt', '$gte', '$lt', '$lte'].some((op) => op in (cond as object));
}

/**
 * Sorted reads whose first sort key carries no range in the filter, by shape ("collection
 * {filter fields} sort key"): the engine reads such pages through the filter's index (if any) and
 * sorts every match in Go, rather than reading the first documents of an index in order
 * (tools/ferretdb/patches/0001, sorted pages).
 */
export function sortedWithoutRange(ops: Op[], phases: string[]): string[] {
  const shapes = new Set<string>();
  for (const op of ops) {
    if (!phases.includes(op.phase) || !op.sort) continue;
    const key = Object.keys(op.sort)[0];
    if (!key || isRange(op.filter[key])) continue;
    shapes.add(`${op.collection} {${Object.keys(op.filter).sort().join(',')}} sort ${key}`);
  }
  return [...shapes].sort();
}
