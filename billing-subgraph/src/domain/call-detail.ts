import { Dec, formatRecordAmount } from './money';
import { BYTES_PER_GB, SECONDS_PER_MINUTE } from './rating';
import { wallParts } from './zoned-time';

/** One billed record as the call-detail annex shows it. */
export interface CallDetailRecord {
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

export const CALL_DETAIL_HEADER = ['start_local', 'start_utc', 'called_number', 'end_user', 'quantity', 'unit', 'rate', 'amount'] as const;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-03 19:00:00": an instant's wall-clock time in `zone`. */
export function localDateTime(instant: Date, zone: string): string {
  const w = wallParts(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour % 24)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** `${selectionId}|${unit}|${rate}` entries of a bill (VOLUME re-rated at period close) as a lookup. */
export function periodRateMap(entries: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries ?? []) {
    const i = e.lastIndexOf('|');
    m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
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
  return {
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
