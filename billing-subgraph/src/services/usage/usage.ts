import { randomUUID } from 'node:crypto';
import { associate, unsampledPercentile, type SelectionRef } from '../../domain';
import type { SelectionDoc, UsageDoc } from '../../store/models';
import type { Deps } from '../deps';
import { rateUsageDocs } from './rating';
import { mediateUsage } from './mediation';
import { inCallTurns } from './call-locks';

// Usage and selections: the association helpers ingestion shares (ingest.ts), crash recovery of
// unrated usage and the re-association of parked usage when a selection record arrives.

/** A duplicate still ASSOCIATED after this long was left unrated by a crash: rate it on re-delivery. */
const STALE_UNRATED_MS = 60_000;

export const toSelectionRef = (s: SelectionDoc): SelectionRef => ({
  selectionId: s._id,
  requestId: s.requestId,
  buyerId: s.buyerId,
  carrierId: s.carrierId,
  routes: s.routes,
  intervalStart: s.intervalStart,
  intervalEnd: s.intervalEnd,
  serviceType: s.serviceType,
});

/**
 * Why a record's end user is not one its buyer registered, or null. Applies when the selection
 * record carries the buyer's end users (every current Moderator sends the list; empty for a
 * buyer that does not resell): a carrier cannot put lines for made-up end users on a bill.
 */
export function unknownEndUser(r: { endUserId?: string | null; buyerId: string }, sel: SelectionDoc | undefined): string | null {
  if (!r.endUserId || !sel || !Array.isArray(sel.endUserIds)) return null;
  if (sel.endUserIds.includes(r.endUserId)) return null;
  return sel.buyerIsReseller
    ? `endUserId ${r.endUserId} is not an end user buyer ${r.buyerId} registered`
    : `endUserId ${r.endUserId}: buyer ${r.buyerId} does not resell to end users`;
}

/**
 * Crash recovery (run by the worker): an ingest batch still OPEN after a minute stored its
 * usage but maybe not all billing records; usage ASSOCIATED for a minute was claimed by a
 * re-association that did not finish. Both are rated now; billing record ids equal usage ids,
 * so records that were rated already are not charged again.
 */
export async function recoverUnratedUsage(deps: Deps, now = new Date()): Promise<number> {
  const { RatingBatch, Usage, BillingRecord } = deps.models;
  const before = new Date(now.getTime() - (deps.config.USAGE_RECOVERY_AFTER_MS ?? STALE_UNRATED_MS));
  let recovered = 0;
  const batches = await RatingBatch.find({ state: 'OPEN', createdAt: { $lt: before } }).limit(10).lean().exec();
  // Usage left ASSOCIATED by an interrupted re-association is looked for once per process start
  // and whenever a re-association marker went stale, not on every pass: that query reads the
  // whole usage collection on FerretDB 1.x/SQLite.
  let sweepStuck = !stuckSwept.has(deps.models);
  for (const batch of batches) {
    if (batch._id.startsWith(REASSOCIATION_PREFIX)) {
      sweepStuck = true;
      continue;
    }
    const usage = (await Usage.find({ batchId: batch._id, status: 'RATED' }).lean().exec()) as UsageDoc[];
    const have = new Set((await BillingRecord.find({ _id: { $in: usage.map((u) => u._id) } }).select({ _id: 1 }).lean().exec()).map((r) => r._id));
    const missing = usage.filter((u) => !have.has(u._id));
    // Groups whose tier slot the interrupted run claimed are rated from that slot's starting total.
    recovered += await rateUsageDocs(deps, missing, await loadSelectionsFor(deps, missing), { batchId: batch._id, batchUsage: usage });
    await RatingBatch.updateOne({ _id: batch._id }, { $set: { state: 'DONE' } }).exec();
  }
  if (!sweepStuck) return recovered;
  const stuck = (await Usage.find({ status: 'ASSOCIATED', receivedAt: { $lt: before } }).limit(1000).lean().exec()) as UsageDoc[];
  if (stuck.length) {
    recovered += await inCallTurns(deps, stuck, async () => {
      const billable = await mediateUsage(deps, stuck, 'stored');
      const n = await rateUsageDocs(deps, billable, await loadSelectionsFor(deps, billable));
      await Usage.updateMany({ _id: { $in: billable.map((u) => u._id) }, status: 'ASSOCIATED' }, { $set: { status: 'RATED' } }).exec();
      return n;
    });
  }
  // Done when nothing (more) was stuck; otherwise the next pass continues with the next 1,000.
  if (stuck.length < 1000) {
    stuckSwept.add(deps.models);
    const markers = batches.filter((b) => b._id.startsWith(REASSOCIATION_PREFIX)).map((b) => b._id);
    if (markers.length) await RatingBatch.updateMany({ _id: { $in: markers } }, { $set: { state: 'DONE' } }).exec();
  }
  return recovered;
}

