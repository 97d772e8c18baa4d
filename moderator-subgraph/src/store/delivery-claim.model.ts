// Once-only claims of a selection's delivery attempts.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface DeliveryClaimDoc {
  /** `<selectionId>:<attempt>`: one claimer per attempt, by unique insert. */
  _id: string;
  selectionId: string;
  owner: string;
  at: Date;
  leaseUntil: Date;
}

export function deliveryClaimModel(conn: Connection): Model<DeliveryClaimDoc> {
  const claim = new Schema<DeliveryClaimDoc>(
    {
      _id: { type: String, required: true },
      selectionId: { type: String, required: true },
      owner: { type: String, required: true },
      at: { type: Date, required: true },
      leaseUntil: { type: Date, required: true },
    },
    opts,
  );
  claim.index({ selectionId: 1 });
  return conn.model<DeliveryClaimDoc>('DeliveryClaim', claim, 'delivery_claims');
}
