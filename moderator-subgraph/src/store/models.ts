import { Schema, type Connection, type Model } from 'mongoose';
import type { EconomicIncentive } from '../domain/incentive';
import type { OfferedQos, QosRequirements } from '../domain/qos';
import type { RouteSegment, ServiceType, ServiceUnit } from '../domain/service-request';
import type { CostEstimate } from '../domain/cost';
import type { AuctionLogEntry } from '../services/auction-log';
import type { CarrierTrunk } from '../domain/trunk';

export interface EndUserDoc {
  id: string;
  name: string;
}

export interface BuyerDoc {
  _id: string;
  name: string;
  isReseller: boolean;
  endUsers: EndUserDoc[];
  createdAt: Date;
}

export interface CarrierDoc {
  _id: string;
  name: string;
  /** Normalised E.164 prefixes (digits only). */
  coverage: string[];
  createdAt: Date;
}

/** OPEN → AWARDED | NO_AWARD | CANCELLED, written once by whoever completes the log's terminal entry. */
export type StoredRequestStatus = 'OPEN' | 'AWARDED' | 'NO_AWARD' | 'CANCELLED';

/** A bid as it counts in the auction (carried by the auction log's BID entries). */
export interface ActiveBidDoc {
  bidId: string;
  carrierId: string;
  submittedAt: Date;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  validUntil?: Date;
}

export interface ServiceRequestDoc {
  _id: string;
  status: StoredRequestStatus;
  createdAt: Date;
  // The fields below are always set by createServiceRequest; they are optional in the schema only
  // so that other areas' fixtures may insert a bare request.
  buyerId?: string;
  endUserId?: string;
  routes?: RouteSegment[];
  serviceType?: ServiceType;
  quantity?: string;
  unit?: ServiceUnit;
  qosRequirements?: QosRequirements;
  interval?: { start: Date; end: Date };
  biddingClosesAt?: Date;
  /** The carriers it was distributed to. */
  carrierIds?: string[];
  /** The instant of the log's terminal entry, which decides the winner. */
  closingAt?: Date;
  closedBy?: string;
  closedAt?: Date;
  cancelledAt?: Date;
  selectionId?: string;
}

export interface DeliveryClaimDoc {
  /** `<selectionId>:<attempt>`: one claimer per attempt, by unique insert. */
  _id: string;
  selectionId: string;
  owner: string;
  at: Date;
  leaseUntil: Date;
}

export interface DistributionDoc {
  _id: string;
  requestId: string;
  carrierId: string;
  at: Date;
}

export type StoredBidStatus = 'PENDING' | 'ACTIVE' | 'REPLACED' | 'WITHDRAWN' | 'REJECTED';

export interface BidDoc {
  _id: string;
  requestId: string;
  carrierId: string;
  status: StoredBidStatus;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  validUntil?: Date;
  submittedAt: Date;
  replacesBidId?: string;
  replacedByBidId?: string;
  withdrawnAt?: Date;
}

export type DeliveryState = 'PENDING' | 'DELIVERING' | 'DELIVERED';

export interface DeliveryDoc {
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string | null;
  deliveredAt?: Date | null;
}

/** The award and its outbox entry (`delivery`) are one document, written once. */
export interface SelectionDoc {
  _id: string;
  requestId: string;
  buyerId: string;
  buyerIsReseller: boolean;
  endUserId?: string;
  /** The reseller's registered end users at selection time (empty for other buyers): billing refuses usage naming any other. */
  endUserIds?: string[];
  carrierId: string;
  bidId: string;
  routes: RouteSegment[];
  serviceType: ServiceType;
  interval: { start: Date; end: Date };
  quantity: string;
  unit: ServiceUnit;
  incentive: EconomicIncentive;
  estimatedCost: CostEstimate;
  selectedAt: Date;
  delivery: DeliveryDoc;
}

export interface BillRelayDoc {
  _id: string;
  billId: string;
  billNumber: string;
  kind: string;
  buyerId: string;
  carrierId: string;
  requestId?: string | null;
  total: { amount: string; currency: string };
  url: string;
  recipients: string[];
  relayedAt: Date;
}

/** The domain's trunk as stored: its id is the document's _id. */
export type CarrierTrunkDoc = Omit<CarrierTrunk, 'id'> & { _id: string };