const REASSOCIATION_PREFIX = 'reassociation|';
const stuckSwept = new WeakSet<object>();

export async function loadSelectionsFor(deps: Deps, records: { buyerId: string; carrierId: string; requestId?: string | null }[]): Promise<Map<string, SelectionDoc>> {
  const out = new Map<string, SelectionDoc>();
  if (records.length === 0) return out;
  const requestIds = new Set<string>();
  const buyers = new Set<string>();
  const carriers = new Set<string>();
  for (const r of records) {
    if (r.requestId) requestIds.add(r.requestId);
    buyers.add(r.buyerId);
    carriers.add(r.carrierId);
  }
  // Two queries rather than one $or: each is served by its own index on every engine (FerretDB
  // pushes no $or down).
  const reads = [deps.models.Selection.find({ buyerId: { $in: [...buyers] }, carrierId: { $in: [...carriers] } }).lean().exec()];
  if (requestIds.size) reads.push(deps.models.Selection.find({ requestId: { $in: [...requestIds] } }).lean().exec());
  for (const found of await Promise.all(reads)) for (const s of found) out.set(s._id, s as SelectionDoc);
  return out;
}

/**
 * A selection record arrived: usage of its buyer and carrier that was waiting UNASSOCIATED is
 * associated now (when it matches) and rated. Each record moves with a conditional update, so a
 * concurrent re-association never rates a record twice.
 */
export async function reassociateWaitingUsage(deps: Deps, selection: SelectionDoc): Promise<number> {
  const { Usage, Selection } = deps.models;
  const all = (await Selection.find({ buyerId: selection.buyerId, carrierId: selection.carrierId }).lean().exec()) as SelectionDoc[];
  const byId = new Map(all.map((s) => [s._id, s]));
  const refs = all.map(toSelectionRef);
  let moved = 0;
  let lastId = '';
  // Marks the window in which usage may be ASSOCIATED but not yet RATED, for the sweeper.
  const marker = `${REASSOCIATION_PREFIX}${randomUUID()}`;
  let marked = false;
  for (;;) {
    const page = (await Usage.find({ status: 'UNASSOCIATED', buyerId: selection.buyerId, carrierId: selection.carrierId, _id: { $gt: lastId } })
      .sort({ _id: 1 })
      .limit(1000)
      .lean()
      .exec()) as UsageDoc[];
    if (page.length === 0) break;
    lastId = page[page.length - 1]._id;
    if (!marked) {
      await deps.models.RatingBatch.create({ _id: marker, state: 'OPEN', createdAt: new Date() });
      marked = true;
    }
    const claimed: UsageDoc[] = [];
    await Promise.all(
      page.map(async (u) => {
        const a = associate({ ...u, requestId: u.reportedRequestId ?? undefined, destination: u.destination }, refs);
        if (a.status !== 'ASSOCIATED') {
          if (a.reason !== u.unassociatedReason) await Usage.updateOne({ _id: u._id, status: 'UNASSOCIATED' }, { $set: { unassociatedReason: a.reason } }).exec();
          return;
        }
        // Usage for an end user the buyer never registered stays parked with the reason, never billed.
        const foreign = unknownEndUser(u, byId.get(a.selectionId)) ?? unsampledPercentile(u, byId.get(a.selectionId));
        if (foreign) {
          if (foreign !== u.unassociatedReason) await Usage.updateOne({ _id: u._id, status: 'UNASSOCIATED' }, { $set: { unassociatedReason: foreign } }).exec();
          return;
        }
        const res = await Usage.updateOne(
          { _id: u._id, status: 'UNASSOCIATED' },
          { $set: { status: 'ASSOCIATED', requestId: a.requestId, selectionId: a.selectionId, unassociatedReason: null } },
        ).exec();
        if (res.modifiedCount === 1) claimed.push({ ...u, status: 'ASSOCIATED', requestId: a.requestId, selectionId: a.selectionId });
      }),
    );
    moved += await inCallTurns(deps, claimed, async () => {
      const billable = await mediateUsage(deps, claimed, 'stored');
      const n = await rateUsageDocs(deps, billable, byId);
      // Late usage is the exception, so marking it one by one is affordable here.
      await Promise.all(billable.map((u) => Usage.updateOne({ _id: u._id }, { $set: { status: 'RATED' } }).exec()));
      return n;
    });
  }
  if (marked) await deps.models.RatingBatch.deleteOne({ _id: marker }).exec();
  return moved;
}
