import type { Connection } from 'mongoose';
import type { Migration } from './runner';

interface OldPayment {
  _id: string;
  paymentId?: string | null;
}

/**
 * Payments stored before payment ids were scoped to their bill have the payer's id as `_id` and
 * no `paymentId`; they get `paymentId` = that id (what every reader assumed for them), so
 * payments are found by `paymentId` alone. Their `_id` stays (an _id cannot change in place).
 * Idempotent: only payments without a paymentId are written.
 */
export const paymentIds: Migration = {
  id: '0002-payment-ids',
  description: 'payments stored before ids were scoped get paymentId = their _id',
  async up(conn: Connection) {
    const payments = conn.collection<OldPayment>('payments');
    type Op = Parameters<typeof payments.bulkWrite>[0][number];
    let batch: Op[] = [];
    const flush = async () => {
      if (batch.length) await payments.bulkWrite(batch, { ordered: false });
      batch = [];
    };
    // Read with a projection and filtered here: how a missing field compares with null is not
    // relied on across engines.
    for await (const p of payments.find({}, { projection: { paymentId: 1 }, batchSize: 1000 })) {
      if (typeof p.paymentId === 'string' && p.paymentId !== '') continue;
      batch.push({ updateOne: { filter: { _id: p._id }, update: { $set: { paymentId: p._id } } } });
      if (batch.length >= 500) await flush();
    }
    await flush();
  },
};
