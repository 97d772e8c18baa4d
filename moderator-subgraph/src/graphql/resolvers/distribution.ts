import type { DistributionResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { visibleCarrier } from '../reads';

export const Distribution: DistributionResolvers<Ctx> = {
  carrier: (d: { carrierId: string }, _, ctx) => visibleCarrier(ctx, d.carrierId),
  request: (d: { requestId: string }, _, ctx) => ctx.loaders.request.load(d.requestId),
  distributedAt: (d: { at: Date }) => d.at,
};
