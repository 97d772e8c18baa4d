import type { LedgerEntryResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import type { LedgerDoc } from '../../store/models';

export const LedgerEntry: LedgerEntryResolvers<Ctx> = {
  paymentId: (l: LedgerDoc) => l.paymentId ?? null,
};
