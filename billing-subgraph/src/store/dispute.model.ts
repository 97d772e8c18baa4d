import { Schema, type Connection, type Model } from 'mongoose';

/** A bill dispute (services/payments/disputes.ts): opened by the buyer or carrier, resolved by the billing agent; history kept. */
export interface DisputeDoc {
  _id: string;
  billId: string;
  billNumber: string;
  buyerId: string;
  carrierId: string;
  /** A line of the bill (0-based), or null for the bill as a whole. */
  lineIndex: number | null;
  reason: string;
  amount: string;
  currency: string;
  status: 'OPEN' | 'ACCEPTED' | 'REJECTED';
  openedBy: string;
  openedAt: Date;
  /** The reconciliation of the bill's pair and period when the dispute was opened (CSV), or why there is none. */
  evidenceCsv: string;
  resolutionReason?: string | null;
  resolvedAmount?: string | null;
  adjustmentBillId?: string | null;
  resolvedBy?: string | null;
  resolvedAt?: Date | null;
  history: { at: Date; by: string; action: string; reason: string }[];
  /** An acceptance under way (services/payments/disputes.ts): who, since when, for which amount; the dispute stays OPEN until its adjustment bill exists. */
  resolving?: { by: string; at: Date; amount: string } | null;
}

export function disputeModel(conn: Connection): Model<DisputeDoc> {
  const s = new Schema<DisputeDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      billNumber: String,
      buyerId: String,
      carrierId: String,
      lineIndex: Number,
      reason: String,
      amount: String,
      currency: String,
      status: String,
      openedBy: String,
      openedAt: Date,
      evidenceCsv: String,
      resolutionReason: String,
      resolvedAmount: String,
      adjustmentBillId: String,
      resolvedBy: String,
      resolvedAt: Date,
      history: [{ _id: false, at: Date, by: String, action: String, reason: String }],
      resolving: { type: { _id: false, by: String, at: Date, amount: String }, default: undefined },
    },
    { versionKey: false, strict: true },
  );
  s.index({ billId: 1 });
  s.index({ buyerId: 1 });
  s.index({ carrierId: 1 });
  s.index({ status: 1 });
  return conn.model<DisputeDoc>('Dispute', s, 'disputes');
}
