import type { Identity } from '@exchange/platform';
import type { BillDoc, LedgerDoc } from '../../store/models';
import { forbidden, maySeeParty } from '../access';
import type { Deps } from '../deps';

/**
 * The ledger postings of a bill, oldest first, for its parties and the operators; none for an
 * unknown bill or a draft. `loadBill` is the request's batching loader.
 */
export async function billLedgerEntries(deps: Deps, who: Identity, billId: string, loadBill: (id: string) => Promise<BillDoc | null>): Promise<LedgerDoc[]> {
  const b = await loadBill(billId);
  if (!b || b.status === 'DRAFT') return [];
  if (!(who.role === 'ADMIN' || who.role === 'BILLING_AGENT' || maySeeParty(who, b.buyerId, b.carrierId))) throw forbidden('this bill belongs to other parties');
  return (await deps.models.Ledger.find({ billId }).sort({ postedAt: 1, _id: 1 }).lean().exec()) as LedgerDoc[];
}
