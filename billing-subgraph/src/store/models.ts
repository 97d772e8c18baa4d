import { Schema, type Connection, type Model } from 'mongoose';

export interface BillDoc {
  _id: string;
  requestId: string;
  issuedAt: Date;
}

export interface BillingModels {
  Bill: Model<BillDoc>;
}

/** Registers billing's models on its own connection (its own database, never the moderator's). */
export function registerModels(conn: Connection): BillingModels {
  const bill = new Schema<BillDoc>(
    { _id: { type: String, required: true }, requestId: { type: String, required: true }, issuedAt: { type: Date, required: true } },
    { versionKey: false },
  );
  bill.index({ requestId: 1 });
  return { Bill: conn.model<BillDoc>('Bill', bill, 'bills') };
}
