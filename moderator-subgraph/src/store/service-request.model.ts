// Service requests: the status is written once, by whoever completes the auction log's terminal entry.
import { Schema, type Connection, type Model } from 'mongoose';
import type { QosRequirements } from '../domain/qos';
import type { RouteSegment, ServiceType, ServiceUnit } from '../domain/service-request';
import { SCHEMA_OPTIONS as opts } from './schema-options';

const Mixed = Schema.Types.Mixed;

/** OPEN → AWARDED | NO_AWARD | CANCELLED, written once by whoever completes the log's terminal entry. */
export type StoredRequestStatus = 'OPEN' | 'AWARDED' | 'NO_AWARD' | 'CANCELLED';

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

export function serviceRequestModel(conn: Connection): Model<ServiceRequestDoc> {
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
  return conn.model<ServiceRequestDoc>('ServiceRequest', request, 'service_requests');
}
