import type { StoredBillingRecord } from './billing-record-format';
import { Schema, type Connection, type Model } from 'mongoose';
import { billingProfileModel, type BillingProfileDoc } from './profiles';
import { invoicePartySchema, type DestinationRowDoc, type InvoicePartyDoc, type TaxLineDoc } from './invoice-docs';
export type { DestinationRowDoc, InvoicePartyDoc, TaxLineDoc } from './invoice-docs';

// Money and quantities are exact decimal strings everywhere (no Decimal128 on FerretDB 1.x).
// Idempotency keys are unique indexes; state changes are single-document conditional updates.

export interface SelectionDoc {
  _id: string; // selectionId
  requestId: string;
  buyerId: string;
  buyerIsReseller: boolean;
  /** The end users the buyer registered (from the selection record); absent from moderators that do not send them. */
  endUserIds?: string[];
  carrierId: string;
  routes: { origin: string; destination: string; network?: string | null }[];
  serviceType: 'VOICE' | 'DATA';
  intervalStart: Date;
  intervalEnd: Date;
  quantity: string;
  unit: 'MINUTE' | 'GB' | 'MBPS';
  incentive: Record<string, any>; // NormalizedIncentive
  selectedAt: Date;
  recordedAt: Date;
  advanceBillId?: string | null;
}

export type UsageStatus = 'UNASSOCIATED' | 'ASSOCIATED' | 'RATED' | 'CORROBORATING' | 'EXPIRED';

export interface UsageDoc {
  _id: string; // `${source}:${recordId}`, scoped to a tenant reporter and the equipment (services/usage.ts usageId)
  recordId: string;
  source: string;
  equipmentId?: string;
  buyerId: string;
  carrierId: string;
  requestId?: string | null;
  reportedRequestId?: string | null;
  selectionId?: string | null;
  endUserId?: string;
  intervalStart: Date;
  intervalEnd: Date;
  serviceType: 'VOICE' | 'DATA';
  quantity: string;
  destination?: string;
  qos?: Record<string, number>;
  minBandwidthMbps?: string;
  maxBandwidthMbps?: string;
  volumeSamples?: { at: Date; mbps: string }[];
  status: UsageStatus;
  unassociatedReason?: string | null;
  reportedBy: string;
  batchId: string;
  receivedAt: Date;
  /** Mediation: the call this record reports (the first record's id); absent = a call of its own. */
  callId?: string;
  /** Mediation: the higher-precedence record that replaced this one as the call's billable record. */
  supersededBy?: string;
}

/** A bill dispute (services/disputes.ts): opened by the buyer or carrier, resolved by the billing agent; history kept. */
export interface DisputeDoc {
  _id: string;
  billId: string;
  billNumber: string;
  buyerId: string;
  carrierId: string;
  /** A line of the bill (0-based), or null for the bill as a whole. */
  lineIndex: number | null;
  reason: string;
  amount: string;
  currency: string;
  status: 'OPEN' | 'ACCEPTED' | 'REJECTED';
  openedBy: string;
  openedAt: Date;
  /** The reconciliation of the bill's pair and period when the dispute was opened (CSV), or why there is none. */
  evidenceCsv: string;
  resolutionReason?: string | null;
  resolvedAmount?: string | null;
  adjustmentBillId?: string | null;
  resolvedBy?: string | null;
  resolvedAt?: Date | null;
  history: { at: Date; by: string; action: string; reason: string }[];
}

/** Mediation policy of one buyer–carrier pair (services/mediation.ts); the configured default otherwise. */
export interface MediationPolicyDoc {
  _id: string; // `${buyerId}|${carrierId}`
  buyerId: string;
  carrierId: string;
  precedence: string[];
  answerToleranceSeconds: number;
  durationToleranceSeconds: number;
  durationTolerancePercent: number;
  updatedBy: string;
  updatedAt: Date;
}

export interface RejectedDoc {
  _id: string;
  batchId: string;
  index: number;
  recordId?: string | null;
  source?: string | null;
  field?: string | null;
  reason: string;
  raw: string;
  reportedBy: string;
  rejectedAt: Date;
}

