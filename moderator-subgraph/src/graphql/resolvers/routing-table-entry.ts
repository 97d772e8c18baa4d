import type { RoutingTableEntryResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { RoutingEntry } from '../../domain/routing';

export const RoutingTableEntry: RoutingTableEntryResolvers<Ctx> = {
  carrier: (e: RoutingEntry, _, ctx) => ctx.loaders.carrier.load(e.carrierId),
  selection: (e: RoutingEntry, _, ctx) => ctx.loaders.selection.load(e.selectionId),
};
