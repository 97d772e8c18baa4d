import { Schema, type Connection, type Model } from 'mongoose';
import { defaultProfile, type BillingProfile } from '../domain';

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
      tax: { type: tax, default: null },
      paymentTermsDays: { type: Number, required: true },
      paymentInstructions: { type: String, default: null },
      updatedBy: String,
      updatedAt: Date,
    },
    { versionKey: false, strict: true },
  );
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