export interface SegmentDoc {
  tierIndex: number;
  fromQuantity: string;
  ratePerUnit: string;
  quantity: string;
  baseQuantity: string;
  amount: string;
}

export interface BillingRecordDoc {
  _id: string; // = usage _id (one billing record per usage record: the charge is guarded by it)
  requestId: string;
  selectionId: string;
  buyerId: string;
  carrierId: string;
  endUserId?: string | null;
  period: string; // YYYY-MM (UTC) of intervalStart
  intervalStart: Date;
  serviceType: 'VOICE' | 'DATA';
  unit: string;
  billableQuantity: string;
  billableBaseQuantity: string;
  cumulativeBefore: string;
  segments: SegmentDoc[];
  amount: string;
  currency: string;
  /** PERCENTILE_95 data: the record's 5-minute samples (Mbps); the charge is made per period on the bill. */
  samplesMbps?: string[];
  /** PERCENTILE_95 data: each sample with its time and meter (domain/percentile.ts encoding); replaces samplesMbps. */
  slotSamples?: string[];
  /** The called number (E.164 digits) of a voice record that had one: the bill's destination summary and call detail. */
  destination?: string;
  ratedAt: Date;
}

export interface CounterDoc {
  _id: string; // `${selectionId}|${period}` for tier cumulative, `billno|YYYY-MM` for numbers
  value: string;
  seq?: number;
}

/**
 * One step of a sequence (tier cumulative totals, bill numbers): {key, seq} is claimed by an
 * insert with a unique _id. Unique inserts are atomic on MongoDB and on every FerretDB, whereas a
 * conditional update is atomic on MongoDB and on the embedded engine (patched) but NOT on FerretDB
 * 1.x as released (two concurrent updateOne calls with the same filter both "modify"), which an
 * operator may run on PostgreSQL; so the sequences billing depends on for money (tier totals,
 * bill numbers, payments) stay inserts of the next slot. They also keep the history crash
 * recovery reads (the batch and starting total of each tier step).
 */
export interface SlotDoc {
  _id: string; // `${key}|${seq}`
  key: string;
  seq: number;
  value: string;
  /** Payment slots: the state the bill moves to and the payment that moved it. */
  payment?: PaymentEmbed | null;
  status?: string | null;
  /** Tier slots claimed by an ingest batch: the batch, and the cumulative total it rated from (crash recovery). */
  batchId?: string | null;
  from?: string | null;
  /**
   * Tier slots: running totals of everything rated under the key up to and including this slot
   * (records, billable quantity, amount), so a usage summary reads one slot instead of every
   * billing record. Absent on slots written before they were kept.
   */
  records?: number | null;
  quantity?: string | null;
  amount?: string | null;
  createdAt: Date;
  /** Once-only claims that matter only for a while (a delivery attempt, a feed poll): swept after this (store/sweep.ts). */
  expiresAt?: Date | null;
}

/**
 * Where a (selection, billing period)'s usage totals are: its tier slot key and the last slot
 * seq known to be written (a lower bound: the reader looks for later slots by _id). One per
 * key, created before the key's first slot, so a request's totals are found by requestId.
 */
export interface UsageTotalsDoc {
  _id: string; // the tier slot key, `tier|<selectionId>|<period>`
  requestId: string;
  selectionId: string;
  buyerId: string;
  carrierId: string;
  period: string;
  serviceType: string;
  unit: string;
  currency: string;
  seq: number;
}

export interface BillLineDoc {
  kind: string;
  description: string;
  requestId?: string | null;
  selectionId?: string | null;
  endUserId?: string | null;
  quantity?: string | null;
  unit?: string | null;
  ratePerUnit?: string | null;
  tierIndex?: number | null;
  amount: string;
}

export interface PaymentEmbed {
  id: string;
  amount: string;
  path: 'DIRECT' | 'VIA_MODERATOR';
  reference?: string | null;
  recordedBy: string;
  receivedAt: Date;
}

export type BillState = 'DRAFT' | 'ISSUED' | 'PARTIALLY_PAID' | 'PAID';

