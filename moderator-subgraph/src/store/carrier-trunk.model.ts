// Carriers' SIP trunks.
import { Schema, type Connection, type Model } from 'mongoose';
import type { CarrierTrunk } from '../domain/trunk';
import { SCHEMA_OPTIONS as opts } from './schema-options';

/** The domain's trunk as stored: its id is the document's _id. */
export type CarrierTrunkDoc = Omit<CarrierTrunk, 'id'> & { _id: string };

export function carrierTrunkModel(conn: Connection): Model<CarrierTrunkDoc> {
  const trunk = new Schema<CarrierTrunkDoc>(
    {
      _id: { type: String, required: true },
      carrierId: { type: String, required: true },
      name: { type: String, required: true },
      host: { type: String, required: true },
      port: { type: Number, required: true },
      transport: { type: String, required: true },
      techPrefix: { type: String, default: '' },
      priority: { type: Number, required: true },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  // A trunk's name is how CDRs name it (dstchannel): one per carrier.
  trunk.index({ carrierId: 1, name: 1 }, { unique: true });
  return conn.model<CarrierTrunkDoc>('CarrierTrunk', trunk, 'carrier_trunks');
}
