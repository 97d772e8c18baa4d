import type { Identity } from '@exchange/platform';
import { foldLog } from '../domain/auction-log';
import type { BidDoc, ServiceRequestDoc } from '../store/models';
import { canSeeBid, canSeeBuyer, canSeeCarrier, carrierEntityAccess, requestView, type RequestView } from '../services/access';
import { boardFor, rankingOf, type BoardModel } from '../services/market';
import { forbidden } from '../services/errors';
import type { ModeratorContext as Ctx } from './context';

// What several types' resolvers read the same way: through the request's loaders, then the access rules.

export const id = (d: { _id: string }) => d._id;

export function viewOf(ctx: Ctx, req: ServiceRequestDoc): RequestView {
  return requestView(ctx.identity, req);
}

export async function visibleRequest(ctx: Ctx, requestId: string): Promise<ServiceRequestDoc | null> {
  const req = await ctx.loaders.request.load(requestId);
  return req && viewOf(ctx, req) ? req : null;
}

/** A request the caller may see in some view; a missing one is null, another's is refused. */
export async function requestOrRefuse(ctx: Ctx, requestId: string): Promise<ServiceRequestDoc | null> {
  const req = await ctx.loaders.request.load(requestId);
  if (!req) return null;
  if (!viewOf(ctx, req)) throw forbidden('You may not see this service request');
  return req;
}

export async function visibleCarrier(ctx: Ctx, carrierId: string | undefined) {
  if (!carrierId || !canSeeCarrier(ctx.identity, carrierId)) return null;
  return ctx.loaders.carrier.load(carrierId);
}

/** Root-field rules for one carrier: operators, the carrier itself, and buyers whose request it was distributed. */
export async function mayReadCarrier(ctx: Ctx, carrierId: string): Promise<boolean> {
  const access = carrierEntityAccess(ctx.identity, carrierId);
  if (access === 'IF_DEALT_WITH') return ctx.loaders.dealtWith.load(carrierId);
  return access === 'YES';
}

export async function visibleBid(ctx: Ctx, bidId: string | undefined): Promise<BidDoc | null> {
  if (!bidId) return null;
  const bid = await ctx.loaders.bid.load(bidId);
  if (!bid) return null;
  const req = await ctx.loaders.request.load(bid.requestId);
  return canSeeBid(ctx.identity, bid, req) ? bid : null;
}

/** A bid the caller may see; a missing one is null, another's is refused. */
export async function bidOrRefuse(ctx: Ctx, bidId: string): Promise<BidDoc | null> {
  const bid = await ctx.loaders.bid.load(bidId);
  if (!bid) return null;
  if (!canSeeBid(ctx.identity, bid, await ctx.loaders.request.load(bid.requestId))) throw forbidden('You may not see this bid');
  return bid;
}

/** The auction as of now, or as of its close once closed (so a closed ranking never moves). */
export async function auctionOf(ctx: Ctx, req: ServiceRequestDoc) {
  const state = foldLog(await ctx.loaders.logByRequest.load(req._id), req.biddingClosesAt);
  const at = state.terminal ? new Date(state.terminal.at) : new Date();
  const ranking = rankingOf({ quantity: req.quantity, qosRequirements: req.qosRequirements, activeBids: state.active }, at);
  return { state, ranking };
}

export async function boardOf(ctx: Ctx, req: ServiceRequestDoc, view: Exclude<RequestView, null>): Promise<BoardModel> {
  const { ranking } = await auctionOf(ctx, req);
  return boardFor(ranking, view, (ctx.identity as Identity).sub, ctx.services.pseudonymSecret, req._id);
}

/**
 * The buyer as the caller may see it: the buyer itself and operators in full; a carrier selected
 * for one of the buyer's requests as its counterparty (COUNTERPARTY_BUYER_FIELDS, no end users);
 * anyone else is refused.
 */
export async function visibleBuyer(ctx: Ctx, buyerId: string, refusal: string) {
  if (canSeeBuyer(ctx.identity, buyerId)) return ctx.loaders.buyer.load(buyerId);
  if (ctx.identity?.role === 'CARRIER' && (await ctx.services.parties.isCounterparty(buyerId, ctx.identity.sub))) {
    const doc = await ctx.loaders.buyer.load(buyerId);
    return doc ? { ...doc, counterpartyView: true } : null;
  }
  throw forbidden(refusal);
}
