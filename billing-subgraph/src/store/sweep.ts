import { DATE_MIN } from '@exchange/platform';
import type { BillingModels } from './models';

/** Claims deleted per round trip: one pass over a large backlog never holds the database for long. */
export const SWEEP_BATCH = 1000;

/**
 * Deletes once-only claims whose expiry has passed. The embedded engine has no TTL index, so this
 * is the scheduled delete that stands in for one: an index-backed range read on `expiresAt` (both
 * bounds, the engine serves date ranges only) in batches, then a delete by _id. Slots without an
 * expiry (tier totals, bill numbers, payments: the history money depends on) are never touched.
 * Returns how many claims were deleted; stops after `maxBatches` so one pass stays bounded.
 */
export async function sweepExpiredClaims(models: BillingModels, now = new Date(), maxBatches = 100): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = (await models.Slot.find({ expiresAt: { $gte: DATE_MIN, $lt: now } }).sort({ expiresAt: 1 }).limit(SWEEP_BATCH).select({ _id: 1 }).lean().exec()).map((d) => d._id);
    if (ids.length === 0) break;
    const r = await models.Slot.deleteMany({ _id: { $in: ids } }).exec();
    deleted += r.deletedCount ?? 0;
    if (ids.length < SWEEP_BATCH) break;
  }
  return deleted;
}
