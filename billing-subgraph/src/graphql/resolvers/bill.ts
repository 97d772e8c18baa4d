import type { BillResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { disputedAmount, localDate, seriesOfTotal } from '../../domain';
import { requireIdentity } from '../../services/access';
import { documentUrls } from '../../services/bill-run';
import { outstandingOf, paidOf, paymentsOfBill } from '../../services/payments';
import { visibleBillDisputes } from '../../services/payments';
import type { BillDoc } from '../../store/models';
import { billVisible, money } from '../reads';

export const Bill: BillResolvers<Ctx> = {
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    const who = requireIdentity(ctx.identity);
    const b = await ctx.loaders.bill.load(ref.id);
    return billVisible(who, b) ? b : null;
  },
  id: (b: BillDoc) => b._id,
  documentType: (b: BillDoc) => seriesOfTotal(b.total),
  // Numbered right after the issue flip; a bill seen in between (or whose issuer died there, until recovery) has none yet.
  number: (b: BillDoc) => b.number ?? '(being numbered)',
  buyer: (b: BillDoc) => ({ __typename: 'Buyer', id: b.buyerId }),
  carrier: (b: BillDoc) => ({ __typename: 'Carrier', id: b.carrierId }),
  request: (b: BillDoc) => (b.requestId ? { __typename: 'ServiceRequest', id: b.requestId } : null),
  period: (b: BillDoc) => ({ start: b.periodStart, end: b.periodEnd }),
  sequence: (b: BillDoc) => b.sequence ?? 0,
  lines: (b: BillDoc) => b.lines ?? [],
  disputes: async (b: BillDoc, _, ctx) => visibleBillDisputes(requireIdentity(ctx.identity), await ctx.loaders.disputesByBill.load(b._id)),
  disputedAmount: async (b: BillDoc, _, ctx) =>
    money(disputedAmount(visibleBillDisputes(requireIdentity(ctx.identity), await ctx.loaders.disputesByBill.load(b._id))), b.currency),
  endUserSubtotals: (b: BillDoc) => b.endUserSubtotals ?? [],
  subtotal: (b: BillDoc) => money(b.subtotal, b.currency),
  total: (b: BillDoc) => money(b.total, b.currency),
  paid: (b: BillDoc) => money(paidOf(b), b.currency),
  outstanding: (b: BillDoc) => money(outstandingOf(b), b.currency),
  dueAt: (b: BillDoc) => b.dueAt ?? b.issuedAt,
  // Bills drafted before profiles existed (and ADVANCE bills) are read in the buyer's zone.
  timeZone: (b: BillDoc, _, ctx) => b.timeZone ?? ctx.loaders.buyerZone.load(b.buyerId!),
  periodLabel: (b: BillDoc) => b.periodLabel ?? null,
  dueDate: async (b: BillDoc, _, ctx) => localDate(b.dueAt ?? b.issuedAt, b.timeZone ?? (await ctx.loaders.buyerZone.load(b.buyerId!))),
  buyerParty: (b: BillDoc) => b.buyerParty ?? { partyId: b.buyerId, legalName: null, address: null, taxRegistration: null },
  sellerParty: (b: BillDoc) => b.sellerParty ?? { partyId: b.carrierId, legalName: null, address: null, taxRegistration: null },
  netAmount: (b: BillDoc) => money(b.netAmount ?? b.total, b.currency),
  taxLines: (b: BillDoc) => (b.taxLines ?? []).map((t) => ({ ...t, base: money(t.base, b.currency), amount: money(t.amount, b.currency) })),
  destinationSummary: (b: BillDoc) => (b.destinationSummary ?? []).map((r) => ({ ...r, amount: money(r.amount, b.currency) })),
  paymentInstructions: (b: BillDoc) => ({ text: b.paymentInstructions ?? null, reference: b.number ?? '' }),
  recordCount: (b: BillDoc) => b.recordCount ?? 0,
  deliveries: (b: BillDoc, _, ctx) => ctx.loaders.deliveries.load(b._id),
  documentUrls: (b: BillDoc, _, ctx) => documentUrls(ctx.deps, b._id),
  payments: (b: BillDoc) => paymentsOfBill(b),
};
