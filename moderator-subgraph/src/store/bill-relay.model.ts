// Bills relayed by the moderator to their parties.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface BillRelayDoc {
  _id: string;
  billId: string;
  billNumber: string;
  kind: string;
  buyerId: string;
  carrierId: string;
  requestId?: string | null;
  total: { amount: string; currency: string };
  url: string;
  recipients: string[];
  relayedAt: Date;
}

export function billRelayModel(conn: Connection): Model<BillRelayDoc> {
  const relay = new Schema<BillRelayDoc>(
    {
      _id: { type: String, required: true },
      billId: { type: String, required: true },
      billNumber: { type: String, required: true },
      kind: { type: String, required: true },
      buyerId: { type: String, required: true },
      carrierId: { type: String, required: true },
      requestId: String,
      total: { amount: { type: String, required: true }, currency: { type: String, required: true } },
      url: { type: String, required: true },
      recipients: { type: [String], required: true },
      relayedAt: { type: Date, required: true },
    },
    opts,
  );
  relay.index({ billId: 1 }, { unique: true });
  relay.index({ buyerId: 1, relayedAt: -1 });
  relay.index({ carrierId: 1, relayedAt: -1 });
  relay.index({ relayedAt: -1 });
  return conn.model<BillRelayDoc>('BillRelay', relay, 'bill_relays');
}
