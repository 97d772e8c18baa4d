import { createHmac } from 'node:crypto';
import type { CostEstimate } from './cost';
import type { EconomicIncentive } from './incentive';
import type { OfferedQos } from './qos';
import type { Bid, Ranking } from './ranking';

export type BoardViewerRole = 'BUYER' | 'ADMIN' | 'CARRIER' | 'PARTNER';

export interface BoardViewer {
  role: BoardViewerRole;
  partyId: string;
}

export const PSEUDONYM_HEX_LENGTH = 6;

/**
 * Keyed (HMAC) so nobody without the secret can test a guessed carrier id against a pseudonym, and
 * salted by request so a carrier cannot be followed from one auction to the next.
 */
export function pseudonymFor(secret: string, requestId: string, carrierId: string, hexLength = PSEUDONYM_HEX_LENGTH): string {
  if (!secret) throw new Error('pseudonym secret must not be empty');
  const mac = createHmac('sha256', secret).update(`${requestId}\u0000${carrierId}`).digest('hex');
  return `Bidder-${mac.slice(0, hexLength).toUpperCase()}`;
}

export interface FullBoardEntry {
  rank: number;
  bidId: string;
  carrierId: string;
  pseudonym: string;
  submittedAt: Date;
  validUntil?: Date;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  estimatedCost: CostEstimate;
}

export interface FullBoardView {
  kind: 'FULL';
  requestId: string;
  currency: string | null;
  bidCount: number;
  bestRate: string | null;
  bestEstimatedCost: string | null;
  entries: FullBoardEntry[];
}

export interface AnonymousBoardEntry {
  pseudonym: string;
  rank: number;
  estimatedCost: string;
  ratePerUnit: string;
  currency: string;
  isViewer: boolean;
}

export interface AnonymousBoardView {
  kind: 'ANONYMOUS';
  requestId: string;
  currency: string | null;
  bidCount: number;
  /** Effective (all-in) rate of the leading bid: the per-unit price a competitor has to beat. */
  bestRate: string | null;
  bestEstimatedCost: string | null;
  /** The viewing carrier's rank; null for partners and for carriers without a ranked bid. */
  viewerRank: number | null;
  entries: AnonymousBoardEntry[];
}

export type BoardView = FullBoardView | AnonymousBoardView;

/** 24 bits can collide; colliding bidders get a longer pseudonym so the board stays unambiguous. */
function pseudonyms(secret: string, requestId: string, carrierIds: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const count = new Map<string, number>();
  for (const id of new Set(carrierIds)) {
    const p = pseudonymFor(secret, requestId, id);
    out.set(id, p);
    count.set(p, (count.get(p) ?? 0) + 1);
  }
  for (const [id, p] of out) if ((count.get(p) ?? 0) > 1) out.set(id, pseudonymFor(secret, requestId, id, 16));
  return out;
}

/**
 * What each party may see of the competing bids. Whether a BUYER owns the request is checked by the
 * caller; this function only decides how much a given role sees. For carriers and partners the view
 * is built from an explicit allow-list of fields, so nothing identifying (carrier id, bid id, timing,
 * QoS fingerprint) can leak by accident.
 */
export function buildBoardView<B extends Bid>(
  ranking: Ranking<B>,
  viewer: BoardViewer,
  secret: string,
  requestId: string,
): BoardView {
  const names = pseudonyms(secret, requestId, ranking.ranked.map((r) => r.bid.carrierId));
  const best = ranking.ranked[0];
  const common = {
    requestId,
    currency: ranking.currency,
    bidCount: ranking.ranked.length,
    bestRate: best ? best.estimatedCost.effectiveRate : null,
    bestEstimatedCost: best ? best.estimatedCost.total : null,
  };

  if (viewer.role === 'BUYER' || viewer.role === 'ADMIN') {
    return {
      kind: 'FULL',
      ...common,
      entries: ranking.ranked.map((r) => {
        const e: FullBoardEntry = {
          rank: r.rank,
          bidId: r.bid.id,
          carrierId: r.bid.carrierId,
          pseudonym: names.get(r.bid.carrierId) as string,
          submittedAt: r.bid.submittedAt,
          incentive: r.bid.incentive,
          estimatedCost: r.estimatedCost,
        };
        if (r.bid.validUntil) e.validUntil = r.bid.validUntil;
        if (r.bid.offeredQos) e.offeredQos = r.bid.offeredQos;
        return e;
      }),
    };
  }

  const isCarrier = viewer.role === 'CARRIER';
  let viewerRank: number | null = null;
  const entries = ranking.ranked.map((r) => {
    const isViewer = isCarrier && r.bid.carrierId === viewer.partyId;
    if (isViewer && viewerRank === null) viewerRank = r.rank;
    return {
      pseudonym: names.get(r.bid.carrierId) as string,
      rank: r.rank,
      estimatedCost: r.estimatedCost.total,
      ratePerUnit: r.bid.incentive.ratePerUnit,
      currency: r.bid.incentive.currency,
      isViewer,
    };
  });
  return { kind: 'ANONYMOUS', ...common, viewerRank, entries };
}
