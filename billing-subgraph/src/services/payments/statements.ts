import type { Identity } from '@exchange/platform';
import { settlementStatement as domainStatement } from '../../domain';
import { forbidden } from '../access';
import type { Deps } from '../deps';
import { parsePeriod } from '../bill-run/period';

/** A carrier's settlement statement for a period: its issued bills and the payments on them. */
export async function settlementStatement(deps: Deps, carrierId: string, periodInput: { start?: unknown; end?: unknown }) {
  const period = parsePeriod(periodInput);
  const bills = [];
  const payments = [];
  const cursor = deps.models.Bill.find({ carrierId, issuedAt: { $gte: period.start, $lt: period.end }, status: { $ne: 'DRAFT' } })
    .select({ number: 1, buyerId: 1, carrierId: 1, currency: 1, total: 1, issuedAt: 1, payments: 1 })
    .lean()
    .cursor({ batchSize: 500 });
  for await (const b of cursor) {
    if (!b.total || !b.currency) continue;
    bills.push({ billId: b._id, billNumber: b.number, buyerId: b.buyerId!, carrierId: b.carrierId!, currency: b.currency, total: b.total, issuedAt: b.issuedAt });
    for (const p of b.payments ?? []) payments.push({ billId: b._id, amount: p.amount, path: p.path, receivedAt: p.receivedAt });
  }
  return domainStatement(carrierId, period, bills, payments);
}

/** A carrier's settlement statement, for the carrier itself, BILLING_AGENT or ADMIN. */
export async function settlementStatementFor(deps: Deps, who: Identity, carrierId: string, periodInput: { start?: unknown; end?: unknown }) {
  if (!(who.role === 'ADMIN' || who.role === 'BILLING_AGENT' || (who.role === 'CARRIER' && who.sub === carrierId))) {
    throw forbidden('a settlement statement is for the carrier itself, BILLING_AGENT or ADMIN');
  }
  return settlementStatement(deps, carrierId, periodInput);
}
