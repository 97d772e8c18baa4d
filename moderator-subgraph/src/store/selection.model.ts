// Selections (awards) with their outbox entry towards billing.
import { DATE_MAX } from '@exchange/platform';
import { Schema, type Connection, type Model } from 'mongoose';
import type { CostEstimate } from '../domain/cost';
import type { EconomicIncentive } from '../domain/incentive';
import type { RouteSegment, ServiceType, ServiceUnit } from '../domain/service-request';
import { SCHEMA_OPTIONS as opts } from './schema-options';

const Mixed = Schema.Types.Mixed;

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

export function selectionModel(conn: Connection): Model<SelectionDoc> {
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
  return conn.model<SelectionDoc>('Selection', selection, 'selections');
}

/** Selections whose interval has not ended at `now`, streamed. Both bounds keep the read on the interval.end index (FerretDB/SQLite serves date ranges only). */
export const activeSelections = (Selection: Model<SelectionDoc>, now: Date): AsyncIterable<SelectionDoc> =>
  Selection.find({ 'interval.end': { $gt: now, $lte: DATE_MAX } }).lean().cursor() as AsyncIterable<SelectionDoc>;
