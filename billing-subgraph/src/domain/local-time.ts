import { DateTime, IANAZone } from 'luxon';
import { parseInstant } from './time';

/**
 * Switch-local wall times → instants, with the daylight-saving nights told apart. A PBX writes
 * "2026-11-01 01:30:00" twice on a New York DST night (EDT, then EST an hour later) and never
 * writes "2026-03-08 02:30:00". Guessing one occurrence bills a call an hour off its true time,
 * so it fails to match the carrier's UTC record of the same call and is billed twice. Every
 * reading is kept as a candidate here and the CDR row's own evidence decides (resolveCallTimes);
 * a row nothing decides is refused with both candidates, never guessed.
 * Time zone rules: Luxon (IANA database of the runtime's Intl).
 */

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** True when the zone is a real IANA zone ("America/New_York", "UTC"). */
export function isIanaZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.isValidZone(zone);
}

function sameWall(d: DateTime, w: WallTime): boolean {
  return d.year === w.year && d.month === w.month && d.day === w.day && d.hour === w.hour && d.minute === w.minute && d.second === w.second && d.millisecond === w.millisecond;
}

/**
 * Every instant whose wall time in `zone` is `wall`, earliest first: one on an ordinary day, two
 * in the hour repeated when clocks go back, none in the hour skipped when they go forward.
 */
export function instantsOfWallTime(wall: WallTime, zone: string): Date[] {
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
  return possibleOffsets(wall, zone)
    .map((off) => new Date(wallMs - off * 60_000))
    .sort((a, b) => a.getTime() - b.getTime());
}

/**
 * The UTC offsets (minutes) a wall minute can have in `zone`, from Luxon. Memoised per zone and
 * wall minute: since 1970 every zone changes offset on a whole minute, so all seconds of a wall
 * minute share the answer, and a CDR file's times repeat minutes (Luxon's lookup costs ~0.2 ms).
 */
const offsetsMemo = new Map<string, number[]>();
function possibleOffsets(wall: WallTime, zone: string): number[] {
  const minute: WallTime = { ...wall, second: 0, millisecond: 0 };
  const memo = wall.year >= 1970;
  const key = `${zone}|${wall.year}-${wall.month}-${wall.day}T${wall.hour}:${wall.minute}`;
  const hit = memo ? offsetsMemo.get(key) : undefined;
  if (hit) return hit;
  const probe = memo ? minute : wall;
  const dt = DateTime.fromObject(probe, { zone });
  if (!dt.isValid) throw new Error(`${zone} is not a time zone, or the wall time is not a date (${dt.invalidExplanation ?? dt.invalidReason})`);
  const offsets = dt
    .getPossibleOffsets()
    .filter((c) => sameWall(c, probe))
    .map((c) => c.offset);
  if (memo) {
    if (offsetsMemo.size >= 100_000) offsetsMemo.clear();
    offsetsMemo.set(key, offsets);
  }
  return offsets;
}

/** Offset of `zone` from UTC at an instant, in minutes (east positive). */
export function offsetMinutesAt(instant: Date, zone: string): number {
  return DateTime.fromJSDate(instant, { zone }).offset;
}

/** "UTC-04:00". */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The wall-clock date and time of an instant in `zone` (month 1-12). */
export function wallTimeOf(instant: Date, zone: string): WallTime {
  const d = DateTime.fromJSDate(instant, { zone });
  return { year: d.year, month: d.month, day: d.day, hour: d.hour, minute: d.minute, second: d.second, millisecond: d.millisecond };
}

const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const EPOCH = /^\d{9,10}(\.\d+)?$/;

/** A time as a CDR writes it, read: its possible instants (two in a repeated hour), or why not. */
export type TimeReading =
  | { ok: true; candidates: Date[]; zoneless: boolean }
  | { ok: false; invalid: true; reason: string }
  | { ok: false; invalid: false; reason: string };

