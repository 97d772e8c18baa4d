// The auction log: append-only entries, one writer per (request, seq) by the unique index.
import { Schema, type Connection, type Model } from 'mongoose';
import type { AuctionLogEntry } from '../domain/auction-log';
import { SCHEMA_OPTIONS as opts } from './schema-options';

const Mixed = Schema.Types.Mixed;

export function auctionLogModel(conn: Connection): Model<AuctionLogEntry> {
  const log = new Schema<AuctionLogEntry>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      seq: { type: Number, required: true },
      kind: { type: String, required: true },
      at: { type: Date, required: true },
      carrierId: String,
      bidId: String,
      bid: Mixed,
      by: String,
    },
    opts,
  );
  log.index({ requestId: 1, seq: 1 }, { unique: true });
  return conn.model<AuctionLogEntry>('AuctionLog', log, 'auction_log');
}
