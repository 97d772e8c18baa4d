import { DateTimeScalar, DecimalScalar } from '@exchange/platform';
import type { Resolvers } from '../generated';
import type { ModeratorContext } from '../context';
import { Bid } from './bid';
import { BidUpdate } from './bid-update';
import { BillRelay } from './bill-relay';
import { BoardEntry } from './board-entry';
import { Buyer } from './buyer';
import { Carrier } from './carrier';
import { Distribution } from './distribution';
import { Mutation } from './mutation';
import { Query } from './query';
import { RankedBid } from './ranked-bid';
import { RequestDistribution } from './request-distribution';
import { RouteDecision } from './route-decision';
import { RoutingTableEntry } from './routing-table-entry';
import { Selection } from './selection';
import { ServiceRequest } from './service-request';
import { Subscription } from './subscription';

/** One file per type; the types not listed resolve by property name. */
export const resolvers: Resolvers<ModeratorContext> = {
  DateTime: DateTimeScalar,
  Decimal: DecimalScalar,
  Query,
  Mutation,
  Subscription,
  Buyer,
  Carrier,
  ServiceRequest,
  Distribution,
  RankedBid,
  BoardEntry,
  BidUpdate,
  RequestDistribution,
  Bid,
  Selection,
  RouteDecision,
  RoutingTableEntry,
  BillRelay,
};
