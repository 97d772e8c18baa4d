import { isDuplicateKey } from '@exchange/platform';
import { checkRouteAttemptSlots, type RouteAttemptSlot } from '../../domain';
import { routeAttemptId } from '../../store/route-attempt.model';
import type { Deps } from '../deps';

/** Writes at a time: bounded so a 1,000-slot push does not open 1,000 requests at once. */
const CONCURRENCY = 50;

/**
 * recordRouteAttempts: the Moderator's absolute attempt totals per (selection, 5-minute slot).
 * The whole call is validated first (nothing written on a bad slot); each slot is one
 * single-document upsert keeping the maximum ever received ($max), so a re-send, a retry after a
 * timeout or two pushes crossing each other leave the right total. Returns the slots stored.
 */
export async function recordRouteAttempts(deps: Deps, raw: unknown, now = new Date()): Promise<number> {
  const slots = checkRouteAttemptSlots(raw);
  for (let i = 0; i < slots.length; i += CONCURRENCY) await Promise.all(slots.slice(i, i + CONCURRENCY).map((s) => upsertSlot(deps, s, now)));
  return slots.length;
}

async function upsertSlot(deps: Deps, s: RouteAttemptSlot, now: Date): Promise<void> {
  const write = () =>
    deps.models.RouteAttempt.updateOne(
      { _id: routeAttemptId(s.selectionId, s.slotStart) },
      { $max: { attempts: s.attempts }, $set: { updatedAt: now }, $setOnInsert: { selectionId: s.selectionId, slotStart: s.slotStart } },
      { upsert: true },
    ).exec();
  try {
    await write();
  } catch (err) {
    // Two first pushes of one slot raced: the other inserted it; the retry updates it.
    if (!isDuplicateKey(err)) throw err;
    await write();
  }
}

/** The attempt slots of these selections starting within [start, end) (reconciliation's read). */
export async function attemptSlotsOf(deps: Deps, selectionIds: string[], start: Date, end: Date): Promise<{ slotStart: Date; attempts: number }[]> {
  if (selectionIds.length === 0) return [];
  return (await deps.models.RouteAttempt.find({ selectionId: { $in: selectionIds }, slotStart: { $gte: start, $lt: end } })
    .select({ slotStart: 1, attempts: 1 })
    .lean()
    .exec()) as { slotStart: Date; attempts: number }[];
}
