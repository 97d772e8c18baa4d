import type { BillRelayResolvers } from '../generated';
import type { ModeratorContext as Ctx } from '../context';
import type { BillRelayDoc } from '../../store/models';
import { id } from '../reads';

export const BillRelay: BillRelayResolvers<Ctx> = {
  id,
  requestId: (r: BillRelayDoc) => r.requestId ?? null,
};
