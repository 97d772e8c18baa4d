import type { Connection, Model } from 'mongoose';
import type { ActiveBid as ActiveBidDoc, AuctionLogEntry } from '../domain/auction-log';
import { auctionLogModel } from './auction-log.model';
import { bidModel, type BidDoc, type StoredBidStatus } from './bid.model';
import { billRelayModel, type BillRelayDoc } from './bill-relay.model';
import { buyerModel, type BuyerDoc, type EndUserDoc } from './buyer.model';
import { carrierModel, type CarrierDoc } from './carrier.model';
import { carrierTrunkModel, type CarrierTrunkDoc } from './carrier-trunk.model';
import { deliveryClaimModel, type DeliveryClaimDoc } from './delivery-claim.model';
import { distributionModel, type DistributionDoc } from './distribution.model';
import { routeAttemptModel, type RouteAttemptDoc } from './route-attempt.model';
import { selectionModel, type DeliveryDoc, type DeliveryState, type SelectionDoc } from './selection.model';
import { serviceRequestModel, type ServiceRequestDoc, type StoredRequestStatus } from './service-request.model';
import { switchKeyModel, type SwitchKeyDoc } from './switch-key.model';

// One file per model (`xxxModel(conn)`: schema, indexes, collection name); this file is the
// registry, and re-exports the document types so imports stay `store/models`.
export type {
  ActiveBidDoc,
  BidDoc,
  BillRelayDoc,
  BuyerDoc,
  CarrierDoc,
  CarrierTrunkDoc,
  DeliveryClaimDoc,
  DeliveryDoc,
  DeliveryState,
  DistributionDoc,
  EndUserDoc,
  RouteAttemptDoc,
  SelectionDoc,
  ServiceRequestDoc,
  StoredBidStatus,
  StoredRequestStatus,
  SwitchKeyDoc,
};

export interface ModeratorModels {
  Buyer: Model<BuyerDoc>;
  Carrier: Model<CarrierDoc>;
  ServiceRequest: Model<ServiceRequestDoc>;
  Distribution: Model<DistributionDoc>;
  Bid: Model<BidDoc>;
  Selection: Model<SelectionDoc>;
  BillRelay: Model<BillRelayDoc>;
  AuctionLog: Model<AuctionLogEntry>;
  DeliveryClaim: Model<DeliveryClaimDoc>;
  CarrierTrunk: Model<CarrierTrunkDoc>;
  SwitchKey: Model<SwitchKeyDoc>;
  RouteAttempt: Model<RouteAttemptDoc>;
}

/** Registers the moderator's models on its own connection (its own database). */
export function registerModels(conn: Connection): ModeratorModels {
  return {
    CarrierTrunk: carrierTrunkModel(conn),
    SwitchKey: switchKeyModel(conn),
    RouteAttempt: routeAttemptModel(conn),
    AuctionLog: auctionLogModel(conn),
    DeliveryClaim: deliveryClaimModel(conn),
    Buyer: buyerModel(conn),
    Carrier: carrierModel(conn),
    ServiceRequest: serviceRequestModel(conn),
    Distribution: distributionModel(conn),
    Bid: bidModel(conn),
    Selection: selectionModel(conn),
    BillRelay: billRelayModel(conn),
  };
}
