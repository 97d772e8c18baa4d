// Which carriers a request was distributed to (one document per pair).
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface DistributionDoc {
  _id: string;
  requestId: string;
  carrierId: string;
  at: Date;
}

export function distributionModel(conn: Connection): Model<DistributionDoc> {
  const distribution = new Schema<DistributionDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      carrierId: { type: String, required: true },
      at: { type: Date, required: true },
    },
    opts,
  );
  distribution.index({ requestId: 1, carrierId: 1 }, { unique: true });
  distribution.index({ carrierId: 1, at: -1 });
  return conn.model<DistributionDoc>('Distribution', distribution, 'distributions');
}
