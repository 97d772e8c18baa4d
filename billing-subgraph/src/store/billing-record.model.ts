// Rated usage (one billing record per usage record) and the once-only claim of a record by a bill.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';
import type { StoredBillingRecord } from './billing-record-format';

export interface SegmentDoc {
  tierIndex: number;
  fromQuantity: string;
  ratePerUnit: string;
  quantity: string;
  baseQuantity: string;
  amount: string;
}

/** One PERCENTILE_95 sample as stored: its time, Mbps (exact decimal string) and meter (domain SlotSample). */
export interface SlotSampleDoc {
  at: Date;
  mbps: string;
  meter: string;
}

export interface BillingRecordDoc {
  _id: string; // = usage _id (one billing record per usage record: the charge is guarded by it)
  requestId: string;
  selectionId: string;
  buyerId: string;
  carrierId: string;
  endUserId?: string | null;
  period: string; // YYYY-MM (UTC) of intervalStart
  intervalStart: Date;
  serviceType: 'VOICE' | 'DATA';
  unit: string;
  billableQuantity: string;
  billableBaseQuantity: string;
  cumulativeBefore: string;
  segments: SegmentDoc[];
  amount: string;
  currency: string;
  /** PERCENTILE_95 data: the record's 5-minute samples (Mbps); the charge is made per period on the bill. */
  samplesMbps?: string[];
  /** PERCENTILE_95 data: each sample with its time and meter (domain/percentile.ts); replaces samplesMbps. */
  slotSamples?: SlotSampleDoc[];
  /** The called number (E.164 digits) of a voice record that had one: the bill's destination summary and call detail. */
  destination?: string;
  ratedAt: Date;
}

/**
 * "This billing record is on this bill": one small document per record with a unique _id (the
 * record id), so a record lands on exactly one bill even with concurrent runs, and billing never
 * updates billing records (a per-document update costs one write each on FerretDB; a batch
 * insert of claims is cheap). Carries the group keys so claims stream in the same order and
 * filter as the records they claim.
 */
export interface BillClaimDoc {
  _id: string;
  billId: string;
  buyerId: string;
  carrierId: string;
  requestId: string;
  currency: string;
  intervalStart: Date;
  selectionId: string;
  samplesMbps?: string[];
  slotSamples?: SlotSampleDoc[];
}

const slotSampleSchema = () => new Schema<SlotSampleDoc>({ at: Date, mbps: String, meter: String }, { _id: false });

/** Stored form: read through billing-record-format.ts. */
export function billingRecordModel(conn: Connection): Model<StoredBillingRecord> {
  const segment = new Schema<SegmentDoc>(
    { tierIndex: Number, fromQuantity: String, ratePerUnit: String, quantity: String, baseQuantity: String, amount: String },
    { _id: false },
  );
  const billingRecord = new Schema<StoredBillingRecord>(
    {
      _id: { type: String, required: true },
      requestId: String,
      selectionId: String,
      buyerId: String,
      carrierId: String,
      endUserId: String,
      period: String,
      intervalStart: Date,
      serviceType: String,
      unit: String,
      billableQuantity: String,
      billableBaseQuantity: String,
      cumulativeBefore: String,
      // Stored form (billing-record-format.ts): a single-segment record keeps its tier in the three
      // fields below instead of `segments`, and `period` is derived from intervalStart.
      segments: { type: [segment], default: undefined },
      tierIndex: Number,
      tierFrom: String,
      ratePerUnit: String,
      amount: String,
      currency: String,
      samplesMbps: { type: [String], default: undefined },
      slotSamples: { type: [slotSampleSchema()], default: undefined },
      destination: String,
      ratedAt: Date,
    },
    opts,
  );
  billingRecord.index({ intervalStart: 1 });
  billingRecord.index({ buyerId: 1, carrierId: 1, _id: 1 });
  billingRecord.index({ requestId: 1, _id: 1 });
  return conn.model<StoredBillingRecord>('BillingRecord', billingRecord, 'billing_records');
}

export function billClaimModel(conn: Connection): Model<BillClaimDoc> {
  const claim = new Schema<BillClaimDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      buyerId: String,
      carrierId: String,
      requestId: String,
      currency: String,
      intervalStart: Date,
      selectionId: String,
      samplesMbps: { type: [String], default: undefined },
      slotSamples: { type: [slotSampleSchema()], default: undefined },
    },
    opts,
  );
  claim.index({ billId: 1, selectionId: 1 });
  // A bill's call-detail annex reads its claims in time order, in pages.
  claim.index({ billId: 1, intervalStart: 1 });
  claim.index({ buyerId: 1, carrierId: 1, _id: 1 });
  // The bill run reads the period's claims by the records' time.
  claim.index({ intervalStart: 1 });
  return conn.model<BillClaimDoc>('BillClaim', claim, 'bill_claims');
}
