import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { DateTimeScalar, DecimalScalar, type Identity } from '@exchange/platform';
import { disputedAmount, localDate, seriesOfTotal } from '../domain';
import { forbidden, maySeeParty, requireIdentity, requireRole, RUNS_BILLING } from '../services/access';
import { generateBills } from '../services/bill-run';
import { runBillingCycle } from '../services/bill-run';
import { readBillingProfile, setBillingProfile, zoneOf } from '../services/parties';
import { billQuery, listBills, listRejectedUsage, listRequestBillingRecords, listUsageRecords } from '../services/listings';
import { registerUsageReporter, usageReporters } from '../services/usage';
import { documentUrls } from '../services/bill-run';
import { registerWebhook } from '../services/parties';
import { periodOf, type BillIssuedEvent } from '../services/deps';
import { subscribeBillIssued } from '../services/bill-run';
import { billLedgerEntries } from '../services/payments';
import { segmentsOf, type StoredBillingRecord } from '../store/billing-record-format';
import { pollFeed, registerFeed, usageFeed, usageFeeds } from '../services/usage';
import { buyerBalance, outstandingOf, paidOf, paymentByReference, paymentsOfBill, recordPayment, scopedPaymentId, settlementStatementFor } from '../services/payments';
import { recordSelection } from '../services/usage';
import { recordRouteAttempts } from '../services/usage';
import { requestUsageSummary } from '../services/usage';
import { ingestUsageWithRejections } from '../services/usage';
import { setMediationPolicy } from '../services/usage';
import { reconciliation } from '../services/payments';
import { disputesOf, openDispute, resolveDispute, visibleBillDisputes } from '../services/payments';
import type { BillDoc, BillingRecordDoc, DisputeDoc, FeedDoc, LedgerDoc, PaymentDoc, SelectionDoc, UsageDoc } from '../store/models';
import type { BillingContext } from './context';

/** The SDL users read lives in schema/billing.graphql; resolvers here only translate. */
export const SDL_PATH = path.resolve(__dirname, '..', '..', '..', 'schema', 'billing.graphql');

type Ctx = BillingContext;
type Args = Record<string, any>;

function money(amount: string | undefined, currency: string | undefined) {
  return { amount: amount ?? '0', currency: currency ?? '' };
}

function billVisible(id: Identity, b: BillDoc | null): b is BillDoc {
  return !!b && b.status !== 'DRAFT' && maySeeParty(id, b.buyerId, b.carrierId);
}

/** Bills just listed are primed in the request's loader (their fields resolve without another read). */
function primed(ctx: Ctx, page: { nodes: BillDoc[]; endCursor: string | null }) {
  for (const b of page.nodes) ctx.loaders.bill.prime(b._id, b);
  return page;
}

function selectionVisible(id: Identity, s: SelectionDoc | null): s is SelectionDoc {
  return !!s && maySeeParty(id, s.buyerId, s.carrierId);
}

