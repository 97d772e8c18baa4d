import { type CostEstimate, estimateCost } from './cost';
import { badInput } from './errors';
import type { EconomicIncentive } from './incentive';
import { Dec } from './money';
import { meetsQosRequirements, type OfferedQos } from './qos';
import type { ServiceRequest } from './service-request';

export type BidStatus = 'ACTIVE' | 'REPLACED' | 'WITHDRAWN';

export interface Bid {
  id: string;
  carrierId: string;
  submittedAt: Date;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  validUntil?: Date;
  status: BidStatus;
}

export interface RankedBid<B extends Bid = Bid> {
  /** 1-based; every bid has a distinct rank because ties are broken by time and id. */
  rank: number;
  bid: B;
  estimatedCost: CostEstimate;
}

export type ExclusionReason = 'WITHDRAWN' | 'REPLACED' | 'EXPIRED' | 'SUPERSEDED' | 'CURRENCY_MISMATCH' | 'QOS';

export interface ExcludedBid<B extends Bid = Bid> {
  bid: B;
  reason: ExclusionReason;
  /** Human-readable detail; for QOS one line per failed requirement. */
  reasons: string[];
}

export interface Ranking<B extends Bid = Bid> {
  /** Currency every ranked bid is priced in; null when no bid has been made. */
  currency: string | null;
  ranked: RankedBid<B>[];
  excluded: ExcludedBid<B>[];
}

function byTimeThenId(a: Bid, b: Bid): number {
  const dt = a.submittedAt.getTime() - b.submittedAt.getTime();
  if (dt !== 0) return dt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Totals of different currencies cannot be compared without an FX rate the exchange does not hold, so
 * a request's currency is fixed by its first bid (whatever that bid's later status) and the service
 * refuses bids in any other currency with validateBidCurrency.
 */
export function requestCurrency(bids: readonly Bid[]): string | null {
  let first: Bid | undefined;
  for (const b of bids) if (!first || byTimeThenId(b, first) < 0) first = b;
  return first ? first.incentive.currency : null;
}

export function validateBidCurrency(
  existingCurrency: string | null | undefined,
  currency: string,
  field = 'input.incentive.currency',
): void {
  if (existingCurrency && existingCurrency !== currency) {
    throw badInput(field, `${field} must be ${existingCurrency}: bids on this request are priced in ${existingCurrency}`);
  }
}

/**
 * The economic choice: the lowest estimated total for the requested quantity wins; ties go to the
 * earlier bid (it committed to the price first), then to the smaller id so the order is total.
 */
export function rankBids<B extends Bid>(
  request: Pick<ServiceRequest, 'quantity' | 'qosRequirements'>,
  bids: readonly B[],
  now: Date,
): Ranking<B> {
  const currency = requestCurrency(bids);
  const excluded: ExcludedBid<B>[] = [];
  const exclude = (bid: B, reason: ExclusionReason, reasons: string[] = [reason]) => excluded.push({ bid, reason, reasons });

  // Defensive: the service keeps one ACTIVE bid per carrier, but if two slip through only the latest counts.
  const latestActive = new Map<string, B>();
  for (const b of bids) {
    if (b.status !== 'ACTIVE') continue;
    const cur = latestActive.get(b.carrierId);
    if (!cur || byTimeThenId(cur, b) < 0) latestActive.set(b.carrierId, b);
  }

  const candidates: { bid: B; estimatedCost: CostEstimate; total: Dec }[] = [];
  for (const b of bids) {
    if (b.status === 'WITHDRAWN' || b.status === 'REPLACED') { exclude(b, b.status); continue; }
    if (latestActive.get(b.carrierId) !== b) { exclude(b, 'SUPERSEDED'); continue; }
    if (b.validUntil && b.validUntil.getTime() <= now.getTime()) { exclude(b, 'EXPIRED'); continue; }
    if (b.incentive.currency !== currency) {
      exclude(b, 'CURRENCY_MISMATCH', [`priced in ${b.incentive.currency}, request is priced in ${currency}`]);
      continue;
    }
    const qos = meetsQosRequirements(request.qosRequirements, b.offeredQos);
    if (!qos.ok) { exclude(b, 'QOS', qos.reasons); continue; }
    const estimatedCost = estimateCost(b.incentive, request.quantity);
    candidates.push({ bid: b, estimatedCost, total: new Dec(estimatedCost.total) });
  }

  candidates.sort((x, y) => x.total.comparedTo(y.total) || byTimeThenId(x.bid, y.bid));
  return {
    currency,
    ranked: candidates.map((c, i) => ({ rank: i + 1, bid: c.bid, estimatedCost: c.estimatedCost })),
    excluded,
  };
}
