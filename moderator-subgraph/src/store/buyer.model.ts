// Buyers (a reseller keeps its end users on the buyer document).
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface EndUserDoc {
  id: string;
  name: string;
}

export interface BuyerDoc {
  _id: string;
  name: string;
  isReseller: boolean;
  endUsers: EndUserDoc[];
  createdAt: Date;
}

export function buyerModel(conn: Connection): Model<BuyerDoc> {
  const buyer = new Schema<BuyerDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      isReseller: { type: Boolean, required: true },
      endUsers: { type: [{ _id: false, id: String, name: String }], default: [] },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  buyer.index({ createdAt: 1 });
  return conn.model<BuyerDoc>('Buyer', buyer, 'buyers');
}
