// Bills (drafts and issued) with their lines and embedded payments.
import { Schema, type Connection, type Model } from 'mongoose';
import { SCHEMA_OPTIONS as opts } from './schema-options';
import { invoicePartySchema, type DestinationRowDoc, type InvoicePartyDoc, type TaxLineDoc } from './invoice-docs';

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

/** Per selection on a bill: the usage charged and the advance credit applied (exact decimal strings). */
export interface SelectionAmountDoc {
  selectionId: string;
  usage: string;
  credit: string;
}

/** A VOLUME selection re-rated at period close: the rate of the tier reached, per unit (call detail re-prices each record at it). */
export interface PeriodRateDoc {
  selectionId: string;
  unit: string;
  ratePerUnit: string;
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
  /** Per selection: the usage charged and the advance credit applied (store/migrations/0001 brought older string forms forward). */
  selectionAmounts?: SelectionAmountDoc[];
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
  // Snapshot taken when the bill is issued (services/bill-run/bill-invoice.ts): an issued bill never changes.
  buyerParty?: InvoicePartyDoc;
  sellerParty?: InvoicePartyDoc;
  /** Before tax; total = netAmount + the tax lines. Absent on bills issued before taxes (then = total). */
  netAmount?: string;
  taxLines?: TaxLineDoc[];
  /** How to pay: the carrier's instructions (the reference to quote is the bill number). */
  paymentInstructions?: string | null;
  destinationSummary?: DestinationRowDoc[];
  /** VOLUME selections re-rated at period close (absent when none was). */
  periodRates?: PeriodRateDoc[];
  /** Gapless numbering: the series' last slot seen before this bill claimed its number (store/bill-numbers.ts). */
  numberFloor?: number;
}

export function billModel(conn: Connection): Model<BillDoc> {
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
      selectionAmounts: [{ _id: false, selectionId: String, usage: String, credit: String }],
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
      periodRates: { type: [{ _id: false, selectionId: String, unit: String, ratePerUnit: String }], default: undefined },
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
  // The start-up repair finds issued bills still without a number (services/bill-run/issue-completion.ts).
  bill.index({ number: 1 });
  return conn.model<BillDoc>('Bill', bill, 'bills');
}
