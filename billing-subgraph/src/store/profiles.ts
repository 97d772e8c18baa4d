import { DATE_MAX } from '@exchange/platform';
import { Schema, type Connection, type Model } from 'mongoose';
import { defaultProfile, type BillingProfile } from '../domain';
import type { StoredBillingRecord } from './billing-record-format';

/** A stored billing profile (domain/billing-profile.ts); _id = the party id. */
export interface BillingProfileDoc extends Omit<BillingProfile, 'partyId'> {
  _id: string;
  updatedBy: string;
  updatedAt: Date;
}

export function billingProfileModel(conn: Connection): Model<BillingProfileDoc> {
  const address = new Schema({ lines: [String], city: String, region: String, postalCode: String, country: String }, { _id: false });
  const tax = new Schema({ name: String, ratePercent: String, reverseCharge: Boolean }, { _id: false });
  const s = new Schema<BillingProfileDoc>(
    {
      _id: { type: String, required: true },
      role: { type: String, required: true },
      timeZone: { type: String, required: true },
      cycleDay: { type: Number, required: true },
      currency: { type: String, default: null },
      legalName: { type: String, default: null },
      address: { type: address, default: null },
      taxRegistration: { type: String, default: null },
      accountNumber: { type: String, default: null },
      tax: { type: tax, default: null },
      paymentTermsDays: { type: Number, required: true },
      paymentInstructions: { type: String, default: null },
      previousRules: { type: [{ _id: false, timeZone: String, cycleDay: Number, until: Date }], default: undefined },
      updatedBy: String,
      updatedAt: Date,
    },
    { versionKey: false, strict: true },
  );
  // A billing cycle groups the buyers' profiles by zone and cycle day.
  s.index({ role: 1, timeZone: 1, cycleDay: 1 });
  return conn.model<BillingProfileDoc>('BillingProfile', s, 'billing_profiles');
}

export function toProfile(d: BillingProfileDoc): BillingProfile {
  const { _id, updatedBy: _b, updatedAt: _a, ...rest } = d;
  return { ...defaultProfile(_id, d.role), ...rest, partyId: _id };
}

/** The profiles of `ids` (one read), the default for a party without one. */
export async function profilesOf(model: Model<BillingProfileDoc>, ids: { id: string; role: 'BUYER' | 'CARRIER' }[]): Promise<Map<string, BillingProfile>> {
  const unique = [...new Set(ids.map((i) => i.id))];
  const found = unique.length ? ((await model.find({ _id: { $in: unique } }).lean().exec()) as BillingProfileDoc[]) : [];
  const byId = new Map(found.map((d) => [d._id, toProfile(d)]));
  const out = new Map<string, BillingProfile>();
  for (const { id, role } of ids) out.set(id, byId.get(id) ?? defaultProfile(id, role));
  return out;
}

export async function profileOf(model: Model<BillingProfileDoc>, id: string, role: 'BUYER' | 'CARRIER'): Promise<BillingProfile> {
  return (await profilesOf(model, [{ id, role }])).get(id)!;
}

/** Stores the whole profile (replacing the previous one); returns it as stored. */
export async function saveProfile(model: Model<BillingProfileDoc>, p: BillingProfile, updatedBy: string, now = new Date()): Promise<BillingProfileDoc> {
  const { partyId, ...rest } = p;
  const doc: BillingProfileDoc = { _id: partyId, ...rest, updatedBy, updatedAt: now };
  await model.replaceOne({ _id: partyId }, doc, { upsert: true }).exec();
  return doc;
}

/** The stored profile document of a party (with updatedBy/updatedAt), or null. */
export async function storedProfile(model: Model<BillingProfileDoc>, id: string): Promise<BillingProfileDoc | null> {
  return (await model.findById(id).lean().exec()) as BillingProfileDoc | null;
}

/** Every stored profile of a role, only its party, zone and cycle day (a billing cycle's grouping). */
export async function cyclesOf(model: Model<BillingProfileDoc>, role: 'BUYER' | 'CARRIER'): Promise<{ partyId: string; timeZone: string; cycleDay: number; previousRules?: BillingProfile['previousRules'] }[]> {
  const docs = (await model.find({ role }).select({ _id: 1, timeZone: 1, cycleDay: 1, previousRules: 1 }).lean().exec()) as Pick<BillingProfileDoc, '_id' | 'timeZone' | 'cycleDay' | 'previousRules'>[];
  return docs.map((d) => ({ partyId: d._id, timeZone: d.timeZone, cycleDay: d.cycleDay, previousRules: d.previousRules ?? undefined }));
}

/**
 * Whether the party has a billing record from `from` on (future-dated usage rated under its
 * current rules). Bounded above too: FerretDB/SQLite keeps only date ranges on the index.
 */
export async function hasRecordsFrom(models: { BillingRecord: Model<StoredBillingRecord> }, party: { buyerId: string } | { carrierId: string }, from: Date): Promise<boolean> {
  return (await models.BillingRecord.findOne({ ...party, intervalStart: { $gte: from, $lte: DATE_MAX } }).select({ _id: 1 }).lean().exec()) !== null;
}
