import type { CarrierResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import { forbidden } from '../../services/errors';
import { id, mayReadCarrier } from '../reads';

export const Carrier: CarrierResolvers<Ctx> = {
  id,
  // Entity fetches (the gateway's, or anyone's on this port) follow the root fields' rules: an
  // operator, the carrier itself, or a buyer the carrier has dealt with (a request of that buyer
  // was distributed to it, as its bills, boards and selections show). Any buyer read any carrier here.
  __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
    // Both started together, so a page's carriers are read in one batch whatever the check costs.
    const [may, carrier] = await Promise.all([mayReadCarrier(ctx, ref.id), ctx.loaders.carrier.load(ref.id)]);
    if (!may) throw forbidden('You may not see this carrier');
    return carrier;
  },
  trunks: (c: { _id: string }, _, ctx) => ctx.services.trunks.listOf(ctx.identity, c._id),
};
