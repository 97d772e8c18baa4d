// Routing attempts per selection and 5-minute slot.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';

/** Routing attempts of one selection in one 5-minute slot; `_id` is `<selectionId>|<slotStart ISO>`. */
export interface RouteAttemptDoc {
  _id: string;
  selectionId: string;
  slotStart: Date;
  attempts: number;
  /** The highest total billing has acknowledged. */
  pushedAttempts: number;
  /** attempts may exceed pushedAttempts (set on every increment, cleared once billing has this total). */
  pushPending: boolean;
}

export function routeAttemptModel(conn: Connection): Model<RouteAttemptDoc> {
  const attempt = new Schema<RouteAttemptDoc>(
    {
      _id: { type: String, required: true },
      selectionId: { type: String, required: true },
      slotStart: { type: Date, required: true },
      attempts: { type: Number, required: true },
      pushedAttempts: { type: Number, required: true },
      pushPending: { type: Boolean, required: true },
    },
    opts,
  );
  attempt.index({ selectionId: 1, slotStart: 1 }, { unique: true });
  attempt.index({ pushPending: 1 });
  return conn.model<RouteAttemptDoc>('RouteAttempt', attempt, 'route_attempts');
}
