import type { Identity } from '@exchange/platform';
import { maySeeParty } from '../services/access';
import type { BillDoc, SelectionDoc } from '../store/models';
import type { BillingContext as Ctx } from './context';

// What several types' resolvers share: the API's Money shape and the visibility of loaded documents.

export function money(amount: string | undefined, currency: string | undefined) {
  return { amount: amount ?? '0', currency: currency ?? '' };
}

export function billVisible(id: Identity, b: BillDoc | null): b is BillDoc {
  return !!b && b.status !== 'DRAFT' && maySeeParty(id, b.buyerId, b.carrierId);
}

export function selectionVisible(id: Identity, s: SelectionDoc | null): s is SelectionDoc {
  return !!s && maySeeParty(id, s.buyerId, s.carrierId);
}

/** Bills just listed are primed in the request's loader (their fields resolve without another read). */
export function primed(ctx: Ctx, page: { nodes: BillDoc[]; endCursor: string | null }) {
  for (const b of page.nodes) ctx.loaders.bill.prime(b._id, b);
  return page;
}
