import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

/**
 * Routing attempts of one selection in one 5-minute slot, as the Moderator's route server counted
 * them (services/usage/route-attempts.ts). A selection id billing has no record of yet is kept: it is
 * counted once its selection record arrives (reconciliation reads slots by the pair's selections).
 */
export interface RouteAttemptDoc {
  _id: string; // `${selectionId}|${slotStart ISO}`
  selectionId: string;
  slotStart: Date;
  /** The largest absolute total received for the slot ($max: re-sends never lower it). */
  attempts: number;
  updatedAt: Date;
}

export const routeAttemptId = (selectionId: string, slotStart: Date) => `${selectionId}|${slotStart.toISOString()}`;

export function routeAttemptModel(conn: Connection): Model<RouteAttemptDoc> {
  const schema = new Schema<RouteAttemptDoc>(
    { _id: { type: String, required: true }, selectionId: { type: String, required: true }, slotStart: { type: Date, required: true }, attempts: { type: Number, required: true }, updatedAt: Date },
    opts,
  );
  // One document per (selection, slot); also the reconciliation's read (selections × period).
  schema.index({ selectionId: 1, slotStart: 1 }, { unique: true });
  return conn.model<RouteAttemptDoc>('RouteAttempt', schema, 'route_attempts');
}
