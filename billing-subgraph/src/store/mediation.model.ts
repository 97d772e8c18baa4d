import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

/** Mediation policy of one buyer–carrier pair (services/usage/mediation.ts); the configured default otherwise. */
export interface MediationPolicyDoc {
  _id: string; // `${buyerId}|${carrierId}`
  buyerId: string;
  carrierId: string;
  precedence: string[];
  answerToleranceSeconds: number;
  durationToleranceSeconds: number;
  durationTolerancePercent: number;
  updatedBy: string;
  updatedAt: Date;
}

export function mediationPolicyModel(conn: Connection): Model<MediationPolicyDoc> {
  return conn.model<MediationPolicyDoc>(
    'MediationPolicy',
    new Schema<MediationPolicyDoc>({ _id: { type: String, required: true }, buyerId: String, carrierId: String, precedence: [String], answerToleranceSeconds: Number, durationToleranceSeconds: Number, durationTolerancePercent: Number, updatedBy: String, updatedAt: Date }, opts),
    'mediation_policies',
  );
}
