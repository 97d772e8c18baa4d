import type { Connection } from 'mongoose';
import type { PeriodRateDoc, SelectionAmountDoc } from '../bill.model';
import type { Migration } from './runner';

// The string forms bills held before this migration; nothing else reads them any more.

/** "<selectionId>|<usage>|<credit>": the two amounts are the last two fields (a selection id may hold '|'). */
export function selectionAmountOfString(stored: string): SelectionAmountDoc {
  const credit = stored.lastIndexOf('|');
  const usage = stored.lastIndexOf('|', credit - 1);
  if (usage < 0) throw new Error(`bill selection amount "${stored}" is not <selection>|<usage>|<credit>`);
  return { selectionId: stored.slice(0, usage), usage: stored.slice(usage + 1, credit), credit: stored.slice(credit + 1) };
}

/** "<selectionId>|<unit>|<rate>": unit and rate are the last two fields. */
export function periodRateOfString(stored: string): PeriodRateDoc {
  const rate = stored.lastIndexOf('|');
  const unit = stored.lastIndexOf('|', rate - 1);
  if (unit < 0) throw new Error(`bill period rate "${stored}" is not <selection>|<unit>|<rate>`);
  return { selectionId: stored.slice(0, unit), unit: stored.slice(unit + 1, rate), ratePerUnit: stored.slice(rate + 1) };
}

interface OldBill {
  _id: string;
  selectionAmounts?: unknown[];
  periodRates?: unknown[];
}

const anyString = (list: unknown[] | undefined) => Array.isArray(list) && list.some((x) => typeof x === 'string');

/**
 * Bills' `selectionAmounts` and `periodRates` become sub-documents. Idempotent: entries already
 * objects stay as they are, and a bill without string entries is not written. Each bill is one
 * single-document update of these two fields only (no transaction); both are written when the
 * bill is drafted and never changed after, so nothing else races with it.
 */
export const billSubDocuments: Migration = {
  id: '0001-bill-sub-documents',
  description: "bills' selectionAmounts and periodRates as sub-documents instead of '|'-joined strings",
  async up(conn: Connection) {
    const bills = conn.collection<OldBill>('bills');
    type Op = Parameters<typeof bills.bulkWrite>[0][number];
    let batch: Op[] = [];
    const flush = async () => {
      if (batch.length) await bills.bulkWrite(batch, { ordered: false });
      batch = [];
    };
    // Every bill is read once (projection only): $type on array elements is not one of the
    // operators both engines are relied on for.
    const cursor = bills.find({}, { projection: { selectionAmounts: 1, periodRates: 1 }, batchSize: 1000 });
    for await (const b of cursor) {
      const set: Record<string, unknown> = {};
      if (anyString(b.selectionAmounts)) set.selectionAmounts = b.selectionAmounts!.map((x) => (typeof x === 'string' ? selectionAmountOfString(x) : x));
      if (anyString(b.periodRates)) set.periodRates = b.periodRates!.map((x) => (typeof x === 'string' ? periodRateOfString(x) : x));
      if (Object.keys(set).length === 0) continue;
      batch.push({ updateOne: { filter: { _id: b._id }, update: { $set: set } } });
      if (batch.length >= 500) await flush();
    }
    await flush();
  },
};
