// Payments and the double-entry ledger (services/payments/, domain/ledger.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface PaymentDoc {
  /** `${billId}|${paymentId}`: a payment id is scoped to its bill (and so to the bill's payer). */
  _id: string;
  /** The payer's own payment id (unique per bill only; store/migrations/0002 set it on payments stored before scoping). */
  paymentId: string;
  billId: string;
  buyerId: string;
  carrierId: string;
  amount: string;
  currency: string;
  path: 'DIRECT' | 'VIA_MODERATOR';
  reference?: string | null;
  recordedBy: string;
  receivedAt: Date;
}

export interface LedgerDoc {
  _id: string;
  event: string;
  account: string;
  amount: string;
  currency: string;
  billId: string;
  paymentId?: string | null;
  description: string;
  postedAt: Date;
}

export function paymentModel(conn: Connection): Model<PaymentDoc> {
  const payment = new Schema<PaymentDoc>(
    {
      _id: { type: String, required: true },
      paymentId: String,
      billId: String,
      buyerId: String,
      carrierId: String,
      amount: String,
      currency: String,
      path: String,
      reference: String,
      recordedBy: String,
      receivedAt: Date,
    },
    opts,
  );
  payment.index({ billId: 1 });
  payment.index({ paymentId: 1 });
  payment.index({ carrierId: 1, receivedAt: 1 });
  return conn.model<PaymentDoc>('Payment', payment, 'payments');
}

export function ledgerModel(conn: Connection): Model<LedgerDoc> {
  const ledger = new Schema<LedgerDoc>(
    {
      _id: { type: String, required: true },
      event: String,
      account: String,
      amount: String,
      currency: String,
      billId: String,
      paymentId: String,
      description: String,
      postedAt: Date,
    },
    opts,
  );
  ledger.index({ billId: 1, postedAt: 1 });
  ledger.index({ account: 1, postedAt: 1 });
  ledger.index({ paymentId: 1 });
  return conn.model<LedgerDoc>('LedgerEntry', ledger, 'ledger_entries');
}
