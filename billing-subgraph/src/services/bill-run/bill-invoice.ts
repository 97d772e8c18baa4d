import { sum, taxBill, type BillingProfile } from '../../domain';
import type { BillDoc, InvoicePartyDoc } from '../../store/models';
import { profilesOf } from '../../store/profiles';
import type { Deps } from '../deps';

const partyOf = (p: BillingProfile): InvoicePartyDoc => ({
  partyId: p.partyId,
  legalName: p.legalName,
  address: p.address ? { lines: [...p.address.lines], city: p.address.city, region: p.address.region ?? null, postalCode: p.address.postalCode ?? null, country: p.address.country } : null,
  taxRegistration: p.taxRegistration,
  accountNumber: p.accountNumber ?? null,
});

export interface InvoiceSnapshot {
  /** Written onto the bill when it is issued: parties, zone, payment instructions, net, taxes and the taxed total. */
  fields: Pick<BillDoc, 'buyerParty' | 'sellerParty' | 'timeZone' | 'paymentInstructions' | 'netAmount' | 'taxLines' | 'total'>;
  buyer: BillingProfile;
}

/**
 * What a bill says about its parties and taxes, from the buyer's and the carrier's billing profiles
 * as they are when it is issued (issued bills never change, so later profile edits do not reach
 * them). `bill.total` is the net; a bill that already has its snapshot keeps it.
 */
export async function invoiceSnapshot(deps: Deps, bill: BillDoc): Promise<InvoiceSnapshot> {
  const profiles = await profilesOf(deps.models.BillingProfile, [
    { id: bill.buyerId!, role: 'BUYER' },
    { id: bill.carrierId!, role: 'CARRIER' },
  ]);
  const buyer = profiles.get(bill.buyerId!)!;
  const seller = profiles.get(bill.carrierId!)!;
  if (bill.netAmount !== undefined) {
    const { buyerParty, sellerParty, timeZone, paymentInstructions, netAmount, taxLines, total } = bill;
    return { fields: { buyerParty, sellerParty, timeZone, paymentInstructions, netAmount, taxLines, total }, buyer };
  }
  const taxed = taxBill(bill.total!, bill.currency!, buyer.tax);
  return {
    fields: {
      buyerParty: partyOf(buyer),
      sellerParty: partyOf(seller),
      // The zone the draft was made in (the one in effect at its period start), else the profile's.
      timeZone: bill.timeZone ?? buyer.timeZone,
      paymentInstructions: seller.paymentInstructions,
      netAmount: taxed.net,
      taxLines: taxed.taxLines,
      total: taxed.total,
    },
    buyer,
  };
}

/** The tax included in a bill's total (the ledger posts it to its own account). */
export const taxOf = (bill: Pick<BillDoc, 'taxLines'>): string => sum((bill.taxLines ?? []).map((t) => t.amount)).toFixed();
