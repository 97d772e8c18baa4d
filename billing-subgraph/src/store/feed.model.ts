// Usage sources registered by the operators: reporters (meters, LECs) and polled feeds.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface ReporterDoc {
  _id: string;
  kind: 'METER' | 'LEC';
  buyerIds: string[];
  updatedAt: Date;
}

export interface FeedDoc {
  _id: string;
  url: string;
  equipmentId: string;
  buyerIds: string[];
  intervalSeconds: number;
  cursor?: string | null;
  nextPollAt: Date;
  leaseUntil?: Date | null;
  leaseOwner?: string | null;
  lastPolledAt?: Date | null;
  lastSuccessAt?: Date | null;
  lastError?: string | null;
  consecutiveFailures: number;
  acceptedTotal: number;
  duplicatesTotal: number;
  rejectedTotal: number;
  createdBy: string;
  createdAt: Date;
}

export function reporterModel(conn: Connection): Model<ReporterDoc> {
  const reporter = new Schema<ReporterDoc>({ _id: { type: String, required: true }, kind: String, buyerIds: [String], updatedAt: Date }, opts);
  return conn.model<ReporterDoc>('UsageReporter', reporter, 'usage_reporters');
}

export function feedModel(conn: Connection): Model<FeedDoc> {
  const feed = new Schema<FeedDoc>(
    {
      _id: { type: String, required: true },
      url: String,
      equipmentId: String,
      buyerIds: [String],
      intervalSeconds: Number,
      cursor: String,
      nextPollAt: Date,
      leaseUntil: Date,
      leaseOwner: String,
      lastPolledAt: Date,
      lastSuccessAt: Date,
      lastError: String,
      consecutiveFailures: Number,
      acceptedTotal: Number,
      duplicatesTotal: Number,
      rejectedTotal: Number,
      createdBy: String,
      createdAt: Date,
    },
    opts,
  );
  feed.index({ nextPollAt: 1 });
  return conn.model<FeedDoc>('UsageFeed', feed, 'usage_feeds');
}