/** A buyer switch's route-server credential: only the key's SHA-256 is kept. */
export interface SwitchKeyDoc {
  _id: string;
  buyerId: string;
  name: string;
  hash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Routing attempts of one selection in one 5-minute slot; `_id` is `<selectionId>|<slotStart ISO>`. */
export interface RouteAttemptDoc {
  _id: string;
  selectionId: string;
  slotStart: Date;
  attempts: number;
  /** The highest total billing has acknowledged. */
  pushedAttempts: number;
  /** attempts may exceed pushedAttempts (set on every increment, cleared once billing has this total). */
  pushPending: boolean;
}

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

const opts = { versionKey: false, minimize: false } as const;
const Mixed = Schema.Types.Mixed;

/** Registers the moderator's models on its own connection (its own database). */
export function registerModels(conn: Connection): ModeratorModels {
  const buyer = new Schema<BuyerDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      isReseller: { type: Boolean, required: true },
      endUsers: { type: [{ _id: false, id: String, name: String }], default: [] },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  buyer.index({ createdAt: 1 });

  const carrier = new Schema<CarrierDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      coverage: { type: [String], default: [] },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  carrier.index({ createdAt: 1 });

  const request = new Schema<ServiceRequestDoc>(
    {
      _id: { type: String, required: true },
      status: { type: String, required: true },
      createdAt: { type: Date, required: true },
      buyerId: String,
      endUserId: String,
      routes: Mixed,
      serviceType: String,
      quantity: String,
      unit: String,
      qosRequirements: Mixed,
      interval: { start: Date, end: Date },
      biddingClosesAt: Date,
      carrierIds: [String],
      closingAt: Date,
      closedBy: String,
      closedAt: Date,
      cancelledAt: Date,
      selectionId: String,
    },
    opts,
  );
  // serviceRequests for a buyer; the scheduler's due and stale-close scans; serviceRequests for admin.
  request.index({ buyerId: 1, createdAt: -1 });
  request.index({ status: 1, biddingClosesAt: 1 });
  request.index({ createdAt: -1 });

  const distribution = new Schema<DistributionDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      carrierId: { type: String, required: true },
      at: { type: Date, required: true },
    },
    opts,
  );
  distribution.index({ requestId: 1, carrierId: 1 }, { unique: true });
  distribution.index({ carrierId: 1, at: -1 });

  const bid = new Schema<BidDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      carrierId: { type: String, required: true },
      status: { type: String, required: true },
      incentive: { type: Mixed, required: true },
      offeredQos: Mixed,
      validUntil: Date,
      submittedAt: { type: Date, required: true },
      replacesBidId: String,
      replacedByBidId: String,
      withdrawnAt: Date,
    },
    opts,
  );
  bid.index({ requestId: 1, submittedAt: 1 });
  bid.index({ carrierId: 1, submittedAt: -1 });

  const selection = new Schema<SelectionDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      buyerId: { type: String, required: true },
      buyerIsReseller: { type: Boolean, required: true },
      endUserId: String,
      endUserIds: { type: [String], default: undefined },
      carrierId: { type: String, required: true },
      bidId: { type: String, required: true },
      routes: { type: Mixed, required: true },
      serviceType: { type: String, required: true },
      interval: { start: Date, end: Date },
      quantity: { type: String, required: true },
      unit: { type: String, required: true },
      incentive: { type: Mixed, required: true },
      estimatedCost: { type: Mixed, required: true },
      selectedAt: { type: Date, required: true },
      delivery: {
        state: { type: String, required: true },
        attempts: { type: Number, required: true },
        nextAttemptAt: { type: Date, required: true },
        lastError: String,
        deliveredAt: Date,
      },
    },
    opts,
  );
  // One selection per request, whatever races: the second insert fails with 11000.
  selection.index({ requestId: 1 }, { unique: true });
  selection.index({ 'delivery.state': 1, 'delivery.nextAttemptAt': 1 });
  // Routing index load (active selections) and per-party lists.
  selection.index({ 'interval.end': 1 });
  selection.index({ buyerId: 1, selectedAt: -1 });
  selection.index({ carrierId: 1, selectedAt: -1 });

  const relay = new Schema<BillRelayDoc>(
    {
      _id: { type: String, required: true },
      billId: { type: String, required: true },
      billNumber: { type: String, required: true },
      kind: { type: String, required: true },
      buyerId: { type: String, required: true },
      carrierId: { type: String, required: true },
      requestId: String,
      total: { amount: { type: String, required: true }, currency: { type: String, required: true } },
      url: { type: String, required: true },
      recipients: { type: [String], required: true },
      relayedAt: { type: Date, required: true },
    },
    opts,
  );
  relay.index({ billId: 1 }, { unique: true });
  relay.index({ buyerId: 1, relayedAt: -1 });
  relay.index({ carrierId: 1, relayedAt: -1 });
  relay.index({ relayedAt: -1 });

  const log = new Schema<AuctionLogEntry>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      seq: { type: Number, required: true },
      kind: { type: String, required: true },
      at: { type: Date, required: true },
      carrierId: String,
      bidId: String,
      bid: Mixed,
      by: String,
    },
    opts,
  );
  log.index({ requestId: 1, seq: 1 }, { unique: true });

  const claim = new Schema<DeliveryClaimDoc>(
    {
      _id: { type: String, required: true },
      selectionId: { type: String, required: true },
      owner: { type: String, required: true },
      at: { type: Date, required: true },
      leaseUntil: { type: Date, required: true },
    },
    opts,
  );
  claim.index({ selectionId: 1 });

  const trunk = new Schema<CarrierTrunkDoc>(
    {
      _id: { type: String, required: true },
      carrierId: { type: String, required: true },
      name: { type: String, required: true },
      host: { type: String, required: true },
      port: { type: Number, required: true },
      transport: { type: String, required: true },
      techPrefix: { type: String, default: '' },
      priority: { type: Number, required: true },
      createdAt: { type: Date, required: true },
    },
    opts,
  );
  // A trunk's name is how CDRs name it (dstchannel): one per carrier.
  trunk.index({ carrierId: 1, name: 1 }, { unique: true });

  const switchKey = new Schema<SwitchKeyDoc>(
    {
      _id: { type: String, required: true },
      buyerId: { type: String, required: true },
      name: { type: String, required: true },
      hash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      revokedAt: { type: Date, default: null },
    },
    opts,
  );
  switchKey.index({ hash: 1 }, { unique: true });
  switchKey.index({ buyerId: 1, createdAt: -1 });

  const attempt = new Schema<RouteAttemptDoc>(
    {
      _id: { type: String, required: true },
      selectionId: { type: String, required: true },
      slotStart: { type: Date, required: true },
      attempts: { type: Number, required: true },
      pushedAttempts: { type: Number, required: true },
      pushPending: { type: Boolean, required: true },
    },
    opts,
  );
  attempt.index({ selectionId: 1, slotStart: 1 }, { unique: true });
  attempt.index({ pushPending: 1 });

  return {
    CarrierTrunk: conn.model<CarrierTrunkDoc>('CarrierTrunk', trunk, 'carrier_trunks'),
    SwitchKey: conn.model<SwitchKeyDoc>('SwitchKey', switchKey, 'switch_keys'),
    RouteAttempt: conn.model<RouteAttemptDoc>('RouteAttempt', attempt, 'route_attempts'),
    AuctionLog: conn.model<AuctionLogEntry>('AuctionLog', log, 'auction_log'),
    DeliveryClaim: conn.model<DeliveryClaimDoc>('DeliveryClaim', claim, 'delivery_claims'),
    Buyer: conn.model<BuyerDoc>('Buyer', buyer, 'buyers'),
    Carrier: conn.model<CarrierDoc>('Carrier', carrier, 'carriers'),
    ServiceRequest: conn.model<ServiceRequestDoc>('ServiceRequest', request, 'service_requests'),
    Distribution: conn.model<DistributionDoc>('Distribution', distribution, 'distributions'),
    Bid: conn.model<BidDoc>('Bid', bid, 'bids'),
    Selection: conn.model<SelectionDoc>('Selection', selection, 'selections'),
    BillRelay: conn.model<BillRelayDoc>('BillRelay', relay, 'bill_relays'),
  };
}