/** Epoch seconds, ISO 8601 with an offset, or a zoneless wall time in `zone` (UTC when absent). */
export function readCdrTime(raw: string, zone?: string): TimeReading {
  const v = raw.trim();
  if (EPOCH.test(v)) return { ok: true, candidates: [new Date(Math.round(Number(v) * 1000))], zoneless: false };
  const m = ZONELESS.exec(v);
  if (!m) {
    const at = parseInstant(v);
    return at ? { ok: true, candidates: [at], zoneless: false } : { ok: false, invalid: true, reason: 'not a date-time' };
  }
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    millisecond: m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
  };
  const asUtc = parseInstant(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ? `.${m[7]}` : ''}Z`);
  if (!asUtc) return { ok: false, invalid: true, reason: 'not a date-time' };
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return { ok: true, candidates: [asUtc], zoneless: true };
  const candidates = instantsOfWallTime(wall, zone);
  if (candidates.length > 0) return { ok: true, candidates, zoneless: true };
  const before = offsetMinutesAt(new Date(asUtc.getTime() - 43_200_000), zone);
  const after = offsetMinutesAt(new Date(asUtc.getTime() + 43_200_000), zone);
  return {
    ok: false,
    invalid: false,
    reason: `does not exist in ${zone}: the clocks went forward that night (${formatOffset(before)} → ${formatOffset(after)}), so no call was answered or ended at that wall time; not billed — correct the time in the file (write it with its UTC offset or in UTC) and import the row again`,
  };
}

/**
 * The instant whose wall time in `zone` is the given one (ms since epoch of that wall time read
 * as UTC), for callers that need one answer (bill dates at local midnight): a repeated hour
 * resolves to its first occurrence, a skipped one with the offset in force before the gap.
 * CDR times never use this (resolveCallTimes keeps both readings).
 */
export function firstInstantOfWallTime(wallAsUtcMs: number, zone: string): Date {
  if (zone === 'UTC' || zone === 'Etc/UTC') return new Date(wallAsUtcMs);
  const d = new Date(wallAsUtcMs);
  const wall: WallTime = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds() };
  const found = instantsOfWallTime(wall, zone);
  if (found.length > 0) return found[0];
  return new Date(wallAsUtcMs - offsetMinutesAt(new Date(wallAsUtcMs - 43_200_000), zone) * 60_000);
}

// ---------------------------------------------------------------------------------------------
// One call's times, resolved from the row's own evidence.

/** The times of one CDR row and what else in the row says when the call happened. */
export interface CallTimesInput {
  /** IANA zone of zoneless times; UTC when absent. */
  zone?: string;
  /** When the call (its channel) started, as written (Asterisk start, calldate, FreeSWITCH start_stamp). */
  start?: string;
  /** When it was answered, as written. */
  answer?: string;
  /** When it ended, as written. */
  end?: string;
  /** Answered seconds (end − answer): Asterisk/FreeSWITCH billsec. */
  billsec?: number;
  /** Total seconds (end − start) when the row gives it apart from billsec (Asterisk/FreeSWITCH duration). */
  total?: number;
  /** Epoch columns of the row (FreeSWITCH start_epoch/answer_epoch/end_epoch), seconds. */
  epochs?: { start?: number; answer?: number; end?: number };
  /**
   * When this call's channel was created, from an epoch-bearing id (Asterisk uniqueid
   * `<epoch>.<seq>`): the CDR start is that moment, and nothing of the call is earlier.
   */
  channelCreated?: { epoch: number; source: string };
  /** When the first channel of the call chain was created (Asterisk linkedid): nothing of the call is earlier. */
  chainCreated?: { epoch: number; source: string };
}

export type CallTimes =
  | { ok: true; start?: Date; answer?: Date; end?: Date; zoneless: boolean; decidedBy?: string }
  /** A time is not a date-time at all (field: start|answer|end). */
  | { ok: false; invalid: 'start' | 'answer' | 'end' }
  /** A time does not exist (spring forward), is ambiguous and undecided, or no reading is consistent. */
  | { ok: false; invalid?: undefined; reason: string };

type Field = 'start' | 'answer' | 'end';
const FIELDS: Field[] = ['start', 'answer', 'end'];
const LABEL: Record<Field, string> = { start: 'start', answer: 'answer_time', end: 'end_time' };
/** Seconds of slack between the row's own numbers (whole-second clocks and counters). */
const SLACK_MS = 1000;
/** How close an Asterisk uniqueid's epoch is to the CDR start (both taken when the channel is made). */
const CHANNEL_START_MS = 2000;

type Reading = Partial<Record<Field, Date>>;

/**
 * Resolves a row's start/answer/end. Times with one reading are returned as read (no checks
 * here: the caller's ordinary checks apply). When a time is ambiguous (a repeated hour), every
 * combination of readings is tried and kept only if the row agrees with it: start ≤ answer ≤ end,
 * end − answer = billsec and end − start = duration (±1 s), epoch columns (±1 s), and the
 * channel's creation from its uniqueid/linkedid (nothing earlier; the start at it). Exactly one
 * surviving (answer, end) decides; none or several refuse the row with every candidate named.
 */
export function resolveCallTimes(input: CallTimesInput): CallTimes {
  const read: Partial<Record<Field, Date[]>> = {};
  let zoneless = false;
  for (const f of FIELDS) {
    const raw = input[f];
    if (raw === undefined || raw.trim() === '') continue;
    const r = readCdrTime(raw, input.zone);
    if (r.ok) {
      read[f] = r.candidates;
      if (r.zoneless) zoneless = true;
    } else if (f === 'start' && input.answer !== undefined) {
      // With an answer time, start is only evidence: a row whose start cannot be read is judged by its answer and end.
      continue;
    } else if (r.invalid) return { ok: false, invalid: f };
    else return { ok: false, reason: `${LABEL[f]} "${raw}" ${r.reason}` };
  }
  const ambiguous = FIELDS.filter((f) => (read[f]?.length ?? 0) > 1);
  if (ambiguous.length === 0) {
    const one: Reading = {};
    for (const f of FIELDS) if (read[f]) one[f] = read[f]![0];
    return { ok: true, ...one, zoneless };
  }

  let readings: Reading[] = [{}];
  for (const f of FIELDS) {
    const cands = read[f];
    if (!cands) continue;
    readings = readings.flatMap((r) => cands.map((c) => ({ ...r, [f]: c })));
  }
  const ms = (d: Date | undefined) => d?.getTime();
  const consistent = readings.filter((r) => {
    const [s, a, e] = [ms(r.start), ms(r.answer), ms(r.end)];
    if (s !== undefined && a !== undefined && s > a + SLACK_MS) return false;
    if (a !== undefined && e !== undefined && a > e + SLACK_MS) return false;
    if (s !== undefined && e !== undefined && s > e + SLACK_MS) return false;
    if (input.billsec !== undefined && a !== undefined && e !== undefined && Math.abs(e - a - input.billsec * 1000) > SLACK_MS) return false;
    if (input.total !== undefined && s !== undefined && e !== undefined && Math.abs(e - s - input.total * 1000) > SLACK_MS) return false;
    return true;
  });
  const describe = () => describeCandidates(input, read, ambiguous);
  if (consistent.length === 0) {
    return { ok: false, reason: `no reading of the row's times in ${input.zone} is consistent (start ≤ answer ≤ end${input.billsec !== undefined ? `, end − answer = billsec ${input.billsec}` : ''}${input.total !== undefined ? `, end − start = duration ${input.total}` : ''}): ${describe()}; not billed — correct the file (times with their UTC offset, or in UTC) and import the row again` };
  }

  let left = consistent;
  const used: string[] = [];
  // Hard evidence: the row states the instant (epoch columns), or a lower bound (channel creation).
  const hard: { name: string; keep: (r: Reading) => boolean }[] = [];
  for (const f of FIELDS) {
    const epoch = input.epochs?.[f];
    if (epoch !== undefined) hard.push({ name: `${f}_epoch ${epoch}`, keep: (r) => r[f] === undefined || Math.abs(r[f]!.getTime() - epoch * 1000) <= SLACK_MS });
  }
  for (const c of [input.channelCreated, input.chainCreated]) {
    if (c) hard.push({ name: `${c.source} ${c.epoch} (created ${new Date(c.epoch * 1000).toISOString()})`, keep: (r) => FIELDS.every((f) => r[f] === undefined || r[f]!.getTime() >= c.epoch * 1000 - CHANNEL_START_MS) });
  }
  const decided = (rs: Reading[]) => distinctCalls(rs).length === 1;
  for (const h of hard) {
    if (decided(left)) break;
    const kept = left.filter(h.keep);
    if (kept.length === 0) {
      return { ok: false, reason: `the row contradicts itself: ${h.name} fits no reading of its times (${describe()}); not billed — correct the file and import the row again` };
    }
    if (kept.length < left.length) used.push(h.name);
    left = kept;
  }
  // The CDR start is the channel's creation: the uniqueid epoch picks the start reading at it.
  const ch = input.channelCreated;
  if (!decided(left) && ch && read.start) {
    const kept = left.filter((r) => r.start !== undefined && Math.abs(r.start.getTime() - ch.epoch * 1000) <= CHANNEL_START_MS);
    // No reading at it: the CDR was reset after the channel was made (ResetCDR); not evidence then.
    if (kept.length > 0 && kept.length < left.length) {
      used.push(`${ch.source} ${ch.epoch} = start ${new Date(ch.epoch * 1000).toISOString()}`);
      left = kept;
    }
  }
  const calls = distinctCalls(left);
  if (calls.length === 1) {
    const r = calls[0];
    const byConsistency = consistent.length < readings.length ? [`start ≤ answer ≤ end${input.billsec !== undefined ? ', end − billsec' : ''}${input.total !== undefined ? ', end − duration' : ''}`] : [];
    return { ok: true, start: r.start, answer: r.answer, end: r.end, zoneless, decidedBy: [...byConsistency, ...used].join('; ') };
  }
  return {
    ok: false,
    reason: `${describeCandidates(input, collect(left), ambiguous.filter((f) => new Set(left.map((r) => r[f]?.getTime())).size > 1))}; nothing in the row decides (no epoch uniqueid/linkedid or epoch column tells them apart, and end − billsec fits both): not billed — write the time with its UTC offset (or in UTC) in the file and import the row again`,
  };
}

