import type { BillingRecordDoc, SegmentDoc } from './models';

/**
 * How a billing record is stored. Writing documents is what ingestion spends its time on (the
 * embedded FerretDB's cost per insert grows with the number of fields, nested ones most), so the
 * common record, rated within one tier, stores its tier as three top-level fields instead of a
 * one-element `segments` array, and `period` is left to be derived from `intervalStart`. Records
 * that crossed a tier boundary keep their segments. Lossless: `fromStored(toStored(r))` equals `r`.
 */
export interface StoredBillingRecord extends Omit<BillingRecordDoc, 'segments' | 'period'> {
  segments?: SegmentDoc[];
  period?: string;
  /** Single-segment record: the segment's tier index, tier start and rate. */
  tierIndex?: number;
  tierFrom?: string;
  ratePerUnit?: string;
}

/** UTC calendar month (YYYY-MM) of an instant: the billing period convention. */
const periodOf = (d: Date): string => d.toISOString().slice(0, 7);

export function toStoredBillingRecord(r: BillingRecordDoc): StoredBillingRecord {
  const { segments, period, ...rest } = r;
  const stored: StoredBillingRecord = rest;
  if (period !== periodOf(r.intervalStart)) stored.period = period;
  const [only] = segments;
  if (segments.length === 1 && only.quantity === r.billableQuantity && only.baseQuantity === r.billableBaseQuantity && only.amount === r.amount) {
    stored.tierIndex = only.tierIndex;
    stored.tierFrom = only.fromQuantity;
    stored.ratePerUnit = only.ratePerUnit;
  } else stored.segments = segments;
  return stored;
}

/** The segments of a stored record (also of a partial read that selected STORED_SEGMENT_FIELDS). */
export function segmentsOf(s: Partial<StoredBillingRecord>): SegmentDoc[] {
  if (s.segments) return s.segments;
  if (s.tierIndex === undefined) return [];
  return [{ tierIndex: s.tierIndex, fromQuantity: s.tierFrom!, ratePerUnit: s.ratePerUnit!, quantity: s.billableQuantity!, baseQuantity: s.billableBaseQuantity!, amount: s.amount! }];
}

export function fromStoredBillingRecord(s: StoredBillingRecord): BillingRecordDoc {
  const { tierIndex: _t, tierFrom: _f, ratePerUnit: _r, segments: _s, period, ...rest } = s;
  return { ...rest, period: period ?? periodOf(s.intervalStart), segments: segmentsOf(s) };
}

/** Fields a projection must include to rebuild `segments`. */
export const STORED_SEGMENT_FIELDS = { segments: 1, tierIndex: 1, tierFrom: 1, ratePerUnit: 1, billableQuantity: 1, billableBaseQuantity: 1, amount: 1 } as const;
/** Fields a projection must include to rebuild `period`. */
export const STORED_PERIOD_FIELDS = { period: 1, intervalStart: 1 } as const;
