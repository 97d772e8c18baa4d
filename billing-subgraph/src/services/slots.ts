import type { BillingModels, SlotDoc } from '../store/models';
import { isDuplicateKey } from './access';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function latestSlot(models: BillingModels, key: string): Promise<SlotDoc | null> {
  return (await models.Slot.findOne({ key }).sort({ seq: -1 }).lean().exec()) as SlotDoc | null;
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
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const prev = await latestSlot(models, key);
    const { slot, extra } = await next(prev);
    const seq = (prev?.seq ?? 0) + 1;
    const doc: SlotDoc = { ...slot, _id: `${key}|${seq}`, key, seq, createdAt: new Date() };
    try {
      await models.Slot.create(doc);
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
 */
export async function claimOnce(models: BillingModels, key: string): Promise<boolean> {
  try {
    await models.Slot.create({ _id: `once|${key}`, key: `once|${key}`, seq: 0, value: '', createdAt: new Date() });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
