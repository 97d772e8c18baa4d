import type { SettlementStatementResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import { zoneOf } from '../../services/parties';

export const SettlementStatement: SettlementStatementResolvers<Ctx> = {
  timeZone: (st: { carrierId: string }, _, ctx) => zoneOf(ctx.deps, st.carrierId, 'CARRIER'),
};
