import { ascendingPages } from '@exchange/platform';
import type { BillClaimDoc, BillingModels, BillingRecordDoc } from './models';
import { fromStoredBillingRecord, segmentsOf, STORED_SEGMENT_FIELDS, type StoredBillingRecord } from './billing-record-format';

// A bill claims each billing record it charges with one unique BillClaim document (_id = the
// record's id): the claim is the once-only lock, and it carries the record's grouping fields so the
// same filter and order read records and claims alike.

export type ClaimableRecord = Pick<BillingRecordDoc, '_id' | 'selectionId' | 'endUserId' | 'unit' | 'segments' | 'samplesMbps' | 'slotSamples' | 'buyerId' | 'carrierId' | 'requestId' | 'currency' | 'intervalStart' | 'destination'>;
export const CLAIMABLE_FIELDS = { selectionId: 1, endUserId: 1, unit: 1, samplesMbps: 1, slotSamples: 1, buyerId: 1, carrierId: 1, requestId: 1, currency: 1, intervalStart: 1, destination: 1, ...STORED_SEGMENT_FIELDS };
/** A record as read with CLAIMABLE_FIELDS, its segments rebuilt from the stored form. */
export const claimable = (doc: Partial<StoredBillingRecord>): ClaimableRecord => ({ ...(doc as ClaimableRecord), segments: segmentsOf(doc) });

export function claimDoc(r: ClaimableRecord, billId: string): BillClaimDoc {
  const c: BillClaimDoc = { _id: r._id, billId, buyerId: r.buyerId, carrierId: r.carrierId, requestId: r.requestId, currency: r.currency, intervalStart: r.intervalStart, selectionId: r.selectionId };
  if (r.samplesMbps) c.samplesMbps = r.samplesMbps;
  if (r.slotSamples) c.slotSamples = r.slotSamples;
  return c;
}

/**
 * Streams the group's billing records in (intervalStart, _id) order together with the claims on
 * them (a claim carries its record's intervalStart: same filter, same order, a merge join in
 * constant memory, read in pages). claimedBy = the bill a record is on.
 */
export async function* withClaims(models: BillingModels, filter: Record<string, unknown>): AsyncGenerator<{ rec: ClaimableRecord; claimedBy: string | null }> {
  const records = ascendingPages<StoredBillingRecord>(models.BillingRecord, filter, { field: 'intervalStart', pageSize: 2000, select: CLAIMABLE_FIELDS });
  const claims = ascendingPages<BillClaimDoc>(models.BillClaim, filter, { field: 'intervalStart', pageSize: 5000, select: { billId: 1 } });
  const before = (a: { intervalStart: Date; _id: string }, b: { intervalStart: Date; _id: string }) =>
    a.intervalStart.getTime() < b.intervalStart.getTime() || (a.intervalStart.getTime() === b.intervalStart.getTime() && a._id < b._id);
  try {
    let claim = (await claims.next()).value as BillClaimDoc | undefined;
    for await (const doc of records) {
      const rec = claimable(doc as Partial<StoredBillingRecord>);
      while (claim && before(claim, rec)) claim = (await claims.next()).value as BillClaimDoc | undefined;
      yield { rec, claimedBy: claim && claim._id === rec._id ? claim.billId : null };
    }
  } finally {
    await claims.return(undefined);
  }
}

export async function hasUnclaimed(models: BillingModels, filter: Record<string, unknown>): Promise<boolean> {
  for await (const { claimedBy } of withClaims(models, filter)) if (claimedBy === null) return true;
  return false;
}

/**
 * The billing records a bill charged, in (start time, id) order, as pages of at most `pageSize`:
 * the claims are read in pages by the {billId, intervalStart} index and each page's records by id,
 * so a bill of millions of records is streamed in constant memory.
 */
export async function* billedRecordPages(models: BillingModels, billId: string, pageSize = 1000): AsyncGenerator<BillingRecordDoc[]> {
  const claims = ascendingPages<BillClaimDoc>(models.BillClaim, { billId }, { field: 'intervalStart', pageSize, select: { _id: 1 } });
  let ids: string[] = [];
  const load = async (page: string[]) => {
    const docs = (await models.BillingRecord.find({ _id: { $in: page } }).lean().exec()) as StoredBillingRecord[];
    const byId = new Map(docs.map((d) => [d._id, fromStoredBillingRecord(d)]));
    return page.map((id) => byId.get(id)).filter((r): r is BillingRecordDoc => r !== undefined);
  };
  for await (const c of claims) {
    ids.push(c._id);
    if (ids.length >= pageSize) {
      yield await load(ids);
      ids = [];
    }
  }
  if (ids.length) yield await load(ids);
}
