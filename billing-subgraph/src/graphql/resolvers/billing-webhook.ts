import type { BillingWebhookResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';

export const BillingWebhook: BillingWebhookResolvers<Ctx> = { partyId: (w: { _id: string }) => w._id };
