import { Schema } from 'mongoose';

// Money and quantities are exact decimal strings everywhere (no Decimal128 on FerretDB 1.x).
// Idempotency keys are unique indexes; state changes are single-document conditional updates.

/** Every billing collection: no __v, no fields beyond the schema. */
export const SCHEMA_OPTIONS = { versionKey: false as const, strict: true };
/** A free-form sub-document (an incentive, QoS figures). */
export const MIXED = Schema.Types.Mixed;
