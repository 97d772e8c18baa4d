import type { SelectionDoc, UsageDoc } from '../../store/models';
import type { Deps } from '../deps';
import { reassociateWaitingUsage } from './usage';

/**
 * No revenue leak. Usage that arrived before its selection record waits UNASSOCIATED and is
 * associated when the record arrives (recordSelection); if that re-association fails or the
 * process dies in it, recordSelection has still succeeded and nothing else would look at the
 * usage again. This periodic sweep walks the waiting usage (by the {status, receivedAt} index, a
 * page per pass) and re-associates every buyer–carrier pair that has a selection record, until
 * each record is associated, or expires it with the reason once it has waited longer than
 * USAGE_UNASSOCIATED_EXPIRY_DAYS (kept, visible, never billed).
 */
const PAGE = 1000;
// Dates before 2001-09-09 have fewer digits in the engine's index encoding; no usage is older.
const EPOCH = new Date(1_000_000_000_000);
const cursors = new WeakMap<object, Date>();

export interface SweepOutcome {
  pairs: number;
  associated: number;
  expired: number;
}

export async function sweepUnassociatedUsage(deps: Deps, now = new Date()): Promise<SweepOutcome> {
  const { Usage, Selection } = deps.models;
  const before = new Date(now.getTime() - deps.config.USAGE_RECOVERY_AFTER_MS);
  const from = cursors.get(deps.models) ?? EPOCH;
  const page = (await Usage.find({ status: 'UNASSOCIATED', receivedAt: { $gte: from, $lt: before } })
    .sort({ receivedAt: 1 })
    .limit(PAGE)
    .select({ buyerId: 1, carrierId: 1, receivedAt: 1, unassociatedReason: 1 })
    .lean()
    .exec()) as Pick<UsageDoc, '_id' | 'buyerId' | 'carrierId' | 'receivedAt' | 'unassociatedReason'>[];
  // The next pass continues after this page; a short page means the end: start over next time.
  cursors.set(deps.models, page.length < PAGE ? EPOCH : page[page.length - 1].receivedAt);
  const pairs = new Map<string, { buyerId: string; carrierId: string }>();
  for (const u of page) pairs.set(`${u.buyerId}\u0000${u.carrierId}`, { buyerId: u.buyerId, carrierId: u.carrierId });
  let associated = 0;
  for (const { buyerId, carrierId } of pairs.values()) {
    const selection = (await Selection.findOne({ buyerId, carrierId }).lean().exec()) as SelectionDoc | null;
    if (!selection) continue;
    try {
      associated += await reassociateWaitingUsage(deps, selection);
    } catch (err) {
      deps.logger.error({ err, buyerId, carrierId }, 'usage sweep: re-association failed; retried next pass');
    }
  }
  const expireBefore = now.getTime() - deps.config.USAGE_UNASSOCIATED_EXPIRY_DAYS * 86_400_000;
  const stale = page.filter((u) => new Date(u.receivedAt).getTime() < expireBefore);
  let expired = 0;
  for (const u of stale) {
    const res = await Usage.updateOne(
      { _id: u._id, status: 'UNASSOCIATED' },
      { $set: { status: 'EXPIRED', unassociatedReason: `EXPIRED after ${deps.config.USAGE_UNASSOCIATED_EXPIRY_DAYS} days unassociated (last reason: ${u.unassociatedReason ?? 'NO_MATCHING_SELECTION'}); never billed` } },
    ).exec();
    expired += res.modifiedCount;
  }
  if (associated || expired) deps.logger.info({ pairs: pairs.size, associated, expired }, 'usage sweep');
  return { pairs: pairs.size, associated, expired };
}