export interface BillDoc {
  _id: string;
  /** Natural key (unique): ADVANCE|<selection> or <kind>|<groupBy>|<start>|<end>|<buyer>|<request>|<carrier>|<currency>|<seq>. */
  key?: string;
  groupKey?: string;
  number?: string;
  kind?: 'ADVANCE' | 'PERIODIC' | 'ADJUSTMENT';
  groupBy?: 'BUYER_REQUEST' | 'BUYER_CARRIER' | null;
  buyerId?: string;
  carrierId?: string;
  requestId?: string | null;
  selectionIds?: string[];
  periodStart?: Date;
  periodEnd?: Date;
  sequence?: number;
  currency?: string;
  lines?: BillLineDoc[];
  endUserSubtotals?: { endUserId: string | null; label: string; amount: string }[];
  usageAmount?: string;
  minimumTopUp?: string;
  setupFee?: string;
  advanceCreditApplied?: string;
  creditableAdvance?: string;
  /** Per selection: [selectionId, usageAmount, advanceCreditApplied] joined by '|' (no nested arrays). */
  selectionAmounts?: string[];
  subtotal?: string;
  total?: string;
  paidAmount?: string;
  payments?: PaymentEmbed[];
  status?: BillState;
  version?: number;
  recordCount?: number;
  issuedAt: Date;
  dueAt?: Date;
  draftAt?: Date;
  runId?: string;
  deliveryPath?: 'DIRECT' | 'VIA_MODERATOR';
  /** The buyer's profile zone when drafted: the zone its period and dates are read in. */
  timeZone?: string;
  /** Label (YYYY-MM) of the buyer's billing period, on bills of a billing cycle run. */
  periodLabel?: string | null;
  // Snapshot taken when the bill is issued (services/bill-invoice.ts): an issued bill never changes.
  buyerParty?: InvoicePartyDoc;
  sellerParty?: InvoicePartyDoc;
  /** Before tax; total = netAmount + the tax lines. Absent on bills issued before taxes (then = total). */
  netAmount?: string;
  taxLines?: TaxLineDoc[];
  /** How to pay: the carrier's instructions (the reference to quote is the bill number). */
  paymentInstructions?: string | null;
  destinationSummary?: DestinationRowDoc[];
  /** VOLUME selections re-rated at period close: `${selectionId}|${unit}|${rate}` (call detail re-prices each record at it). */
  periodRates?: string[];
  /** Gapless numbering: the series' last slot seen before this bill claimed its number (store/bill-numbers.ts). */
  numberFloor?: number;
}

export interface DeliveryDoc {
  _id: string; // `${billId}|${recipientId}|${channel}`
  billId: string;
  recipientId: string;
  recipientRole: 'BUYER' | 'CARRIER';
  channel: 'WEBSITE' | 'SUBSCRIPTION' | 'WEBHOOK' | 'MODERATOR_RELAY';
  path: 'DIRECT' | 'VIA_MODERATOR';
  state: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastError?: string | null;
  deliveredAt?: Date | null;
  nextAttemptAt?: Date | null;
  leaseUntil?: Date | null;
  createdAt: Date;
}

export interface WebhookDoc {
  _id: string; // partyId
  url: string;
  secret: string;
  updatedAt: Date;
}

export interface ReporterDoc {
  _id: string;
  kind: 'METER' | 'LEC';
  buyerIds: string[];
  updatedAt: Date;
}

export interface FeedDoc {
  _id: string;
  url: string;
  equipmentId: string;
  buyerIds: string[];
  intervalSeconds: number;
  cursor?: string | null;
  nextPollAt: Date;
  leaseUntil?: Date | null;
  leaseOwner?: string | null;
  lastPolledAt?: Date | null;
  lastSuccessAt?: Date | null;
  lastError?: string | null;
  consecutiveFailures: number;
  acceptedTotal: number;
  duplicatesTotal: number;
  rejectedTotal: number;
  createdBy: string;
  createdAt: Date;
}

