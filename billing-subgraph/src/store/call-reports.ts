import type { Model } from 'mongoose';
import type { UsageDoc } from './models';

/**
 * Called numbers per read. FerretDB (exchange patch 0001) sends an $in of more than 500 values as
 * one JSON parameter; SQLite then plans {destination $in […], intervalStart range} as an OR over a
 * full table scan (1.1 s for 1,000 numbers on 21,000 stored records, growing with the table),
 * while up to 500 values are probed in the {destination, intervalStart} index (5 ms).
 */
export const NUMBERS_PER_READ = 500;

/** The fields mediation compares (domain/mediation.ts `sameCall`). */
export type CallReport = Pick<UsageDoc, '_id' | 'source' | 'buyerId' | 'carrierId' | 'destination' | 'intervalStart' | 'quantity' | 'status' | 'callId'>;

/**
 * Stored usage that may report the same calls as `calls`: same called number, answered within
 * `toleranceMs` of one of that number's answer times. Read in index-backed pieces of at most
 * NUMBERS_PER_READ numbers, each bounded by its own numbers' answer times ± the tolerance (a
 * superset: the caller compares record by record).
 */
export async function findCallReports(Usage: Model<UsageDoc>, calls: { destination: string; answeredAt: Date }[], toleranceMs: number): Promise<CallReport[]> {
  const span = new Map<string, { lo: number; hi: number }>();
  for (const c of calls) {
    const t = c.answeredAt.getTime();
    const s = span.get(c.destination);
    if (!s) span.set(c.destination, { lo: t, hi: t });
    else {
      if (t < s.lo) s.lo = t;
      if (t > s.hi) s.hi = t;
    }
  }
  const numbers = [...span.keys()].sort();
  const reads: Promise<CallReport[]>[] = [];
  for (let i = 0; i < numbers.length; i += NUMBERS_PER_READ) {
    const piece = numbers.slice(i, i + NUMBERS_PER_READ);
    let lo = Infinity;
    let hi = -Infinity;
    for (const n of piece) {
      const s = span.get(n)!;
      lo = Math.min(lo, s.lo);
      hi = Math.max(hi, s.hi);
    }
    reads.push(
      Usage.find({ destination: { $in: piece }, intervalStart: { $gte: new Date(lo - toleranceMs), $lte: new Date(hi + toleranceMs) } })
        .select({ source: 1, buyerId: 1, carrierId: 1, destination: 1, intervalStart: 1, quantity: 1, status: 1, callId: 1 })
        // One round trip: the driver's default first batch (101 documents) left a getMore after most reads.
        .batchSize(100_000)
        .lean()
        .exec() as Promise<CallReport[]>,
    );
  }
  return (await Promise.all(reads)).flat();
}
