import { KeyedTurns, isDuplicateKey, insertIgnoringDuplicates } from '@exchange/platform';
import type { BillingModels, SlotDoc } from './models';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function latestSlot(models: BillingModels, key: string): Promise<SlotDoc | null> {
  return (await models.Slot.findOne({ key }).sort({ seq: -1 }).lean().exec()) as SlotDoc | null;
}

/**
 * The last slot this process read or wrote, per key (per models instance). Slots are immutable and
 * dense (seq n+1 is only ever inserted after n), so a cached slot is always a true slot: if another
 * writer has moved past it, inserting seq + 1 fails with a duplicate key and we re-read. In the
 * steady state a claim is then one insert and no read.
 */
const slotCache = new WeakMap<BillingModels, Map<string, SlotDoc | null>>();
const SLOT_CACHE_MAX = 10_000;

function cacheOf(models: BillingModels): Map<string, SlotDoc | null> {
  let c = slotCache.get(models);
  if (!c) slotCache.set(models, (c = new Map()));
  return c;
}

function remember(models: BillingModels, key: string, slot: SlotDoc | null): void {
  const c = cacheOf(models);
  c.delete(key);
  if (c.size >= SLOT_CACHE_MAX) c.delete(c.keys().next().value as string);
  c.set(key, slot);
}

/**
 * Slot claims of one process are queued per key: concurrent batches of this process that touch
 * the same key (e.g. two meters reporting for one request) would otherwise build on the same
 * cached slot, all but one would lose the insert race and fall back to reads and one-by-one
 * retries. Across processes the unique insert remains the arbiter.
 */
const keyTurns = new WeakMap<BillingModels, KeyedTurns>();

function turnsOf(models: BillingModels): KeyedTurns {
  let t = keyTurns.get(models);
  if (!t) keyTurns.set(models, (t = new KeyedTurns()));
  return t;
}

/** The slot `next` would build on: the cached one when there is one, else read. */
async function previousSlot(models: BillingModels, key: string, fresh: boolean): Promise<SlotDoc | null> {
  const c = cacheOf(models);
  if (!fresh && c.has(key)) return c.get(key)!;
  const prev = await latestSlot(models, key);
  remember(models, key, prev);
  return prev;
}

/**
 * Inserts the next slot of several keys in one round trip, each computed from the cached (or read)
 * previous slot. Keys whose insert lost a race (duplicate) fall back to claimNextSlot. Returns what
 * each `next` computed, in the order of `claims`.
 */
export async function claimNextSlots<T>(
  models: BillingModels,
  claims: { key: string; next: (prev: SlotDoc | null) => { slot: Omit<SlotDoc, '_id' | 'key' | 'seq' | 'createdAt'>; extra: T } }[],
): Promise<T[]> {
  const out: T[] = new Array(claims.length);
  const docs: SlotDoc[] = [];
  const lost = new Set<number>();
  await turnsOf(models).run(claims.map((c) => c.key), () => insertNextSlots(models, claims, docs, out, lost));
  for (let i = 0; i < claims.length; i++) {
    if (lost.has(i)) out[i] = (await claimNextSlot(models, claims[i].key, claims[i].next)).extra;
  }
  return out;
}

async function insertNextSlots<T>(
  models: BillingModels,
  claims: { key: string; next: (prev: SlotDoc | null) => { slot: Omit<SlotDoc, '_id' | 'key' | 'seq' | 'createdAt'>; extra: T } }[],
  docs: SlotDoc[],
  out: T[],
  lost: Set<number>,
): Promise<void> {
  for (const c of claims) {
    const prev = await previousSlot(models, c.key, false);
    const { slot, extra } = c.next(prev);
    const seq = (prev?.seq ?? 0) + 1;
    docs.push({ ...slot, _id: `${c.key}|${seq}`, key: c.key, seq, createdAt: new Date() });
    out[docs.length - 1] = extra;
  }
  if (docs.length) {
    for (const i of await insertIgnoringDuplicates(models.Slot, docs)) lost.add(i);
  }
  // A lost key is re-read by claimNextSlot (its cached slot is stale).
  for (let i = 0; i < claims.length; i++) {
    if (lost.has(i)) cacheOf(models).delete(claims[i].key);
    else remember(models, claims[i].key, docs[i]);
  }
}

/**
 * Compare-and-set through unique inserts: reads the latest slot of `key`, lets `next` compute the
 * following one and inserts it as seq + 1. A concurrent writer that claimed seq + 1 first makes
 * the insert fail with a duplicate key; we re-read and recompute. `next` may throw (e.g. an
 * overpayment) to abort. Returns the inserted slot and whatever `next` computed alongside it.
 */
export async function claimNextSlot<T>(
  models: BillingModels,
  key: string,
  next: (prev: SlotDoc | null) => Promise<{ slot: Omit<SlotDoc, '_id' | 'key' | 'seq' | 'createdAt'>; extra: T }> | { slot: Omit<SlotDoc, '_id' | 'key' | 'seq' | 'createdAt'>; extra: T },
  maxAttempts = 200,
): Promise<{ slot: SlotDoc; extra: T }> {
  return turnsOf(models).run([key], () => claimNextSlotLocked(models, key, next, maxAttempts));
}

async function claimNextSlotLocked<T>(
  models: BillingModels,
  key: string,
  next: Parameters<typeof claimNextSlot<T>>[2],
  maxAttempts: number,
): Promise<{ slot: SlotDoc; extra: T }> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    // The first attempt builds on the cached slot; after losing a race, on a fresh read.
    const fresh = attempt > 0 || !cacheOf(models).has(key);
    let prev = await previousSlot(models, key, fresh);
    let computed: Awaited<ReturnType<typeof next>>;
    try {
      computed = await next(prev);
    } catch (err) {
      if (fresh) throw err;
      // A refusal (e.g. an overpayment) must be judged on the latest slot, never on a cached one.
      prev = await previousSlot(models, key, true);
      computed = await next(prev);
    }
    const { slot, extra } = computed;
    const seq = (prev?.seq ?? 0) + 1;
    const doc: SlotDoc = { ...slot, _id: `${key}|${seq}`, key, seq, createdAt: new Date() };
    try {
      await models.Slot.create(doc);
      remember(models, key, doc);
      return { slot: doc, extra };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await sleep(Math.floor(Math.random() * Math.min(50, 2 + attempt * 2)));
    }
  }
  throw new Error(`sequence ${key} stayed contended after ${maxAttempts} attempts`);
}

/**
 * Exactly-once guard: true for the first caller with this key, false for every later one (a
 * unique insert, atomic on MongoDB and FerretDB alike, unlike a conditional update on FerretDB 1.x).
 * With `ttlMs` the claim guards only that long (a key naming one attempt or lease window) and is
 * then deleted by the sweep (store/sweep.ts), so claims written per attempt do not pile up.
 */
export async function claimOnce(models: BillingModels, key: string, ttlMs?: number, now = new Date()): Promise<boolean> {
  try {
    const expiresAt = ttlMs === undefined ? null : new Date(now.getTime() + ttlMs);
    await models.Slot.create({ _id: `once|${key}`, key: `once|${key}`, seq: 0, value: '', createdAt: now, expiresAt });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
