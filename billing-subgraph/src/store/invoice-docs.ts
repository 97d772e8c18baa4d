import { Schema } from 'mongoose';

// The parts of a bill that its invoice snapshot adds (services/bill-invoice.ts), kept apart from models.ts.
/** A party as its bill names it, copied from its billing profile when the bill is issued. */
export interface InvoicePartyDoc {
  partyId: string;
  legalName: string | null;
  address: { lines: string[]; city: string; region?: string | null; postalCode?: string | null; country: string } | null;
  taxRegistration: string | null;
}

export interface TaxLineDoc {
  name: string;
  ratePercent: string;
  base: string;
  amount: string;
  reverseCharge: boolean;
  note: string | null;
}

export interface DestinationRowDoc {
  prefix: string | null;
  country: string | null;
  countryName: string;
  calls: number;
  minutes: string;
  amount: string;
}

export function invoicePartySchema(): Schema<InvoicePartyDoc> {
  const address = new Schema({ lines: [String], city: String, region: String, postalCode: String, country: String }, { _id: false });
  return new Schema<InvoicePartyDoc>({ partyId: String, legalName: String, address: { type: address, default: null }, taxRegistration: String }, { _id: false });
}
