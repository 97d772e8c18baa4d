import { buildBoardView, type BoardViewer } from '../../domain/board';
import { type Bid, rankBids, type Ranking } from '../../domain/ranking';
import type { QosRequirements } from '../../domain/qos';
import type { ActiveBidDoc } from '../../store/models';
import type { RequestView } from '../access';

const asDate = (v: Date | string | undefined): Date | undefined => (v === undefined || v === null ? undefined : new Date(v));

/** Stored active bids (or their JSON copy in an event) as the domain's Bid. */
export function toDomainBid(a: ActiveBidDoc): Bid {
  const b: Bid = {
    id: a.bidId,
    carrierId: a.carrierId,
    submittedAt: asDate(a.submittedAt) as Date,
    incentive: a.incentive,
    status: 'ACTIVE',
  };
  if (a.offeredQos) b.offeredQos = a.offeredQos;
  const vu = asDate(a.validUntil);
  if (vu) b.validUntil = vu;
  return b;
}

export interface RankingInput {
  quantity?: string;
  qosRequirements?: QosRequirements;
  activeBids?: ActiveBidDoc[];
}

/** Ranking as of `at`; a closed request is ranked as of its close, so its ranking no longer moves. */
export function rankingOf(req: RankingInput, at: Date): Ranking {
  const bids = (req.activeBids ?? []).map(toDomainBid);
  if (!req.quantity) return { currency: null, ranked: [], excluded: [] };
  return rankBids({ quantity: req.quantity, qosRequirements: req.qosRequirements }, bids, at);
}

/** What the GraphQL BidBoard type resolves from; anonymous entries carry no bid or carrier id at all. */
export interface BoardModel {
  requestId: string;
  view: 'FULL' | 'ANONYMOUS';
  currency: string | null;
  bidCount: number;
  bestRate: string | null;
  bestEstimatedCost: string | null;
  viewerRank: number | null;
  entries: {
    rank: number;
    pseudonym: string;
    estimatedCost: string;
    ratePerUnit: string;
    currency: string;
    isViewer: boolean;
    bidId?: string;
    carrierId?: string;
  }[];
}

export function boardFor(ranking: Ranking, view: Exclude<RequestView, null>, viewerId: string, secret: string, requestId: string): BoardModel {
  const viewer: BoardViewer =
    view === 'FULL' ? { role: 'ADMIN', partyId: viewerId } : { role: view === 'CARRIER' ? 'CARRIER' : 'PARTNER', partyId: viewerId };
  const v = buildBoardView(ranking, viewer, secret, requestId);
  if (v.kind === 'FULL') {
    return {
      requestId,
      view: 'FULL',
      currency: v.currency,
      bidCount: v.bidCount,
      bestRate: v.bestRate,
      bestEstimatedCost: v.bestEstimatedCost,
      viewerRank: null,
      entries: v.entries.map((e) => ({
        rank: e.rank,
        pseudonym: e.pseudonym,
        estimatedCost: e.estimatedCost.total,
        ratePerUnit: e.incentive.ratePerUnit,
        currency: e.incentive.currency,
        isViewer: false,
        bidId: e.bidId,
        carrierId: e.carrierId,
      })),
    };
  }
  return {
    requestId,
    view: 'ANONYMOUS',
    currency: v.currency,
    bidCount: v.bidCount,
    bestRate: v.bestRate,
    bestEstimatedCost: v.bestEstimatedCost,
    viewerRank: v.viewerRank,
    entries: v.entries.map((e) => ({ ...e })),
  };
}

/**
 * The board of one published event for one view. A bid event is resolved once per subscriber, and
 * with hundreds of subscribers ranking the bids (decimal cost estimates) and naming them (HMACs)
 * again for each was most of the moderator's work per event; the ranking is the same for everyone
 * and the board the same for every subscriber with the same view, so both are computed once per
 * event object (the pub/sub hands one parsed object to all local subscribers) and shared read-only.
 */
const eventBoards = new WeakMap<object, { ranking: Ranking; byView: Map<string, BoardModel> }>();

export function boardForEvent(
  event: RankingInput & { at: string; requestId: string },
  view: Exclude<RequestView, null>,
  viewerId: string,
  secret: string,
): BoardModel {
  let shared = eventBoards.get(event);
  if (!shared) eventBoards.set(event, (shared = { ranking: rankingOf(event, new Date(event.at)), byView: new Map() }));
  // FULL and partner boards do not depend on who looks; a carrier's marks its own entry.
  const key = view === 'FULL' ? 'FULL' : view === 'CARRIER' ? `CARRIER|${viewerId}` : view;
  let board = shared.byView.get(key);
  if (!board) shared.byView.set(key, (board = boardFor(shared.ranking, view, viewerId, secret, event.requestId)));
  return board;
}
