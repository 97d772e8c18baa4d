import { insertIgnoringDuplicates } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import type { Role } from '@exchange/platform';
import { associate, escapeControlCharacters, type Association, unsampledPercentile, validateUsageRecord, type UsageRecord } from '../../domain';
import type { RejectedDoc, UsageDoc } from '../../store/models';
import { badInput, forbidden, reporterLabel } from '../access';
import type { Deps } from '../deps';
import { rateUsageDocs } from './rating';
import { mediateUsage } from './mediation';
import { inCallTurns } from './call-locks';
import { loadSelectionsFor, toSelectionRef, unknownEndUser } from './usage';

// Ingestion of one batch of usage records, step by step (ingestUsage at the end).

export const MAX_BATCH = 10_000;

export interface Reporter {
  role: Role;
  sub: string;
  /** Feed polls: only these buyers (empty/undefined = any). */
  feedBuyerIds?: string[];
}

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
  rejected: { index: number; recordId: string | null; field: string | null; reason: string }[];
  /** Stored but parked UNASSOCIATED (billed once a selection matches), each with the reason. */
  parked: { index: number; recordId: string; reason: string }[];
}

export const SOURCE_FOR_ROLE: Partial<Record<Role, string>> = { CARRIER: 'CARRIER', METER: 'MEASURING_EQUIPMENT', LEC: 'LOCAL_EXCHANGE_CARRIER' };
const ANY_PARTY: readonly Role[] = ['MODERATOR', 'BILLING_AGENT', 'ADMIN'];

function rawString(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 4096 ? s.slice(0, 4096) : s;
}

const stringField = (raw: unknown, key: string): string | null => {
  const v = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  // Kept with what it claimed to be, escaped: PostgreSQL (under FerretDB) refuses a NUL in any
  // string, so storing it raw would turn a rejection into a failed batch.
  return typeof v === 'string' ? escapeControlCharacters(v.slice(0, 200)) : null;
};

/**
 * The idempotency key of a usage record: source and recordId, scoped to the reporting tenant
 * (a CARRIER, METER or LEC credential) and to the piece of equipment when one is named, so one
 * tenant's record ids never collide with another's, nor one switch's with another's. The
 * operator's roles (MODERATOR, BILLING_AGENT, ADMIN, feeds) share one scope: a CDR file
 * re-imported by another member of the billing agent's staff is a duplicate, not billed twice.
 */
export function usageId(r: { source: string; recordId: string; equipmentId?: string }, reporter: { role: string; sub: string }): string {
  const tenant = ANY_PARTY.includes(reporter.role as Role) ? '' : `|${reporter.role}:${reporter.sub}`;
  return `${r.source}:${r.recordId}${tenant}${r.equipmentId !== undefined ? `|eq:${r.equipmentId}` : ''}`;
}


/** Replaces a stored record that is still UNASSOCIATED by `doc` (same _id); false when it is no longer parked. */
async function replaceParked(Usage: Deps['models']['Usage'], doc: UsageDoc): Promise<boolean> {
  const gone = await Usage.deleteOne({ _id: doc._id, status: 'UNASSOCIATED' }).exec();
  if (gone.deletedCount !== 1) return false;
  const dup = await insertIgnoringDuplicates(Usage, [doc]);
  return dup.size === 0;
}

/** What a re-delivery must repeat exactly to count as a duplicate of the stored record. */
function usageFingerprint(u: UsageDoc): string {
  const t = (d: Date | string | undefined | null) => (d ? new Date(d).toISOString() : '');
  return JSON.stringify([
    u.buyerId,
    u.carrierId,
    t(u.intervalStart),
    t(u.intervalEnd),
    u.serviceType,
    u.quantity,
    u.endUserId ?? '',
    u.destination ?? '',
    u.minBandwidthMbps ?? '',
    u.maxBandwidthMbps ?? '',
    (u.volumeSamples ?? []).map((v) => `${t(v.at)}=${v.mbps}`),
  ]);
}

type IngestOptions = { strictEntitlement: boolean; batchId?: string; now?: Date; correctParked?: boolean };
type Indexed = { index: number; record: UsageRecord };
type Reject = (index: number, raw: unknown, field: string | null, reason: string) => void;

