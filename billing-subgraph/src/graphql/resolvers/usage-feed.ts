import type { UsageFeedResolvers } from '../generated';
import type { BillingContext as Ctx } from '../context';
import type { FeedDoc } from '../../store/models';

export const UsageFeed: UsageFeedResolvers<Ctx> = { id: (f: FeedDoc) => f._id };