export interface PaymentDoc {
  /** `${billId}|${paymentId}`: a payment id is scoped to its bill (and so to the bill's payer). */
  _id: string;
  /** The payer's own payment id (unique per bill only); absent on payments stored before scoping (then _id). */
  paymentId?: string;
  billId: string;
  buyerId: string;
  carrierId: string;
  amount: string;
  currency: string;
  path: 'DIRECT' | 'VIA_MODERATOR';
  reference?: string | null;
  recordedBy: string;
  receivedAt: Date;
}

export interface LedgerDoc {
  _id: string;
  event: string;
  account: string;
  amount: string;
  currency: string;
  billId: string;
  paymentId?: string | null;
  description: string;
  postedAt: Date;
}

/**
 * "This billing record is on this bill": one small document per record with a unique _id (the
 * record id), so a record lands on exactly one bill even with concurrent runs, and billing never
 * updates billing records (a per-document update costs one write each on FerretDB; a batch
 * insert of claims is cheap). Carries the group keys so claims stream in the same order and
 * filter as the records they claim.
 */
export interface BillClaimDoc {
  _id: string;
  billId: string;
  buyerId: string;
  carrierId: string;
  requestId: string;
  currency: string;
  intervalStart: Date;
  selectionId: string;
  samplesMbps?: string[];
  slotSamples?: string[];
}

/** An ingest batch between "usage stored" and "billing records stored"; OPEN ones older than a minute are finished by the sweeper. */
export interface RatingBatchDoc {
  _id: string;
  state: 'OPEN' | 'DONE';
  createdAt: Date;
}

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
}

const opts = { versionKey: false as const, strict: true };
const loose = Schema.Types.Mixed;

