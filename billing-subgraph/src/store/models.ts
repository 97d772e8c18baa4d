import type { Connection, Model } from 'mongoose';
import { billClaimModel, billingRecordModel, type BillClaimDoc, type BillingRecordDoc, type SegmentDoc } from './billing-record.model';
import type { StoredBillingRecord } from './billing-record-format';
import { billModel, type BillDoc, type BillLineDoc, type BillState, type PaymentEmbed, type PeriodRateDoc, type SelectionAmountDoc } from './bill.model';
import { deliveryModel, webhookModel, type DeliveryDoc, type WebhookDoc } from './delivery.model';
import { disputeModel, type DisputeDoc } from './dispute.model';
import { feedModel, reporterModel, type FeedDoc, type ReporterDoc } from './feed.model';
import { ledgerModel, paymentModel, type LedgerDoc, type PaymentDoc } from './ledger.model';
import { mediationPolicyModel, type MediationPolicyDoc } from './mediation.model';
import { billingProfileModel, type BillingProfileDoc } from './profiles';
import { routeAttemptModel, type RouteAttemptDoc } from './route-attempt.model';
import { selectionModel, type SelectionDoc } from './selection.model';
import { leaseModel, type LeaseDoc } from './leases';
import { counterModel, slotModel, usageTotalsModel, type CounterDoc, type SlotDoc, type UsageTotalsDoc } from './slot.model';
import { ratingBatchModel, rejectedUsageModel, usageModel, type RatingBatchDoc, type RejectedDoc, type UsageDoc, type UsageStatus } from './usage.model';

export type { DestinationRowDoc, InvoicePartyDoc, TaxLineDoc } from './invoice-docs';

// One file per model or cohesive group (`xxxModel(conn)`: schema, indexes, collection name);
// this file is the registry, and re-exports the document types so imports stay `store/models`.
export type {
  BillClaimDoc,
  BillDoc,
  BillingProfileDoc,
  BillingRecordDoc,
  BillLineDoc,
  BillState,
  CounterDoc,
  DeliveryDoc,
  DisputeDoc,
  FeedDoc,
  LedgerDoc,
  MediationPolicyDoc,
  PaymentDoc,
  PaymentEmbed,
  PeriodRateDoc,
  RatingBatchDoc,
  RejectedDoc,
  ReporterDoc,
  RouteAttemptDoc,
  SegmentDoc,
  SelectionAmountDoc,
  SelectionDoc,
  SlotDoc,
  UsageDoc,
  UsageStatus,
  UsageTotalsDoc,
  WebhookDoc,
};

export interface BillingModels {
  BillClaim: Model<BillClaimDoc>;
  RatingBatch: Model<RatingBatchDoc>;
  Selection: Model<SelectionDoc>;
  Usage: Model<UsageDoc>;
  Rejected: Model<RejectedDoc>;
  // Stored form: read through billing-record-format.ts.
  BillingRecord: Model<StoredBillingRecord>;
  Counter: Model<CounterDoc>;
  Slot: Model<SlotDoc>;
  UsageTotals: Model<UsageTotalsDoc>;
  Bill: Model<BillDoc>;
  Delivery: Model<DeliveryDoc>;
  Webhook: Model<WebhookDoc>;
  Reporter: Model<ReporterDoc>;
  Feed: Model<FeedDoc>;
  Payment: Model<PaymentDoc>;
  Ledger: Model<LedgerDoc>;
  MediationPolicy: Model<MediationPolicyDoc>;
  Dispute: Model<DisputeDoc>;
  BillingProfile: Model<BillingProfileDoc>;
  RouteAttempt: Model<RouteAttemptDoc>;
  /** Cross-process leases (store/leases.ts). */
  Lease: Model<LeaseDoc>;
}

/** Registers billing's models on its own connection (its own database, never the moderator's). */
export function registerModels(conn: Connection): BillingModels {
  return {
    BillClaim: billClaimModel(conn),
    RatingBatch: ratingBatchModel(conn),
    Selection: selectionModel(conn),
    Usage: usageModel(conn),
    Rejected: rejectedUsageModel(conn),
    BillingRecord: billingRecordModel(conn),
    Counter: counterModel(conn),
    Slot: slotModel(conn),
    UsageTotals: usageTotalsModel(conn),
    Bill: billModel(conn),
    Delivery: deliveryModel(conn),
    Webhook: webhookModel(conn),
    Reporter: reporterModel(conn),
    Feed: feedModel(conn),
    Payment: paymentModel(conn),
    Ledger: ledgerModel(conn),
    MediationPolicy: mediationPolicyModel(conn),
    Dispute: disputeModel(conn),
    BillingProfile: billingProfileModel(conn),
    RouteAttempt: routeAttemptModel(conn),
    Lease: leaseModel(conn),
  };
}
