import type { BoardEntryResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { BoardModel } from '../../services/market';
import { visibleBid, visibleCarrier } from '../reads';

type Entry = BoardModel['entries'][number];

export const BoardEntry: BoardEntryResolvers<Ctx> = {
  bid: (e: Entry, _, ctx) => (e.bidId ? visibleBid(ctx, e.bidId) : null),
  carrier: (e: Entry, _, ctx) => (e.carrierId ? visibleCarrier(ctx, e.carrierId) : null),
};
