import { Schema } from 'mongoose';
import type { DestinationRow, PostalAddress, TaxLine } from '../domain';

// The parts of a bill that its invoice snapshot adds (services/bill-run/bill-invoice.ts), kept apart from models.ts.
/** A party as its bill names it, copied from its billing profile when the bill is issued. */
export interface InvoicePartyDoc {
  partyId: string;
  legalName: string | null;
  address: PostalAddress | null;
  taxRegistration: string | null;
  /** The party's account number from its profile (absent on bills issued before account numbers). */
  accountNumber?: string | null;
}

// Stored exactly as the domain computes them (domain/tax.ts, domain/destination.ts).
export type TaxLineDoc = TaxLine;
export type DestinationRowDoc = DestinationRow;

export function invoicePartySchema(): Schema<InvoicePartyDoc> {
  const address = new Schema({ lines: [String], city: String, region: String, postalCode: String, country: String }, { _id: false });
  return new Schema<InvoicePartyDoc>({ partyId: String, legalName: String, address: { type: address, default: null }, taxRegistration: String, accountNumber: String }, { _id: false });
}