export function buildBillingSchema() {
  const resolvers: Record<string, any> = {
    DateTime: DateTimeScalar,
    Decimal: DecimalScalar,
    Query: {
      billingVersion: () => '1.0.0',
      billingProfile: (_: unknown, args: Args, ctx: Ctx) => readBillingProfile(ctx.deps, requireIdentity(ctx.identity), args),
      selectionRecord: async (_: unknown, { id }: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        const s = await ctx.loaders.selection.load(id);
        return selectionVisible(who, s) ? s : null;
      },
      bill: async (_: unknown, { id }: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        const b = await ctx.loaders.bill.load(id);
        if (!b || b.status === 'DRAFT') return null;
        if (!billVisible(who, b)) throw forbidden('this bill belongs to other parties');
        return b;
      },
      bills: async (_: unknown, { filter, first, after }: Args, ctx: Ctx) => primed(ctx, await listBills(ctx.deps, billQuery(requireIdentity(ctx.identity), filter), first, after)),
      usageRecords: async (_: unknown, { filter, first, after }: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        return listUsageRecords(ctx.deps, who, filter, first, after);
      },
      disputes: (_: unknown, args: Args, ctx: Ctx) => disputesOf(ctx.deps, requireIdentity(ctx.identity), args),
      reconciliation: async (_: unknown, args: Args, ctx: Ctx) => {
        const r = await reconciliation(ctx.deps, requireIdentity(ctx.identity), args);
        return { ...r, period: { start: r.periodStart, end: r.periodEnd } };
      },
      rejectedUsage: (_: unknown, { filter, first, after }: Args, ctx: Ctx) => listRejectedUsage(ctx.deps, requireIdentity(ctx.identity), filter, first, after),
      billingRecords: (_: unknown, { requestId, first, after }: Args, ctx: Ctx) => listRequestBillingRecords(ctx.deps, requireIdentity(ctx.identity), requestId, first, after),
      usageFeed: (_: unknown, { id }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'usageFeed');
        return usageFeed(ctx.deps, id);
      },
      usageFeeds: (_: unknown, __: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'usageFeeds');
        return usageFeeds(ctx.deps);
      },
      usageReporters: (_: unknown, __: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'usageReporters');
        return usageReporters(ctx.deps);
      },
      settlementStatement: (_: unknown, { carrierId, period }: Args, ctx: Ctx) => settlementStatementFor(ctx.deps, requireIdentity(ctx.identity), carrierId, period),
      ledgerEntries: (_: unknown, { billId }: Args, ctx: Ctx) => billLedgerEntries(ctx.deps, requireIdentity(ctx.identity), billId, (id) => ctx.loaders.bill.load(id)),
    },
    Mutation: {
      recordSelection: (_: unknown, { input }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, ['MODERATOR'], 'recordSelection');
        return recordSelection(ctx.deps, input);
      },
      recordRouteAttempts: (_: unknown, { slots }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, ['MODERATOR', 'ADMIN'], 'recordRouteAttempts');
        return recordRouteAttempts(ctx.deps, slots);
      },
      ingestUsage: (_: unknown, { records, importerRejections, correctParked }: Args, ctx: Ctx) => ingestUsageWithRejections(ctx.deps, requireIdentity(ctx.identity), records, importerRejections, correctParked === true),
      setMediationPolicy: (_: unknown, { input }: Args, ctx: Ctx) => {
        const who = requireRole(ctx.identity, RUNS_BILLING, 'setMediationPolicy');
        return setMediationPolicy(ctx.deps, who, input);
      },
      registerUsageReporter: (_: unknown, { input }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'registerUsageReporter');
        return registerUsageReporter(ctx.deps, input);
      },
      registerUsageFeed: (_: unknown, { input }: Args, ctx: Ctx) => {
        const who = requireRole(ctx.identity, RUNS_BILLING, 'registerUsageFeed');
        return registerFeed(ctx.deps, who, input);
      },
      pollUsageFeed: (_: unknown, { id }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'pollUsageFeed');
        return pollFeed(ctx.deps, id, { force: true });
      },
      setBillingProfile: (_: unknown, args: Args, ctx: Ctx) => setBillingProfile(ctx.deps, requireRole(ctx.identity, RUNS_BILLING, 'setBillingProfile'), args),
      runBillingCycle: (_: unknown, { period, groupBy }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'runBillingCycle');
        return runBillingCycle(ctx.deps, period, groupBy ?? 'BUYER_REQUEST');
      },
      generateBills: async (_: unknown, { period, groupBy }: Args, ctx: Ctx) => {
        requireRole(ctx.identity, RUNS_BILLING, 'generateBills');
        return generateBills(ctx.deps, period, groupBy ?? 'BUYER_REQUEST');
      },
      registerBillingWebhook: (_: unknown, { input }: Args, ctx: Ctx) => registerWebhook(ctx.deps, requireIdentity(ctx.identity), input),
      openDispute: (_: unknown, { input }: Args, ctx: Ctx) => openDispute(ctx.deps, requireIdentity(ctx.identity), input),
      resolveDispute: (_: unknown, { input }: Args, ctx: Ctx) => resolveDispute(ctx.deps, requireIdentity(ctx.identity), input),
      recordPayment: (_: unknown, { input }: Args, ctx: Ctx) => recordPayment(ctx.deps, requireIdentity(ctx.identity), input),
    },
    Subscription: {
      billIssued: {
        subscribe: (_: unknown, __: Args, ctx: Ctx) => subscribeBillIssued(ctx.deps, requireIdentity(ctx.identity)),
        resolve: async (e: BillIssuedEvent, _: Args, ctx: Ctx) => {
          ctx.loaders.bill.clear(e.billId);
          return ctx.loaders.bill.load(e.billId);
        },
      },
    },
    Buyer: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      // A carrier (its counterparty) sees the bills between the buyer and itself only, and that
      // balance: the same policy as the moderator's Buyer (issue 12).
      bills: async (b: { id: string }, { filter, first, after }: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        if (!maySeeParty(who, b.id, null) && who.role !== 'CARRIER') throw forbidden('only the buyer itself, its carriers (their bills with it), BILLING_AGENT or ADMIN see its bills');
        return primed(ctx, await listBills(ctx.deps, billQuery(who, filter, { buyerId: b.id }), first, after));
      },
      balance: (b: { id: string }, _: Args, ctx: Ctx) => buyerBalance(ctx.deps, requireIdentity(ctx.identity), b.id, (id) => ctx.loaders.outstandingByBuyer.load(id)),
    },
    Carrier: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      bills: async (c: { id: string }, { filter, first, after }: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        if (!maySeeParty(who, null, c.id)) throw forbidden('only the carrier itself, BILLING_AGENT or ADMIN see its bills');
        return primed(ctx, await listBills(ctx.deps, billQuery(who, filter, { carrierId: c.id }), first, after));
      },
      receivables: (c: { id: string }, _: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        if (!maySeeParty(who, null, c.id)) throw forbidden('only the carrier itself, BILLING_AGENT or ADMIN see its receivables');
        return ctx.loaders.outstandingByCarrier.load(c.id);
      },
      settlementStatement: (c: { id: string }, { period }: Args, ctx: Ctx) => settlementStatementFor(ctx.deps, requireIdentity(ctx.identity), c.id, period),
    },
    ServiceRequest: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      billCount: async (r: { id: string }, _: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        return (await ctx.loaders.billsByRequest.load(r.id)).filter((b) => maySeeParty(who, b.buyerId, b.carrierId)).length;
      },
      bills: async (r: { id: string }, _: Args, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        return (await ctx.loaders.billsByRequest.load(r.id)).filter((b) => maySeeParty(who, b.buyerId, b.carrierId));
      },
      billingRecords: (r: { id: string }, { first, after }: Args, ctx: Ctx) => listRequestBillingRecords(ctx.deps, requireIdentity(ctx.identity), r.id, first, after),
      usageSummary: (r: { id: string }, _: Args, ctx: Ctx) => requestUsageSummary(ctx.deps, requireIdentity(ctx.identity), r.id),
    },
    SelectionRecord: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        const s = await ctx.loaders.selection.load(ref.id);
        return selectionVisible(who, s) ? s : null;
      },
      id: (s: SelectionDoc) => s._id,
      request: (s: SelectionDoc) => ({ __typename: 'ServiceRequest', id: s.requestId }),
      interval: (s: SelectionDoc) => ({ start: s.intervalStart, end: s.intervalEnd }),
      incentive: (s: SelectionDoc) => ({ ...s.incentive, tiers: s.incentive.tiers ?? [] }),
      advanceBill: (s: SelectionDoc, _: Args, ctx: Ctx) => (s.advanceBillId ? ctx.loaders.bill.load(s.advanceBillId) : null),
    },
    UsageRecord: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        const u = await ctx.loaders.usage.load(ref.id);
        return u && maySeeParty(who, u.buyerId, u.carrierId) ? u : null;
      },
      id: (u: UsageDoc) => u._id,
      volumeSamples: (u: UsageDoc) => u.volumeSamples ?? [],
    },
    BillingRecord: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const who = requireIdentity(ctx.identity);
        const r = await ctx.loaders.billingRecord.load(ref.id);
        return r && maySeeParty(who, r.buyerId, r.carrierId) ? r : null;
      },
      id: (r: BillingRecordDoc) => r._id,
      request: (r: BillingRecordDoc) => ({ __typename: 'ServiceRequest', id: r.requestId }),
      usage: (r: BillingRecordDoc, _: Args, ctx: Ctx) => ctx.loaders.usage.load(r._id),
      // Pages of records come straight from the store: rebuild what its stored form leaves out.
      period: (r: StoredBillingRecord) => r.period ?? periodOf(r.intervalStart),
      segments: (r: StoredBillingRecord) => segmentsOf(r),
      tierIndexes: (r: StoredBillingRecord) => segmentsOf(r).map((x) => x.tierIndex),
      ratesPerUnit: (r: StoredBillingRecord) => segmentsOf(r).map((x) => x.ratePerUnit),
      amount: (r: BillingRecordDoc) => money(r.amount, r.currency),
      billId: async (r: BillingRecordDoc, _: Args, ctx: Ctx) => (await ctx.loaders.claim.load(r._id))?.billId ?? null,
    },
    Bill: {
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
      disputes: async (b: BillDoc, _: unknown, ctx: Ctx) => visibleBillDisputes(requireIdentity(ctx.identity), await ctx.loaders.disputesByBill.load(b._id)),
      disputedAmount: async (b: BillDoc, _: unknown, ctx: Ctx) => money(disputedAmount(visibleBillDisputes(requireIdentity(ctx.identity), await ctx.loaders.disputesByBill.load(b._id))), b.currency),
      endUserSubtotals: (b: BillDoc) => b.endUserSubtotals ?? [],
      subtotal: (b: BillDoc) => money(b.subtotal, b.currency),
      total: (b: BillDoc) => money(b.total, b.currency),
      paid: (b: BillDoc) => money(paidOf(b), b.currency),
      outstanding: (b: BillDoc) => money(outstandingOf(b), b.currency),
      dueAt: (b: BillDoc) => b.dueAt ?? b.issuedAt,
      // Bills drafted before profiles existed (and ADVANCE bills) are read in the buyer's zone.
      timeZone: (b: BillDoc, _: Args, ctx: Ctx) => b.timeZone ?? ctx.loaders.buyerZone.load(b.buyerId!),
      periodLabel: (b: BillDoc) => b.periodLabel ?? null,
      dueDate: async (b: BillDoc, _: Args, ctx: Ctx) => localDate(b.dueAt ?? b.issuedAt, b.timeZone ?? (await ctx.loaders.buyerZone.load(b.buyerId!))),
      buyerParty: (b: BillDoc) => b.buyerParty ?? { partyId: b.buyerId, legalName: null, address: null, taxRegistration: null },
      sellerParty: (b: BillDoc) => b.sellerParty ?? { partyId: b.carrierId, legalName: null, address: null, taxRegistration: null },
      netAmount: (b: BillDoc) => money(b.netAmount ?? b.total, b.currency),
      taxLines: (b: BillDoc) => (b.taxLines ?? []).map((t) => ({ ...t, base: money(t.base, b.currency), amount: money(t.amount, b.currency) })),
      destinationSummary: (b: BillDoc) => (b.destinationSummary ?? []).map((r) => ({ ...r, amount: money(r.amount, b.currency) })),
      paymentInstructions: (b: BillDoc) => ({ text: b.paymentInstructions ?? null, reference: b.number ?? '' }),
      recordCount: (b: BillDoc) => b.recordCount ?? 0,
      deliveries: (b: BillDoc, _: Args, ctx: Ctx) => ctx.loaders.deliveries.load(b._id),
      documentUrls: (b: BillDoc, _: Args, ctx: Ctx) => documentUrls(ctx.deps, b._id),
      payments: (b: BillDoc) => paymentsOfBill(b),
    },
    Payment: {
      __resolveReference: (ref: { id: string }, ctx: Ctx) => paymentByReference(ctx.deps, requireIdentity(ctx.identity), ref.id),
      id: (p: PaymentDoc) => p.paymentId,
      amount: (p: PaymentDoc) => money(p.amount, p.currency),
      ledgerEntries: (p: PaymentDoc, _: Args, ctx: Ctx) => ctx.loaders.ledgerByPayment.load(scopedPaymentId(p.billId, p.paymentId)),
    },
    SettlementStatement: {
      timeZone: (st: { carrierId: string }, _: Args, ctx: Ctx) => zoneOf(ctx.deps, st.carrierId, 'CARRIER'),
    },
    LedgerEntry: {
      paymentId: (l: LedgerDoc) => l.paymentId ?? null,
    },
    BillingProfile: {
      previousRules: (p: { previousRules?: unknown[] }) => p.previousRules ?? [],
      rulesEffectiveFrom: (p: { previousRules?: { until: Date }[] }) => p.previousRules?.[p.previousRules.length - 1]?.until ?? null,
    },
    UsageFeed: { id: (f: FeedDoc) => f._id },
    UsageReporter: { id: (r: { _id: string }) => r._id },
    BillingWebhook: { partyId: (w: { _id: string }) => w._id },
    RejectedUsage: { id: (r: { _id: string }) => r._id },
    Dispute: {
      id: (d: DisputeDoc) => d._id,
      amount: (d: DisputeDoc) => money(d.amount, d.currency),
      resolvedAmount: (d: DisputeDoc) => (d.resolvedAmount ? money(d.resolvedAmount, d.currency) : null),
    },
    BillDelivery: {},
  };
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SDL_PATH, 'utf8')), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
