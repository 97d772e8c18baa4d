import { decodeCursor, encodeCursor, hasRole, SEES_EVERY_PARTY } from '@exchange/platform';
import type { Identity } from '@exchange/platform';
import { marketBoardOf, validatePageSize, type MarketBoard } from '../../domain/market';
import type { AuctionLogEntry } from '../../domain/auction-log';
import { foldLog } from '../../domain/auction-log';
import { rankingOf } from './board';
import { badInput, forbidden, requireIdentity } from '../errors';
import type { ActiveBidDoc, ModeratorModels, ServiceRequestDoc } from '../../store/models';

/** Internal pub/sub event of the market feed; it carries the anonymised board only. */
export interface MarketBoardEvent {
  kind: 'OPENED' | 'CLOSED';
  at: string;
  board: MarketBoard;
  /** CLOSED only: AWARDED, NO_AWARD or CANCELLED. */
  outcome?: string;
}

export interface MarketPage {
  boards: MarketBoard[];
  nextCursor: string | null;
}

/** Partners (and the exchange's operators) read the market feed; buyers, carriers and reporters do not. */
export function requireMarketReader(identity: Identity | null): Identity {
  const me = requireIdentity(identity);
  if (me.role !== 'PARTNER' && !hasRole(me, SEES_EVERY_PARTY)) {
    throw forbidden('The market feed is for partners and operators (buyers: serviceRequests; carriers: openRequests)');
  }
  return me;
}

/**
 * The anonymised market feed: open boards (bidding not yet closed), closing soonest first, one page
 * at a time. The page is read with the request index on (status, biddingClosesAt) and the auction
 * logs of the page's requests in one query.
 */
export class MarketService {
  constructor(
    private readonly models: ModeratorModels,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async page(identity: Identity | null, first?: number | null, after?: string | null): Promise<MarketPage> {
    requireMarketReader(identity);
    const limit = validatePageSize(first);
    // Position in the feed's order: closing soonest first, then request id.
    const cursor = decodeCursor(after);
    if (cursor && !cursor.at) throw badInput('after', 'after is not a cursor of this feed (pass a nextCursor it returned)');
    const now = this.clock();
    const q: Record<string, unknown> = { status: 'OPEN' };
    if (cursor?.at && cursor.at.getTime() > now.getTime()) {
      q.$or = [{ biddingClosesAt: { $gt: cursor.at } }, { biddingClosesAt: cursor.at, _id: { $gt: cursor.id } }];
    } else {
      q.biddingClosesAt = { $gt: now };
    }
    const reqs = await this.models.ServiceRequest.find(q, { buyerId: 0, endUserId: 0, carrierIds: 0 })
      .sort({ biddingClosesAt: 1, _id: 1 })
      .limit(limit + 1)
      .lean()
      .exec();
    const more = reqs.length > limit;
    const pageReqs = more ? reqs.slice(0, limit) : reqs;
    const logs = pageReqs.length
      ? await this.models.AuctionLog.find({ requestId: { $in: pageReqs.map((r) => r._id) } }).lean().exec()
      : [];
    const byRequest = new Map<string, AuctionLogEntry[]>();
    for (const e of logs) {
      const list = byRequest.get(e.requestId);
      if (list) list.push(e);
      else byRequest.set(e.requestId, [e]);
    }
    const boards: MarketBoard[] = [];
    for (const r of pageReqs) {
      const state = foldLog(byRequest.get(r._id) ?? [], r.biddingClosesAt);
      // Closed (or cancelled) a moment ago, its status not yet written: no longer open.
      if (state.terminal) continue;
      boards.push(marketBoardOf(r, rankingOf({ quantity: r.quantity, qosRequirements: r.qosRequirements, activeBids: state.active }, now)));
    }
    const last = pageReqs[pageReqs.length - 1];
    return {
      boards,
      nextCursor: more && last ? encodeCursor({ at: new Date(last.biddingClosesAt as Date), id: last._id }) : null,
    };
  }
}

/** The board of a request as it stood at `at` (bids counted before then). */
export function marketBoardAt(req: ServiceRequestDoc, active: ActiveBidDoc[], at: Date): MarketBoard {
  return marketBoardOf(req, rankingOf({ quantity: req.quantity, qosRequirements: req.qosRequirements, activeBids: active }, at));
}
