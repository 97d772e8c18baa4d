// Bids as carriers submitted them (what counts in the auction is the log's fold).
import { Schema, type Connection, type Model } from 'mongoose';
import type { EconomicIncentive } from '../domain/incentive';
import type { OfferedQos } from '../domain/qos';
import { SCHEMA_OPTIONS as opts } from './schema-options';

const Mixed = Schema.Types.Mixed;

export type StoredBidStatus = 'PENDING' | 'ACTIVE' | 'REPLACED' | 'WITHDRAWN' | 'REJECTED';

export interface BidDoc {
  _id: string;
  requestId: string;
  carrierId: string;
  status: StoredBidStatus;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  validUntil?: Date;
  submittedAt: Date;
  replacesBidId?: string;
  replacedByBidId?: string;
  withdrawnAt?: Date;
}

export function bidModel(conn: Connection): Model<BidDoc> {
  const bid = new Schema<BidDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      carrierId: { type: String, required: true },
      status: { type: String, required: true },
      incentive: { type: Mixed, required: true },
      offeredQos: Mixed,
      validUntil: Date,
      submittedAt: { type: Date, required: true },
      replacesBidId: String,
      replacedByBidId: String,
      withdrawnAt: Date,
    },
    opts,
  );
  bid.index({ requestId: 1, submittedAt: 1 });
  bid.index({ carrierId: 1, submittedAt: -1 });
  return conn.model<BidDoc>('Bid', bid, 'bids');
}
