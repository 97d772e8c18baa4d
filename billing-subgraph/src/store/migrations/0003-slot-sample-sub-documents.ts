import type { Connection } from 'mongoose';
import type { SlotSampleDoc } from '../billing-record.model';
import type { Migration } from './runner';

// The string form PERCENTILE_95 samples had before this migration; nothing else reads it any more.

/** "<epoch ms>|<mbps>|<meter>": time and Mbps are the first two fields (a meter name may hold '|'). */
export function slotSampleOfString(stored: string): SlotSampleDoc {
  const a = stored.indexOf('|');
  const b = stored.indexOf('|', a + 1);
  const atMs = a > 0 ? Number(stored.slice(0, a)) : NaN;
  if (b < 0 || !Number.isFinite(atMs)) throw new Error(`slot sample "${stored.slice(0, 120)}" is not <epoch ms>|<mbps>|<meter>`);
  return { at: new Date(atMs), mbps: stored.slice(a + 1, b), meter: stored.slice(b + 1) };
}

interface WithSlotSamples {
  _id: string;
  slotSamples?: unknown[];
}

/** One collection's documents with any string sample get their samples rewritten, in pages. */
async function convert(conn: Connection, name: string): Promise<void> {
  const coll = conn.collection<WithSlotSamples>(name);
  type Op = Parameters<typeof coll.bulkWrite>[0][number];
  let batch: Op[] = [];
  const flush = async () => {
    if (batch.length) await coll.bulkWrite(batch, { ordered: false });
    batch = [];
  };
  // Every document is read once (projection only): $type on array elements is not one of the
  // operators both engines are relied on for.
  for await (const d of coll.find({}, { projection: { slotSamples: 1 }, batchSize: 1000 })) {
    const list = d.slotSamples;
    if (!Array.isArray(list) || !list.some((x) => typeof x === 'string')) continue;
    const samples = list.map((x) => (typeof x === 'string' ? slotSampleOfString(x) : x));
    batch.push({ updateOne: { filter: { _id: d._id }, update: { $set: { slotSamples: samples } } } });
    if (batch.length >= 500) await flush();
  }
  await flush();
}

/**
 * Billing records' and bill claims' `slotSamples` become sub-documents `{ at, mbps, meter }`.
 * Idempotent: samples already objects stay as they are, and a document without string samples is
 * not written. Each document is one single-document update of this field only (no transaction);
 * the field is written when the record is rated (and copied when it is claimed) and never changed
 * after, so nothing else races with it.
 */
export const slotSampleSubDocuments: Migration = {
  id: '0003-slot-sample-sub-documents',
  description: "billing records' and bill claims' slotSamples as sub-documents instead of '|'-joined strings",
  async up(conn: Connection) {
    await convert(conn, 'billing_records');
    await convert(conn, 'bill_claims');
  },
};