/** The buyers a METER or LEC credential is registered for (null: the role is not limited to registered buyers); FORBIDDEN for a role that may not report. */
async function reportableBuyers(deps: Deps, reporter: Reporter): Promise<Set<string> | null> {
  if (!ANY_PARTY.includes(reporter.role) && !SOURCE_FOR_ROLE[reporter.role]) {
    throw forbidden(`role ${reporter.role} may not report usage`);
  }
  if (reporter.role !== 'METER' && reporter.role !== 'LEC') return null;
  const reg = await deps.models.Reporter.findById(reporter.sub).lean().exec();
  return new Set(reg && reg.kind === reporter.role ? reg.buyerIds : []);
}

/** The batch's rejections: what the caller is told, and the documents kept with their reasons. */
function rejectionLog(batchId: string, label: string, now: Date) {
  const rejected: IngestOutcome['rejected'] = [];
  const rejectedDocs: RejectedDoc[] = [];
  const reject: Reject = (index, raw, rawField, rawReason) => {
    const recordId = stringField(raw, 'recordId');
    // Field names and reasons can quote an unknown key of the caller's.
    const field = rawField === null ? null : escapeControlCharacters(rawField);
    const reason = escapeControlCharacters(rawReason);
    rejected.push({ index, recordId, field, reason });
    rejectedDocs.push({
      _id: `${batchId}:${index}`,
      batchId,
      index,
      recordId,
      source: stringField(raw, 'source'),
      field,
      reason,
      raw: rawString(raw),
      reportedBy: label,
      rejectedAt: now,
    });
  };
  return { rejected, rejectedDocs, reject };
}

/** Why `reporter` may not report record `r`, or null. */
function entitlementProblem(reporter: Reporter, registeredBuyers: Set<string> | null, r: UsageRecord): string | null {
  const requiredSource = SOURCE_FOR_ROLE[reporter.role];
  if (requiredSource && r.source !== requiredSource) return `a ${reporter.role} credential reports usage with source ${requiredSource}, not ${r.source}`;
  if (reporter.role === 'CARRIER' && r.carrierId !== reporter.sub) return `carrier ${reporter.sub} may only report its own traffic (carrierId ${r.carrierId})`;
  if (registeredBuyers && !registeredBuyers.has(r.buyerId)) return `${reporter.role} ${reporter.sub} is not registered to report usage for buyer ${r.buyerId}`;
  if (reporter.feedBuyerIds && reporter.feedBuyerIds.length > 0 && !reporter.feedBuyerIds.includes(r.buyerId)) return `this feed is not registered for buyer ${r.buyerId}`;
  return null;
}

/** The records that are well-formed and within the reporter's entitlement; the others are rejected (or, strict, fail the call). */
function validRecords(deps: Deps, reporter: Reporter, registeredBuyers: Set<string> | null, raws: unknown[], now: Date, strict: boolean, reject: Reject): Indexed[] {
  const valid: Indexed[] = [];
  raws.forEach((raw, index) => {
    const v = validateUsageRecord(raw, index, now, { maxDataRateMbps: deps.config.USAGE_MAX_DATA_RATE_MBPS });
    if (!v.ok) return reject(index, raw, v.field, v.reason);
    const problem = entitlementProblem(reporter, registeredBuyers, v.record);
    if (problem) {
      if (strict) throw forbidden(`records[${index}]: ${problem}; nothing was stored`);
      return reject(index, raw, 'buyerId', problem);
    }
    valid.push({ index, record: v.record });
  });
  return valid;
}

