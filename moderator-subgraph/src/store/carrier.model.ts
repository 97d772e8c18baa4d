// Carriers and the prefixes they cover.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

export interface CarrierDoc {
  _id: string;
  name: string;
  /** Normalised E.164 prefixes (digits only). */
  coverage: string[];
  createdAt: Date;
}

export function carrierModel(conn: Connection): Model<CarrierDoc> {
  const carrier = new Schema<CarrierDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      coverage: { type: [String], default: [] },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  carrier.index({ createdAt: 1 });
  return conn.model<CarrierDoc>('Carrier', carrier, 'carriers');
}
