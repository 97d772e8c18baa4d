import { Dec, formatRecordAmount } from './money';
import { BYTES_PER_GB, SECONDS_PER_MINUTE } from './rating';
import { wallParts } from './zoned-time';
import { formatOffset, offsetMinutesAt } from './local-time';

/** One billed record as the call-detail annex shows it. */
export interface CallDetailRecord {
  /** The billing record id (= the usage id `${source}:${recordId}…`, `…|superseded` for a reversal, `dispute|<id>` for an accepted dispute). */
  _id?: string;
  intervalStart: Date;
  selectionId: string;
  destination?: string | null;
  endUserId?: string | null;
  unit: string;
  billableQuantity: string;
  billableBaseQuantity: string;
  amount: string;
  /** Rates of the record's tier segments, in order. */
  rates: string[];
}

export interface CallDetailRow {
  /** The billing record id (internal: shown only in the call-detail annex). */
  recordId: string;
  /** What the record is: a call, the reversal of a superseded call, or a dispute's correction. */
  nature: 'CALL' | 'REVERSAL' | 'DISPUTE';
  /** Billable seconds of a voice record ("" for another unit). */
  seconds: string;
  /** UTC offset of the local start ("UTC-04:00"), printed next to it when that wall time occurs twice (a DST night). */
  offset: string;
  /** The local start occurs twice in the zone (the repeated hour): the offset tells which. */
  ambiguous: boolean;
  /** Start in the buyer's zone, "2026-11-03 19:00:00". */
  startLocal: string;
  /** Start in UTC, ISO 8601. */
  startUtc: string;
  /** "+12125551234", or "" for a record without a called number (data). */
  calledNumber: string;
  endUser: string;
  quantity: string;
  unit: string;
  /** The rate charged; "a/b" for a record that crossed a tier boundary. */
  rate: string;
  amount: string;
}

export const CALL_DETAIL_HEADER = ['record_id', 'start_local', 'utc_offset', 'start_utc', 'called_number', 'end_user', 'seconds', 'quantity', 'unit', 'rate', 'amount'] as const;

/** The nature of a billing record from its id (services/usage/mediation.ts, services/payments/disputes.ts). */
export const recordNature = (id: string | undefined): CallDetailRow['nature'] => (id?.startsWith('dispute|') ? 'DISPUTE' : id?.endsWith('|superseded') ? 'REVERSAL' : 'CALL');

/** True when the wall time of `instant` in `zone` also names another instant (the repeated hour of a DST change). */
export function isAmbiguousLocal(instant: Date, zone: string): boolean {
  const here = localDateTime(instant, zone);
  return [-60, -30, 30, 60].some((m) => localDateTime(new Date(instant.getTime() + m * 60_000), zone) === here);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-03 19:00:00": an instant's wall-clock time in `zone`. */
export function localDateTime(instant: Date, zone: string): string {
  const w = wallParts(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour % 24)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** A selection's rate per unit at the tier it reached at period close (VOLUME re-rating). */
export interface PeriodRate {
  selectionId: string;
  unit: string;
  ratePerUnit: string;
}

/** A bill's period rates as a lookup by selection and unit. */
export function periodRateMap(entries: readonly PeriodRate[] | undefined): Map<string, string> {
  return new Map((entries ?? []).map((e) => [`${e.selectionId}|${e.unit}`, e.ratePerUnit]));
}

const scaleOf = (unit: string) => (unit === 'MINUTE' ? new Dec(SECONDS_PER_MINUTE) : unit === 'GB' ? new Dec(BYTES_PER_GB) : null);

/**
 * A record's annex row. A record of a selection the bill re-rated at period close (VOLUME) shows
 * the rate of the tier reached and its amount at that rate (exact from base units, 6 dp), which is
 * what the bill charged for it; others show the rates and amount they were rated at.
 */
export function callDetailRow(r: CallDetailRecord, zone: string, periodRates: Map<string, string>): CallDetailRow {
  const reached = periodRates.get(`${r.selectionId}|${r.unit}`);
  const scale = scaleOf(r.unit);
  const repriced = reached !== undefined && scale !== null;
  const base = r.unit === 'MINUTE' ? new Dec(r.billableBaseQuantity) : null;
  return {
    recordId: r._id ?? '',
    nature: recordNature(r._id),
    seconds: base && recordNature(r._id) !== 'DISPUTE' ? base.toFixed() : '',
    offset: formatOffset(offsetMinutesAt(r.intervalStart, zone)),
    ambiguous: isAmbiguousLocal(r.intervalStart, zone),
    startLocal: localDateTime(r.intervalStart, zone),
    startUtc: r.intervalStart.toISOString(),
    calledNumber: r.destination ? `+${r.destination}` : '',
    endUser: r.endUserId ?? '',
    quantity: r.billableQuantity,
    unit: r.unit,
    rate: repriced ? reached : [...new Set(r.rates)].join('/'),
    amount: repriced ? formatRecordAmount(new Dec(r.billableBaseQuantity).times(reached).div(scale)) : r.amount,
  };
}
