import type { RequestDistributionResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { forbidden } from '../../services/errors';
import { viewOf } from '../reads';

export const RequestDistribution: RequestDistributionResolvers<Ctx> = {
  request: async (p: { requestId: string }, _, ctx) => {
    const req = await ctx.loaders.request.load(p.requestId);
    if (!req || !viewOf(ctx, req)) throw forbidden('You may not see this service request');
    return req;
  },
};
