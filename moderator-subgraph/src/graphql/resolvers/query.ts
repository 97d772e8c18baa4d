import type { QueryResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { canSeeSelection, mayReadCarrierRecord } from '../../services/access';
import { forbidden, notFound, requireIdentity } from '../../services/errors';
import { routingTableCsv, routingTableJson } from '../../services/routing';
import { bidOrRefuse, boardOf, requestOrRefuse, viewOf, visibleBuyer } from '../reads';

export const Query: QueryResolvers<Ctx> = {
  buyer: async (_, a, ctx) => {
    requireIdentity(ctx.identity);
    return visibleBuyer(ctx, a.id, 'You may see only your own buyer record (or, as its selected carrier, its name)');
  },
  carrier: async (_, a, ctx) => {
    const me = requireIdentity(ctx.identity);
    if (!mayReadCarrierRecord(me, a.id)) throw forbidden('You may see only your own carrier record');
    return ctx.loaders.carrier.load(a.id);
  },
  buyers: (_, __, ctx) => ctx.services.parties.listBuyers(ctx.identity),
  carriers: (_, __, ctx) => ctx.services.parties.listCarriers(ctx.identity),
  serviceRequest: async (_, a, ctx) => {
    requireIdentity(ctx.identity);
    return requestOrRefuse(ctx, a.id);
  },
  serviceRequests: (_, a, ctx) => ctx.services.auction.listRequests(ctx.identity, (a.filter ?? {}) as never, a.first ?? 50),
  openRequests: (_, a, ctx) => ctx.services.auction.openRequests(ctx.identity, a.carrierId as string | undefined),
  bid: async (_, a, ctx) => {
    requireIdentity(ctx.identity);
    return bidOrRefuse(ctx, a.id);
  },
  bidBoard: async (_, a, ctx) => {
    requireIdentity(ctx.identity);
    const req = await ctx.loaders.request.load(a.requestId);
    if (!req) throw notFound('No such service request', 'requestId');
    const view = viewOf(ctx, req);
    if (!view) throw forbidden('You may not see this board');
    return boardOf(ctx, req, view);
  },
  selection: async (_, a, ctx) => {
    requireIdentity(ctx.identity);
    const sel = await ctx.loaders.selection.load(a.id);
    if (!sel) return null;
    if (!canSeeSelection(ctx.identity, sel)) throw forbidden('You may not see this selection');
    return sel;
  },
  routeCall: (_, a, ctx) => ctx.services.routing.routeCall(ctx.identity, a.destination, a.at as never, a.buyerId as string | undefined),
  routingTable: (_, a, ctx) => {
    const t = ctx.services.routing.table(ctx.identity, a.at as never, a.buyerId as string | undefined);
    return { ...t, entries: t.entries.map((e) => ({ ...e })), csv: routingTableCsv(t.entries), json: routingTableJson(t.entries) };
  },
  carrierTrunks: (_, a, ctx) => ctx.services.trunks.list(ctx.identity, a.carrierId as string | undefined),
  switchKeys: (_, a, ctx) => ctx.services.switchKeys.list(ctx.identity, a.buyerId as string | undefined),
  routeAttempts: (_, a, ctx) => ctx.services.routeAttempts.list(ctx.identity, a.selectionId),
  billRelays: (_, a, ctx) => ctx.services.relays.list(ctx.identity, a.first ?? 50),
  marketBoards: (_, a, ctx) => ctx.services.market.page(ctx.identity, a.first, a.after),
};
