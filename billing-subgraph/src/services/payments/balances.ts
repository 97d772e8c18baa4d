import type { Identity } from '@exchange/platform';
import { Dec, formatTotal } from '../../domain';
import type { BillDoc, BillingModels } from '../../store/models';
import { forbidden, maySeeParty } from '../access';
import type { Deps } from '../deps';

// What is still owed: per bill, between a buyer and a carrier, and per party for a page of
// parties (the request's batching loaders call outstandingOfParties).

export type Outstanding = { amount: string; currency: string }[];

const OWING = { $in: ['ISSUED', 'PARTIALLY_PAID'] as ('ISSUED' | 'PARTIALLY_PAID')[] };

/**
 * Outstanding (total − paid) of the bills matching `filter`, per `keyOf(bill)` and currency,
 * summed exactly while streaming a cursor.
 */
async function sumOutstanding(models: BillingModels, filter: Record<string, unknown>, keyOf: (b: BillDoc) => string): Promise<Map<string, Outstanding>> {
  const acc = new Map<string, Map<string, Dec>>();
  const cursor = models.Bill.find({ ...filter, status: OWING })
    .select({ buyerId: 1, carrierId: 1, total: 1, paidAmount: 1, currency: 1 })
    .lean()
    .cursor({ batchSize: 1000 });
  for await (const b of cursor as AsyncIterable<BillDoc>) {
    if (!b.total || !b.currency) continue;
    const key = keyOf(b);
    let m = acc.get(key);
    if (!m) acc.set(key, (m = new Map()));
    m.set(b.currency, (m.get(b.currency) ?? new Dec(0)).plus(b.total).minus(b.paidAmount ?? '0'));
  }
  const out = new Map<string, Outstanding>();
  for (const [key, m] of acc) {
    out.set(key, [...m].sort(([a], [c]) => (a < c ? -1 : 1)).map(([currency, amount]) => ({ amount: formatTotal(amount, currency), currency })));
  }
  return out;
}

/** What a buyer owes one carrier (issued totals minus payments of the bills between them), per currency. */
export async function outstandingBetween(deps: Deps, buyerId: string, carrierId: string): Promise<Outstanding> {
  return (await sumOutstanding(deps.models, { buyerId, carrierId }, () => '')).get('') ?? [];
}

/** What each of `ids` owes (buyers) or is owed (carriers), per currency, in one read: the request's batching loaders. */
export async function outstandingOfParties(models: BillingModels, field: 'buyerId' | 'carrierId', ids: readonly string[]): Promise<Outstanding[]> {
  const sums = await sumOutstanding(models, { [field]: { $in: [...ids] } }, (b) => b[field]!);
  return ids.map((id) => sums.get(id) ?? []);
}

/**
 * A buyer's balance as the caller may see it: a carrier (its counterparty) sees what the buyer
 * owes it only; the buyer itself and the operators see the whole balance (`outstandingOfBuyer`,
 * the request's batching loader).
 */
export async function buyerBalance(deps: Deps, who: Identity, buyerId: string, outstandingOfBuyer: (buyerId: string) => Promise<Outstanding>): Promise<Outstanding> {
  if (who.role === 'CARRIER' && who.sub) return outstandingBetween(deps, buyerId, who.sub);
  if (!maySeeParty(who, buyerId, null)) throw forbidden('only the buyer itself, its carriers (their bills with it), BILLING_AGENT or ADMIN see its balance');
  return outstandingOfBuyer(buyerId);
}

/** What is still owed on a bill (total − paid), at the currency's minor unit. */
export const outstandingOf = (b: BillDoc): string => (b.currency ? formatTotal(new Dec(b.total ?? '0').minus(b.paidAmount ?? '0'), b.currency) : '0');

/** What was paid on a bill, at the currency's minor unit. */
export const paidOf = (b: BillDoc): string | undefined => (b.currency ? formatTotal(b.paidAmount ?? '0', b.currency) : b.paidAmount);
