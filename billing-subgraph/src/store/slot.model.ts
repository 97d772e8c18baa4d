// Sequences and once-only claims (store/slots.ts), and where a selection's usage totals are.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';
import type { PaymentEmbed } from './bill.model';

export interface CounterDoc {
  _id: string; // `${selectionId}|${period}` for tier cumulative, `billno|YYYY-MM` for numbers
  value: string;
  seq?: number;
}

/**
 * One step of a sequence (tier cumulative totals, bill numbers): {key, seq} is claimed by an
 * insert with a unique _id. Unique inserts are atomic on MongoDB and on every FerretDB, whereas a
 * conditional update is atomic on MongoDB and on the embedded engine (patched) but NOT on FerretDB
 * 1.x as released (two concurrent updateOne calls with the same filter both "modify"), which an
 * operator may run on PostgreSQL; so the sequences billing depends on for money (tier totals,
 * bill numbers, payments) stay inserts of the next slot. They also keep the history crash
 * recovery reads (the batch and starting total of each tier step).
 */
export interface SlotDoc {
  _id: string; // `${key}|${seq}`
  key: string;
  seq: number;
  value: string;
  /** Payment slots: the state the bill moves to and the payment that moved it. */
  payment?: PaymentEmbed | null;
  status?: string | null;
  /** Tier slots claimed by an ingest batch: the batch, and the cumulative total it rated from (crash recovery). */
  batchId?: string | null;
  from?: string | null;
  /**
   * Tier slots: running totals of everything rated under the key up to and including this slot
   * (records, billable quantity, amount), so a usage summary reads one slot instead of every
   * billing record. Absent on slots written before they were kept.
   */
  records?: number | null;
  quantity?: string | null;
  amount?: string | null;
  createdAt: Date;
  /** Once-only claims that matter only for a while (a delivery attempt, a feed poll): swept after this (store/sweep.ts). */
  expiresAt?: Date | null;
}

/**
 * Where a (selection, billing period)'s usage totals are: its tier slot key and the last slot
 * seq known to be written (a lower bound: the reader looks for later slots by _id). One per
 * key, created before the key's first slot, so a request's totals are found by requestId.
 */
export interface UsageTotalsDoc {
  _id: string; // the tier slot key, `tier|<selectionId>|<period>`
  requestId: string;
  selectionId: string;
  buyerId: string;
  carrierId: string;
  period: string;
  serviceType: string;
  unit: string;
  currency: string;
  seq: number;
}

export function counterModel(conn: Connection): Model<CounterDoc> {
  const counter = new Schema<CounterDoc>({ _id: { type: String, required: true }, value: String, seq: Number }, opts);
  return conn.model<CounterDoc>('Counter', counter, 'counters');
}

export function slotModel(conn: Connection): Model<SlotDoc> {
  const slot = new Schema<SlotDoc>(
    {
      _id: { type: String, required: true },
      key: String,
      seq: Number,
      value: String,
      payment: { type: new Schema({ id: String, amount: String, path: String, reference: String, recordedBy: String, receivedAt: Date }, { _id: false }), default: null },
      status: String,
      batchId: String,
      from: String,
      records: Number,
      quantity: String,
      amount: String,
      createdAt: Date,
      expiresAt: Date,
    },
    opts,
  );
  slot.index({ key: 1, seq: -1 });
  // No TTL index on the embedded engine: the sweep reads expired claims by this index.
  slot.index({ expiresAt: 1 });
  return conn.model<SlotDoc>('Slot', slot, 'slots');
}

export function usageTotalsModel(conn: Connection): Model<UsageTotalsDoc> {
  const usageTotals = new Schema<UsageTotalsDoc>(
    {
      _id: { type: String, required: true },
      requestId: String,
      selectionId: String,
      buyerId: String,
      carrierId: String,
      period: String,
      serviceType: String,
      unit: String,
      currency: String,
      seq: Number,
    },
    opts,
  );
  usageTotals.index({ requestId: 1 });
  return conn.model<UsageTotalsDoc>('UsageTotals', usageTotals, 'usage_totals');
}