/** Readings that differ in what is billed (answer, end); the start alone does not change a bill when the answer is known. */
function distinctCalls(rs: Reading[]): Reading[] {
  const seen = new Map<string, Reading>();
  for (const r of rs) {
    // Without an answer time the start is what places the call (answer = start + ringing).
    const k = `${r.answer?.getTime()}|${r.end?.getTime()}|${r.answer === undefined ? r.start?.getTime() : ''}`;
    if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen.values()];
}

function collect(rs: Reading[]): Partial<Record<Field, Date[]>> {
  const out: Partial<Record<Field, Date[]>> = {};
  for (const f of FIELDS) {
    const ts = [...new Set(rs.map((r) => r[f]?.getTime()).filter((t): t is number => t !== undefined))].sort((a, b) => a - b);
    if (ts.length) out[f] = ts.map((t) => new Date(t));
  }
  return out;
}

function describeCandidates(input: CallTimesInput, read: Partial<Record<Field, Date[]>>, fields: Field[]): string {
  let shown = fields.length ? fields : FIELDS.filter((f) => (read[f]?.length ?? 0) > 1);
  // The start only matters to the bill when there is no answer time.
  if (shown.some((f) => f !== 'start') && input.answer !== undefined) shown = shown.filter((f) => f !== 'start');
  const parts = shown.map((f) => {
    const forms = (read[f] ?? []).map((d, i) => `${d.toISOString()} (${formatOffset(offsetMinutesAt(d, input.zone ?? 'UTC'))}${i === 0 ? ', first occurrence' : ', second occurrence'})`);
    return `${LABEL[f]} "${input[f]}" is ${forms.join(' or ')}`;
  });
  return `in ${input.zone} the hour is repeated when the clocks go back: ${parts.join('; ')}`;
}

/** The epoch second in an Asterisk uniqueid/linkedid (`<epoch>.<seq>`, or `<systemname>-<epoch>.<seq>`); null otherwise. */
export function epochOfAsteriskId(id: string | undefined): number | null {
  if (id === undefined) return null;
  const m = /^(?:[^\s]+-)?(\d{9,10})\.\d+$/.exec(id.trim());
  return m ? Number(m[1]) : null;
}