/** The usage document of record `r` as associated (`a`). */
function usageDoc(r: UsageRecord, a: Association, reporter: Reporter, label: string, batchId: string, now: Date): UsageDoc {
  const doc: UsageDoc = {
    _id: usageId(r, reporter),
    recordId: r.recordId,
    source: r.source,
    buyerId: r.buyerId,
    carrierId: r.carrierId,

    intervalStart: r.intervalStart,
    intervalEnd: r.intervalEnd,
    serviceType: r.serviceType,
    quantity: r.quantity,
    // Stored as RATED at once: the rating batch below covers the gap until its billing record exists.
    status: a.status === 'ASSOCIATED' ? 'RATED' : 'UNASSOCIATED',
    reportedBy: label,
    batchId,
    receivedAt: now,
  };
  // Absent rather than null: document size dominates insert cost on FerretDB.
  if (r.requestId !== undefined) doc.reportedRequestId = r.requestId;
  if (a.status === 'ASSOCIATED') {
    doc.requestId = a.requestId;
    doc.selectionId = a.selectionId;
  } else doc.unassociatedReason = a.reason;
  if (r.equipmentId !== undefined) doc.equipmentId = r.equipmentId;
  if (r.endUserId !== undefined) doc.endUserId = r.endUserId;
  if (r.destination !== undefined) doc.destination = r.destination;
  if (r.qos !== undefined) doc.qos = r.qos as Record<string, number>;
  if (r.minBandwidthMbps !== undefined) doc.minBandwidthMbps = r.minBandwidthMbps;
  if (r.maxBandwidthMbps !== undefined) doc.maxBandwidthMbps = r.maxBandwidthMbps;
  if (r.volumeSamples !== undefined) doc.volumeSamples = r.volumeSamples;
  return doc;
}

/**
 * Associates the valid records with the selections of the batch's requests and buyer/carrier
 * pairs: `docs[i]` is the document of `kept[i]`. A record naming an end user its buyer did not
 * register, or a percentile record without samples, is rejected.
 */
async function associatedDocs(deps: Deps, valid: Indexed[], raws: unknown[], reject: Reject, doc: (r: UsageRecord, a: Association) => UsageDoc) {
  const selections = await loadSelectionsFor(deps, valid.map((v) => v.record));
  const refs = [...selections.values()].map(toSelectionRef);
  const docs: UsageDoc[] = [];
  const kept: Indexed[] = [];
  for (const v of valid) {
    const r = v.record;
    const a = associate(r, refs);
    const foreign = a.status === 'ASSOCIATED' ? unknownEndUser(r, selections.get(a.selectionId)) : null;
    if (foreign) {
      reject(v.index, raws[v.index], 'endUserId', foreign);
      continue;
    }
    const unsampled = a.status === 'ASSOCIATED' ? unsampledPercentile(r, selections.get(a.selectionId)) : null;
    if (unsampled) {
      reject(v.index, raws[v.index], 'volumeSamples', unsampled);
      continue;
    }
    kept.push(v);
    docs.push(doc(r, a));
  }
  return { selections, docs, kept };
}

/** Opens the batch's rating batch (a feed page re-read after a crash reuses its batch id: re-opened rather than failed). */
async function openRatingBatch(deps: Deps, batchId: string, now: Date): Promise<void> {
  const dup = await insertIgnoringDuplicates(deps.models.RatingBatch, [{ _id: batchId, state: 'OPEN', createdAt: now }]);
  if (dup.size) await deps.models.RatingBatch.updateOne({ _id: batchId }, { $set: { state: 'OPEN', createdAt: now } }).exec();
}

/**
 * Sorts the ids already stored (`dupIndexes`, positions in `docs`) into true re-deliveries (left
 * in `dupIndexes`), declared corrections of parked records (replaced, removed from it) and
 * conflicts (another call under a used id: rejected with the reason, returned).
 */
async function settleDuplicates(deps: Deps, docs: UsageDoc[], kept: Indexed[], raws: unknown[], dupIndexes: Set<number>, label: string, correctParked: boolean | undefined, reject: Reject): Promise<Set<number>> {
  const { Usage } = deps.models;
  const conflicts = new Set<number>();
  // A duplicate id with other contents is not a re-delivery: refused as a conflict (kept with its
  // reason), never counted as a duplicate.
  if (!dupIndexes.size) return conflicts;
  const dupDocs = [...dupIndexes].map((i) => docs[i]);
  const stored = new Map(((await Usage.find({ _id: { $in: dupDocs.map((d) => d._id) } }).lean().exec()) as UsageDoc[]).map((u) => [u._id, u]));
  for (const i of [...dupIndexes]) {
    const mine = docs[i];
    const theirs = stored.get(mine._id);
    if (!theirs || usageFingerprint(theirs) === usageFingerprint(mine)) continue;
    // A declared correction (a CDR file re-imported with the right carrier or time zone): a
    // record still parked UNASSOCIATED has been billed nowhere, so the same reporter's corrected
    // copy replaces it. Only when declared: two switches reusing an id must not replace each
    // other's calls. The delete is conditional, so a record the sweeper associated meanwhile stays.
    if (correctParked && theirs.status === 'UNASSOCIATED' && (await replaceParked(Usage, mine))) {
      dupIndexes.delete(i);
      continue;
    }
    dupIndexes.delete(i);
    conflicts.add(i);
    const index = kept[i].index;
    // Not a re-delivery: another call under a used id. Switch ids (Asterisk uniqueid) are unique
    // on one switch only, so the reason says how to tell two switches apart.
    const where = mine.equipmentId !== undefined ? ` from equipment ${mine.equipmentId}` : ' (no equipmentId: record ids are unique per switch, so a second switch must be named with equipmentId / --equipment)';
    reject(index, raws[index], 'recordId', `conflict: recordId ${mine.recordId}${where} was already reported by ${label} with different contents; a correction needs a new recordId`);
  }
  return conflicts;
}

