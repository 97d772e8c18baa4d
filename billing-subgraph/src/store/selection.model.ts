// A selection record as the Moderator sent it (services/usage/selection.ts).
import { DATE_MAX } from '@exchange/platform';
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts, MIXED as loose } from './schema-options';

export interface SelectionDoc {
  _id: string; // selectionId
  requestId: string;
  buyerId: string;
  buyerIsReseller: boolean;
  /** The end users the buyer registered (from the selection record); absent from moderators that do not send them. */
  endUserIds?: string[];
  carrierId: string;
  routes: { origin: string; destination: string; network?: string | null }[];
  serviceType: 'VOICE' | 'DATA';
  intervalStart: Date;
  intervalEnd: Date;
  quantity: string;
  unit: 'MINUTE' | 'GB' | 'MBPS';
  incentive: Record<string, any>; // NormalizedIncentive
  selectedAt: Date;
  recordedAt: Date;
  advanceBillId?: string | null;
}

export function selectionModel(conn: Connection): Model<SelectionDoc> {
  const selection = new Schema<SelectionDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      buyerId: { type: String, required: true },
      buyerIsReseller: { type: Boolean, required: true },
      endUserIds: { type: [String], default: undefined },
      carrierId: { type: String, required: true },
      routes: [{ _id: false, origin: String, destination: String, network: String }],
      serviceType: { type: String, required: true },
      intervalStart: { type: Date, required: true },
      intervalEnd: { type: Date, required: true },
      quantity: { type: String, required: true },
      unit: { type: String, required: true },
      incentive: { type: loose, required: true },
      selectedAt: { type: Date, required: true },
      recordedAt: { type: Date, required: true },
      advanceBillId: { type: String, default: null },
    },
    opts,
  );
  selection.index({ requestId: 1 });
  selection.index({ buyerId: 1, carrierId: 1 });
  // The bill run's minimum-charge pass reads the selections whose interval overlaps the period.
  selection.index({ intervalEnd: 1 });
  return conn.model<SelectionDoc>('SelectionRecord', selection, 'selection_records');
}

/**
 * Selections with a minimum charge whose interval overlaps [start, end). Both bounds on
 * intervalEnd keep the read on its index (FerretDB/SQLite serves date ranges only).
 */
export async function minimumChargeSelectionsOverlapping(Selection: Model<SelectionDoc>, start: Date, end: Date): Promise<SelectionDoc[]> {
  return (await Selection.find({ intervalEnd: { $gt: start, $lte: DATE_MAX }, intervalStart: { $lt: end }, 'incentive.minimumCharge': { $exists: true } }).lean().exec()) as SelectionDoc[];
}