/** Registers billing's models on its own connection (its own database, never the moderator's). */
export function registerModels(conn: Connection): BillingModels {
  const selection = new Schema<SelectionDoc>(
    {
      _id: { type: String, required: true },
      requestId: { type: String, required: true },
      buyerId: { type: String, required: true },
      buyerIsReseller: { type: Boolean, required: true },
      endUserIds: { type: [String], default: undefined },
      carrierId: { type: String, required: true },
      routes: [{ _id: false, origin: String, destination: String, network: String }],
      serviceType: { type: String, required: true },
      intervalStart: { type: Date, required: true },
      intervalEnd: { type: Date, required: true },
      quantity: { type: String, required: true },
      unit: { type: String, required: true },
      incentive: { type: loose, required: true },
      selectedAt: { type: Date, required: true },
      recordedAt: { type: Date, required: true },
      advanceBillId: { type: String, default: null },
    },
    opts,
  );
  selection.index({ requestId: 1 });
  selection.index({ buyerId: 1, carrierId: 1 });
  // The bill run's minimum-charge pass reads the selections whose interval overlaps the period.
  selection.index({ intervalEnd: 1 });

  const usage = new Schema<UsageDoc>(
    {
      _id: { type: String, required: true },
      recordId: String,
      source: String,
      equipmentId: String,
      buyerId: String,
      carrierId: String,
      requestId: String,
      reportedRequestId: String,
      selectionId: String,
      endUserId: String,
      intervalStart: Date,
      intervalEnd: Date,
      serviceType: String,
      quantity: String,
      destination: String,
      qos: loose,
      minBandwidthMbps: String,
      maxBandwidthMbps: String,
      volumeSamples: [{ _id: false, at: Date, mbps: String }],
      status: String,
      unassociatedReason: String,
      reportedBy: String,
      batchId: String,
      receivedAt: Date,
      callId: String,
      supersededBy: String,
    },
    opts,
  );
  // Mediation reads the records of the batch's called numbers around their answer times (buyer and
  // carrier are filtered after: with them in the filter SQLite picks the {buyerId, _id} index and
  // reads every record of the buyer).
  usage.index({ destination: 1, intervalStart: 1 });
  usage.index({ callId: 1 });
  // No unique {source, recordId} index: _id is `${source}:${recordId}` plus the reporter/equipment scope (usageId),
  // so the _id index already is the idempotency key; a second unique index only cost every insert.
  usage.index({ status: 1, buyerId: 1, carrierId: 1 });
  usage.index({ requestId: 1 });
  usage.index({ buyerId: 1, _id: 1 });
  usage.index({ carrierId: 1, _id: 1 });

  const rejected = new Schema<RejectedDoc>(
    {
      _id: { type: String, required: true },
      batchId: String,
      index: Number,
      recordId: String,
      source: String,
      field: String,
      reason: String,
      raw: String,
      reportedBy: String,
      rejectedAt: Date,
    },
    opts,
  );
  rejected.index({ reportedBy: 1, rejectedAt: -1 });
  rejected.index({ rejectedAt: -1, _id: -1 });
  rejected.index({ recordId: 1 });
  rejected.index({ batchId: 1 });

  const segment = new Schema<SegmentDoc>(
    { tierIndex: Number, fromQuantity: String, ratePerUnit: String, quantity: String, baseQuantity: String, amount: String },
    { _id: false },
  );
  const billingRecord = new Schema<StoredBillingRecord>(
    {
      _id: { type: String, required: true },
      requestId: String,
      selectionId: String,
      buyerId: String,
      carrierId: String,
      endUserId: String,
      period: String,
      intervalStart: Date,
      serviceType: String,
      unit: String,
      billableQuantity: String,
      billableBaseQuantity: String,
      cumulativeBefore: String,
      // Stored form (billing-record-format.ts): a single-segment record keeps its tier in the three
      // fields below instead of `segments`, and `period` is derived from intervalStart.
      segments: { type: [segment], default: undefined },
      tierIndex: Number,
      tierFrom: String,
      ratePerUnit: String,
      amount: String,
      currency: String,
      samplesMbps: { type: [String], default: undefined },
      slotSamples: { type: [String], default: undefined },
      destination: String,
      ratedAt: Date,
    },
    opts,
  );
  billingRecord.index({ intervalStart: 1 });
  billingRecord.index({ buyerId: 1, carrierId: 1, _id: 1 });
  billingRecord.index({ requestId: 1, _id: 1 });

  const claim = new Schema<BillClaimDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      buyerId: String,
      carrierId: String,
      requestId: String,
      currency: String,
      intervalStart: Date,
      selectionId: String,
      samplesMbps: { type: [String], default: undefined },
      slotSamples: { type: [String], default: undefined },
    },
    opts,
  );
  claim.index({ billId: 1, selectionId: 1 });
  // A bill's call-detail annex reads its claims in time order, in pages.
  claim.index({ billId: 1, intervalStart: 1 });
  claim.index({ buyerId: 1, carrierId: 1, _id: 1 });
  // The bill run reads the period's claims by the records' time.
  claim.index({ intervalStart: 1 });

  const counter = new Schema<CounterDoc>({ _id: { type: String, required: true }, value: String, seq: Number }, opts);

  const slot = new Schema<SlotDoc>(
    {
      _id: { type: String, required: true },
      key: String,
      seq: Number,
      value: String,
      payment: { type: new Schema({ id: String, amount: String, path: String, reference: String, recordedBy: String, receivedAt: Date }, { _id: false }), default: null },
      status: String,
      batchId: String,
      from: String,
      records: Number,
      quantity: String,
      amount: String,
      createdAt: Date,
      expiresAt: Date,
    },
    opts,
  );
  slot.index({ key: 1, seq: -1 });
  // No TTL index on the embedded engine: the sweep reads expired claims by this index.
  slot.index({ expiresAt: 1 });

  const usageTotals = new Schema<UsageTotalsDoc>(
    {
      _id: { type: String, required: true },
      requestId: String,
      selectionId: String,
      buyerId: String,
      carrierId: String,
      period: String,
      serviceType: String,
      unit: String,
      currency: String,
      seq: Number,
    },
    opts,
  );
  usageTotals.index({ requestId: 1 });

  const line = new Schema<BillLineDoc>(
    {
      kind: String,
      description: String,
      requestId: String,
      selectionId: String,
      endUserId: String,
      quantity: String,
      unit: String,
      ratePerUnit: String,
      tierIndex: Number,
      amount: String,
    },
    { _id: false },
  );
  const bill = new Schema<BillDoc>(
    {
      _id: { type: String, required: true },
      // Defaults to the id so documents created without a natural key stay unique.
      key: { type: String, default: function (this: BillDoc) { return `id|${this._id}`; } },
      groupKey: String,
      number: String,
      kind: String,
      groupBy: String,
      buyerId: String,
      carrierId: String,
      requestId: String,
      selectionIds: [String],
      periodStart: Date,
      periodEnd: Date,
      sequence: Number,
      currency: String,
      lines: [line],
      endUserSubtotals: [{ _id: false, endUserId: String, label: String, amount: String }],
      usageAmount: String,
      minimumTopUp: String,
      setupFee: String,
      advanceCreditApplied: String,
      creditableAdvance: String,
      selectionAmounts: [String],
      subtotal: String,
      total: String,
      paidAmount: { type: String, default: '0' },
      payments: [{ _id: false, id: String, amount: String, path: String, reference: String, recordedBy: String, receivedAt: Date }],
      status: { type: String, default: 'ISSUED' },
      version: { type: Number, default: 0 },
      recordCount: { type: Number, default: 0 },
      issuedAt: { type: Date, required: true },
      dueAt: Date,
      draftAt: Date,
      runId: String,
      deliveryPath: String,
      timeZone: String,
      periodLabel: String,
      buyerParty: { type: invoicePartySchema(), default: undefined },
      sellerParty: { type: invoicePartySchema(), default: undefined },
      netAmount: String,
      taxLines: { type: [{ _id: false, name: String, ratePercent: String, base: String, amount: String, reverseCharge: Boolean, note: String }], default: undefined },
      paymentInstructions: String,
      destinationSummary: { type: [{ _id: false, prefix: String, country: String, countryName: String, calls: Number, minutes: String, amount: String }], default: undefined },
      periodRates: { type: [String], default: undefined },
      numberFloor: Number,
    },
    opts,
  );
  bill.index({ key: 1 }, { unique: true });
  bill.index({ requestId: 1 });
  bill.index({ buyerId: 1, issuedAt: -1 });
  bill.index({ carrierId: 1, issuedAt: -1 });
  bill.index({ issuedAt: -1, _id: -1 });
  bill.index({ groupKey: 1, sequence: 1 });
  // The bill run reads the bills of its period and grouping.
  bill.index({ periodStart: 1, groupBy: 1 });
  bill.index({ selectionIds: 1 });

  const delivery = new Schema<DeliveryDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      recipientId: String,
      recipientRole: String,
      channel: String,
      path: String,
      state: String,
      attempts: Number,
      lastError: String,
      deliveredAt: Date,
      nextAttemptAt: Date,
      leaseUntil: Date,
      createdAt: Date,
    },
    opts,
  );
  delivery.index({ billId: 1 });
  delivery.index({ state: 1, nextAttemptAt: 1 });

  const webhook = new Schema<WebhookDoc>({ _id: { type: String, required: true }, url: String, secret: String, updatedAt: Date }, opts);
  const reporter = new Schema<ReporterDoc>({ _id: { type: String, required: true }, kind: String, buyerIds: [String], updatedAt: Date }, opts);

  const feed = new Schema<FeedDoc>(
    {
      _id: { type: String, required: true },
      url: String,
      equipmentId: String,
      buyerIds: [String],
      intervalSeconds: Number,
      cursor: String,
      nextPollAt: Date,
      leaseUntil: Date,
      leaseOwner: String,
      lastPolledAt: Date,
      lastSuccessAt: Date,
      lastError: String,
      consecutiveFailures: Number,
      acceptedTotal: Number,
      duplicatesTotal: Number,
      rejectedTotal: Number,
      createdBy: String,
      createdAt: Date,
    },
    opts,
  );
  feed.index({ nextPollAt: 1 });

  const payment = new Schema<PaymentDoc>(
    {
      _id: { type: String, required: true },
      paymentId: String,
      billId: String,
      buyerId: String,
      carrierId: String,
      amount: String,
      currency: String,
      path: String,
      reference: String,
      recordedBy: String,
      receivedAt: Date,
    },
    opts,
  );
  payment.index({ billId: 1 });
  payment.index({ paymentId: 1 });
  payment.index({ carrierId: 1, receivedAt: 1 });

  const ledger = new Schema<LedgerDoc>(
    {
      _id: { type: String, required: true },
      event: String,
      account: String,
      amount: String,
      currency: String,
      billId: String,
      paymentId: String,
      description: String,
      postedAt: Date,
    },
    opts,
  );
  ledger.index({ billId: 1, postedAt: 1 });
  ledger.index({ account: 1, postedAt: 1 });
  ledger.index({ paymentId: 1 });

  const ratingBatch = new Schema<RatingBatchDoc>({ _id: { type: String, required: true }, state: String, createdAt: Date }, opts);
  ratingBatch.index({ state: 1, createdAt: 1 });
  usage.index({ batchId: 1 });
  usage.index({ status: 1, receivedAt: 1 });

  return {
    BillClaim: conn.model<BillClaimDoc>('BillClaim', claim, 'bill_claims'),
    RatingBatch: conn.model<RatingBatchDoc>('RatingBatch', ratingBatch, 'rating_batches'),
    Selection: conn.model<SelectionDoc>('SelectionRecord', selection, 'selection_records'),
    Usage: conn.model<UsageDoc>('UsageRecord', usage, 'usage_records'),
    Rejected: conn.model<RejectedDoc>('RejectedUsage', rejected, 'rejected_usage'),
    BillingRecord: conn.model<StoredBillingRecord>('BillingRecord', billingRecord, 'billing_records'),
    Counter: conn.model<CounterDoc>('Counter', counter, 'counters'),
    Slot: conn.model<SlotDoc>('Slot', slot, 'slots'),
    UsageTotals: conn.model<UsageTotalsDoc>('UsageTotals', usageTotals, 'usage_totals'),
    Bill: conn.model<BillDoc>('Bill', bill, 'bills'),
    Delivery: conn.model<DeliveryDoc>('Delivery', delivery, 'deliveries'),
    Webhook: conn.model<WebhookDoc>('BillingWebhook', webhook, 'webhooks'),
    Reporter: conn.model<ReporterDoc>('UsageReporter', reporter, 'usage_reporters'),
    Feed: conn.model<FeedDoc>('UsageFeed', feed, 'usage_feeds'),
    Payment: conn.model<PaymentDoc>('Payment', payment, 'payments'),
    Ledger: conn.model<LedgerDoc>('LedgerEntry', ledger, 'ledger_entries'),
    MediationPolicy: conn.model<MediationPolicyDoc>(
      'MediationPolicy',
      new Schema<MediationPolicyDoc>({ _id: { type: String, required: true }, buyerId: String, carrierId: String, precedence: [String], answerToleranceSeconds: Number, durationToleranceSeconds: Number, durationTolerancePercent: Number, updatedBy: String, updatedAt: Date }, opts),
      'mediation_policies',
    ),
    Dispute: conn.model<DisputeDoc>('Dispute', disputeSchema(), 'disputes'),
    BillingProfile: billingProfileModel(conn),
  };
}

function disputeSchema(): Schema<DisputeDoc> {
  const s = new Schema<DisputeDoc>(
    {
      _id: { type: String, required: true },
      billId: String,
      billNumber: String,
      buyerId: String,
      carrierId: String,
      lineIndex: Number,
      reason: String,
      amount: String,
      currency: String,
      status: String,
      openedBy: String,
      openedAt: Date,
      evidenceCsv: String,
      resolutionReason: String,
      resolvedAmount: String,
      adjustmentBillId: String,
      resolvedBy: String,
      resolvedAt: Date,
      history: [{ _id: false, at: Date, by: String, action: String, reason: String }],
    },
    { versionKey: false, strict: true },
  );
  s.index({ billId: 1 });
  s.index({ buyerId: 1 });
  s.index({ carrierId: 1 });
  s.index({ status: 1 });
  return s;
}
