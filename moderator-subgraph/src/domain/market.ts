import { badInput } from './errors';
import type { Ranking } from './ranking';
import type { RouteSegment, ServiceType, ServiceUnit } from './service-request';

/**
 * The anonymised market feed partners read to find boards worth watching. A market board is built
 * from an explicit list of request fields (routes, service, quantity, interval, closing time) and
 * two figures of the ranking (best all-in rate, number of ranked bids): never the buyer, never a
 * carrier, a bid id or a pseudonym, and no free text the buyer wrote (a route's network).
 */
export interface MarketBoard {
  requestId: string;
  routes: RouteSegment[];
  serviceType: ServiceType;
  quantity: string;
  unit: ServiceUnit;
  interval: { start: Date; end: Date };
  openedAt: Date;
  biddingClosesAt: Date;
  currency: string | null;
  bestRate: string | null;
  bidCount: number;
}

/** The request fields a market board may carry (a stored request has more; they are not copied). */
export interface MarketRequest {
  _id: string;
  routes?: RouteSegment[];
  serviceType?: ServiceType;
  quantity?: string;
  unit?: ServiceUnit;
  interval?: { start: Date | string; end: Date | string };
  createdAt: Date | string;
  biddingClosesAt?: Date | string;
}

export function marketBoardOf(req: MarketRequest, ranking: Pick<Ranking, 'currency' | 'ranked'>): MarketBoard {
  const best = ranking.ranked[0];
  return {
    requestId: req._id,
    // Prefixes only: a segment's network is the buyer's free text (it could name the buyer or
    // anyone else), so it never reaches partners.
    routes: (req.routes ?? []).map((r) => ({ origin: r.origin, destination: r.destination })),
    serviceType: req.serviceType as ServiceType,
    quantity: req.quantity ?? '0',
    unit: req.unit as ServiceUnit,
    interval: { start: new Date(req.interval?.start ?? 0), end: new Date(req.interval?.end ?? 0) },
    openedAt: new Date(req.createdAt),
    biddingClosesAt: new Date(req.biddingClosesAt ?? 0),
    currency: ranking.currency,
    bestRate: best ? best.estimatedCost.effectiveRate : null,
    bidCount: ranking.ranked.length,
  };
}

export const MARKET_PAGE_DEFAULT = 50;
export const MARKET_PAGE_MAX = 200;

/** `first` within 1-MARKET_PAGE_MAX; refused (not clamped) otherwise. */
export function validatePageSize(first: number | null | undefined, field = 'first'): number {
  if (first === undefined || first === null) return MARKET_PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > MARKET_PAGE_MAX) throw badInput(field, `${field} must be between 1 and ${MARKET_PAGE_MAX}`);
  return first;
}
