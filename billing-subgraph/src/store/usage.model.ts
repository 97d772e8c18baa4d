// Usage as reported (services/usage/ingest.ts), what ingestion refused, and the ingest batches between usage and rating.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts, MIXED as loose } from './schema-options';

export type UsageStatus = 'UNASSOCIATED' | 'ASSOCIATED' | 'RATED' | 'CORROBORATING' | 'EXPIRED';

export interface UsageDoc {
  _id: string; // `${source}:${recordId}`, scoped to a tenant reporter and the equipment (services/usage/ingest.ts usageId)
  recordId: string;
  source: string;
  equipmentId?: string;
  buyerId: string;
  carrierId: string;
  requestId?: string | null;
  reportedRequestId?: string | null;
  selectionId?: string | null;
  endUserId?: string;
  intervalStart: Date;
  intervalEnd: Date;
  serviceType: 'VOICE' | 'DATA';
  quantity: string;
  destination?: string;
  qos?: Record<string, number>;
  minBandwidthMbps?: string;
  maxBandwidthMbps?: string;
  volumeSamples?: { at: Date; mbps: string }[];
  status: UsageStatus;
  unassociatedReason?: string | null;
  reportedBy: string;
  batchId: string;
  receivedAt: Date;
  /** Mediation: the call this record reports (the first record's id); absent = a call of its own. */
  callId?: string;
  /** Mediation: the higher-precedence record that replaced this one as the call's billable record. */
  supersededBy?: string;
}

export interface RejectedDoc {
  _id: string;
  batchId: string;
  index: number;
  recordId?: string | null;
  source?: string | null;
  field?: string | null;
  reason: string;
  raw: string;
  reportedBy: string;
  rejectedAt: Date;
}

/** An ingest batch between "usage stored" and "billing records stored"; OPEN ones older than a minute are finished by the sweeper. */
export interface RatingBatchDoc {
  _id: string;
  state: 'OPEN' | 'DONE';
  createdAt: Date;
}

export function usageModel(conn: Connection): Model<UsageDoc> {
  const usage = new Schema<UsageDoc>(
    {
      _id: { type: String, required: true },
      recordId: String,
      source: String,
      equipmentId: String,
      buyerId: String,
      carrierId: String,
      requestId: String,
      reportedRequestId: String,
      selectionId: String,
      endUserId: String,
      intervalStart: Date,
      intervalEnd: Date,
      serviceType: String,
      quantity: String,
      destination: String,
      qos: loose,
      minBandwidthMbps: String,
      maxBandwidthMbps: String,
      volumeSamples: [{ _id: false, at: Date, mbps: String }],
      status: String,
      unassociatedReason: String,
      reportedBy: String,
      batchId: String,
      receivedAt: Date,
      callId: String,
      supersededBy: String,
    },
    opts,
  );
  // Mediation reads the records of the batch's called numbers around their answer times (buyer and
  // carrier are filtered after: with them in the filter SQLite picks the {buyerId, _id} index and
  // reads every record of the buyer).
  usage.index({ destination: 1, intervalStart: 1 });
  usage.index({ callId: 1 });
  // No unique {source, recordId} index: _id is `${source}:${recordId}` plus the reporter/equipment scope (usageId),
  // so the _id index already is the idempotency key; a second unique index only cost every insert.
  usage.index({ status: 1, buyerId: 1, carrierId: 1 });
  usage.index({ requestId: 1 });
  usage.index({ buyerId: 1, _id: 1 });
  usage.index({ carrierId: 1, _id: 1 });
  usage.index({ batchId: 1 });
  usage.index({ status: 1, receivedAt: 1 });
  return conn.model<UsageDoc>('UsageRecord', usage, 'usage_records');
}

export function rejectedUsageModel(conn: Connection): Model<RejectedDoc> {
  const rejected = new Schema<RejectedDoc>(
    {
      _id: { type: String, required: true },
      batchId: String,
      index: Number,
      recordId: String,
      source: String,
      field: String,
      reason: String,
      raw: String,
      reportedBy: String,
      rejectedAt: Date,
    },
    opts,
  );
  rejected.index({ reportedBy: 1, rejectedAt: -1 });
  rejected.index({ rejectedAt: -1, _id: -1 });
  rejected.index({ recordId: 1 });
  rejected.index({ batchId: 1 });
  return conn.model<RejectedDoc>('RejectedUsage', rejected, 'rejected_usage');
}

export function ratingBatchModel(conn: Connection): Model<RatingBatchDoc> {
  const ratingBatch = new Schema<RatingBatchDoc>({ _id: { type: String, required: true }, state: String, createdAt: Date }, opts);
  ratingBatch.index({ state: 1, createdAt: 1 });
  return conn.model<RatingBatchDoc>('RatingBatch', ratingBatch, 'rating_batches');
}
