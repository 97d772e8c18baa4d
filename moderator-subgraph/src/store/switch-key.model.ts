// Buyer switches' route-server keys (hashed).
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

/** A buyer switch's route-server credential: only the key's SHA-256 is kept. */
export interface SwitchKeyDoc {
  _id: string;
  buyerId: string;
  name: string;
  hash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export function switchKeyModel(conn: Connection): Model<SwitchKeyDoc> {
  const switchKey = new Schema<SwitchKeyDoc>(
    {
      _id: { type: String, required: true },
      buyerId: { type: String, required: true },
      name: { type: String, required: true },
      hash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      revokedAt: { type: Date, default: null },
    },
    opts,
  );
  switchKey.index({ hash: 1 }, { unique: true });
  switchKey.index({ buyerId: 1, createdAt: -1 });
  return conn.model<SwitchKeyDoc>('SwitchKey', switchKey, 'switch_keys');
}