/**
 * Ingests one batch of usage (push API, feed polls, CDR CLI through the API).
 * `strictEntitlement`: a record outside the caller's entitlement fails the whole call with
 * FORBIDDEN before anything is written (API callers). Feeds reject such records one by one.
 * Steps: check the reporter, validate, associate, then (in the called numbers' turn) mediate,
 * store, sort duplicates from conflicts, keep the rejections and rate what was stored.
 */
export async function ingestUsage(deps: Deps, reporter: Reporter, raws: unknown[], opts: IngestOptions = { strictEntitlement: true }): Promise<IngestOutcome> {
  if (!Array.isArray(raws)) throw badInput('records', 'records must be a list');
  if (raws.length > MAX_BATCH) throw badInput('records', `records must hold at most ${MAX_BATCH} records per call (got ${raws.length})`);
  const now = opts.now ?? new Date();
  const batchId = opts.batchId ?? `batch_${randomUUID()}`;
  const label = reporterLabel(reporter);

  const registeredBuyers = await reportableBuyers(deps, reporter);
  const { rejected, rejectedDocs, reject } = rejectionLog(batchId, label, now);
  const valid = validRecords(deps, reporter, registeredBuyers, raws, now, opts.strictEntitlement, reject);
  const { selections, docs, kept } = await associatedDocs(deps, valid, raws, reject, (r, a) => usageDoc(r, a, reporter, label, batchId, now));

  // From mediation to rating, batches reporting the same called numbers take turns (call-locks.ts).
  const { fresh, dupIndexes, conflicts } = await inCallTurns(deps, docs, async () => {
    // One call, one charge: records of a call another source already reported become evidence.
    await mediateUsage(deps, docs, 'insert', now);
    // The unique _id (`${source}:${recordId}`) is the duplicate check, and only records this call
    // inserted go on to rating: the check guards the charge, not just the insert.
    const toRate = docs.some((d) => d.status === 'RATED');
    if (toRate) await openRatingBatch(deps, batchId, now);
    const dupIndexes = await insertIgnoringDuplicates(deps.models.Usage, docs);
    const conflicts = await settleDuplicates(deps, docs, kept, raws, dupIndexes, label, opts.correctParked, reject);
    const fresh = docs.filter((_, i) => !dupIndexes.has(i) && !conflicts.has(i));
    if (rejectedDocs.length) await insertIgnoringDuplicates(deps.models.Rejected, rejectedDocs);
    await rateUsageDocs(deps, fresh.filter((d) => d.status === 'RATED'), selections, { batchId });
    // Finished batches are removed (not marked DONE), so the sweeper's read of this collection stays
    // small: every read is a full scan on FerretDB 1.x/SQLite.
    if (toRate) await deps.models.RatingBatch.deleteOne({ _id: batchId }).exec();
    return { fresh, dupIndexes, conflicts };
  });
  const parked = docs.flatMap((d, i) => (d.status === 'UNASSOCIATED' && !dupIndexes.has(i) && !conflicts.has(i) ? [{ index: kept[i].index, recordId: d.recordId, reason: d.unassociatedReason ?? 'NO_MATCHING_SELECTION' }] : []));
  return { accepted: fresh.length, duplicates: dupIndexes.size, rejected, parked };
}
