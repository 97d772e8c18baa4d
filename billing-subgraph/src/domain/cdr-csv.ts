import { createHash } from 'node:crypto';
import type { UsageSource } from './usage';
import { parseInstant } from './time';

/**
 * Canonical CDR columns and the aliases accepted for each, in precedence order (the first
 * non-empty one wins). Names are matched case-insensitively ignoring '_', '-' and spaces, so
 * 3GPP TS 32.298 names (callingNumber, answerTime, callDuration, recordingEntity) match too.
 * `billsec` outranks `duration`: in Asterisk exports `duration` includes ringing time and
 * `billsec` is the answered time, and only answered time is billable.
 */
export const CDR_COLUMNS = {
  record_id: ['record_id', 'cdr_id', 'uniqueid'],
  calling_number: ['calling_number', 'src', 'caller', 'a_number'],
  called_number: ['called_number', 'dst', 'callee', 'b_number'],
  answer_time: ['answer_time', 'answer', 'start'],
  end_time: ['end_time', 'release_time', 'end'],
  duration: ['billsec', 'call_duration', 'duration'],
  equipment_id: ['equipment_id', 'switch', 'recording_entity'],
  buyer_id: ['buyer_id'],
  carrier_id: ['carrier_id'],
  request_id: ['request_id'],
  end_user_id: ['end_user_id'],
} as const;
export type CdrColumn = keyof typeof CDR_COLUMNS;

export const CDR_CSV_LAYOUT = `CDR CSV layout for \`npm run ingest\` (one answered call per row, header row required)

Column          Aliases (case-insensitive; _ - and spaces ignored)   Meaning
record_id       cdr_id, uniqueid                                      unique id of the CDR; optional, see below
calling_number  src, caller, a_number, callingNumber                  A-number (informational)
called_number   dst, callee, b_number, calledNumber                   B-number, international format: +44..., 0044... or 44...
answer_time     answer, start, answerTime                             when the call was answered
end_time        release_time, end, releaseTime                        when the call was released; optional if duration is given
duration        billsec, call_duration, callDuration                  answered seconds; billsec wins over duration (Asterisk)
equipment_id    switch, recording_entity, recordingEntity             measuring switch; optional (--equipment default)
buyer_id                                                              optional if given with --buyer
carrier_id                                                            optional if given with --carrier
request_id                                                            optional: associates the call with that request directly
end_user_id                                                           optional: the reseller's end user

Times: ISO 8601 with a zone (2026-11-03T10:00:05Z), or "YYYY-MM-DD HH:MM:SS" read as UTC,
or unix epoch seconds. Durations with decimals are rounded up to whole seconds; a missing
duration is end_time - answer_time, a missing end_time is answer_time + duration.
Rows with a duration of 0 (unanswered attempts) are skipped, not rejected.
Without record_id, the id is "cdr-" + sha256(equipment, calling, called, answer time), so
importing the same file twice never bills a call twice. Other columns are ignored.`;

export interface CdrDefaults {
  source: UsageSource;
  buyerId?: string;
  carrierId?: string;
  equipmentId?: string;
}

/** A raw usage record, ready for validateUsageRecord. */
export interface RawVoiceUsage {
  recordId: string;
  source: UsageSource;
  equipmentId?: string;
  buyerId: string;
  carrierId: string;
  requestId?: string;
  endUserId?: string;
  intervalStart: string;
  intervalEnd: string;
  serviceType: 'VOICE';
  quantity: string;
  destination: string;
}

export type CdrMapping =
  | { ok: true; lineNumber: number; record: RawVoiceUsage; derivedId: boolean }
  | { ok: false; lineNumber: number; skipped: boolean; reason: string };

const normalizeHeader = (h: string) => h.toLowerCase().replace(/[\s_-]+/g, '');

/** Which header of a file feeds each canonical column, and which headers are not used. */
export function resolveColumns(headers: string[]): { columns: Partial<Record<CdrColumn, string>>; ignored: string[] } {
  const byNorm = new Map<string, string>();
  for (const h of headers) if (!byNorm.has(normalizeHeader(h))) byNorm.set(normalizeHeader(h), h);
  const columns: Partial<Record<CdrColumn, string>> = {};
  const used = new Set<string>();
  for (const [col, aliases] of Object.entries(CDR_COLUMNS) as [CdrColumn, readonly string[]][]) {
    for (const a of aliases) {
      const h = byNorm.get(normalizeHeader(a));
      if (h !== undefined) {
        columns[col] ??= h;
        used.add(h);
      }
    }
  }
  return { columns, ignored: headers.filter((h) => !used.has(h)) };
}

function parseTime(v: string): Date | null {
  if (/^\d{9,10}(\.\d+)?$/.test(v)) return new Date(Math.round(Number(v) * 1000));
  const local = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/.exec(v);
  return parseInstant(local ? `${local[1]}T${local[2]}Z` : v);
}

/** B-number → E.164 digits: strips a sip:/tel: URI wrapper, punctuation, '+' or the 00 prefix. */
function destinationDigits(v: string): string | null {
  let s = v.replace(/^(sips?|tel):/i, '');
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  s = s.replace(/[\s().\-/]/g, '');
  if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('00')) s = s.slice(2);
  return /^[1-9]\d{0,14}$/.test(s) ? s : null;
}

/**
 * Maps one CSV row (keys = the file's header names) to a raw VOICE usage record, or says why
 * it cannot. `lineNumber` is carried into the result so the CLI can point at the file line.
 */
export function mapCdrRow(row: Record<string, string>, lineNumber: number, defaults: CdrDefaults): CdrMapping {
  const fail = (reason: string, skipped = false): CdrMapping => ({ ok: false, lineNumber, skipped, reason });
  const norm = new Map<string, string>();
  for (const [k, v] of Object.entries(row)) {
    const key = normalizeHeader(k);
    const value = typeof v === 'string' ? v.trim() : '';
    if (value !== '' && !norm.has(key)) norm.set(key, value);
  }
  const get = (col: CdrColumn): string | undefined => {
    for (const a of CDR_COLUMNS[col]) {
      const v = norm.get(normalizeHeader(a));
      if (v !== undefined) return v;
    }
    return undefined;
  };

  const rawDuration = get('duration');
  let seconds: number | undefined;
  if (rawDuration !== undefined) {
    if (!/^\d{1,9}(\.\d+)?$/.test(rawDuration)) return fail(`duration "${rawDuration}" is not a number of seconds`);
    // Switches bill whole seconds; a fraction still occupied the circuit, so it counts up.
    seconds = Math.ceil(Number(rawDuration));
    if (seconds === 0) return fail('duration is 0 (unanswered attempt): nothing to bill', true);
  }

  const rawAnswer = get('answer_time');
  if (rawAnswer === undefined) return fail('answer_time (or answer/start) is required');
  const answer = parseTime(rawAnswer);
  if (!answer) return fail(`answer_time "${rawAnswer}" is not a date-time (ISO 8601, "YYYY-MM-DD HH:MM:SS" UTC, or epoch seconds)`);

  const rawEnd = get('end_time');
  let end: Date | null = null;
  if (rawEnd !== undefined) {
    end = parseTime(rawEnd);
    if (!end) return fail(`end_time "${rawEnd}" is not a date-time (ISO 8601, "YYYY-MM-DD HH:MM:SS" UTC, or epoch seconds)`);
  }
  if (seconds === undefined) {
    if (!end) return fail('duration (or billsec/call_duration) is required when end_time is missing');
    seconds = Math.ceil((end.getTime() - answer.getTime()) / 1000);
    if (seconds < 0) return fail('end_time is before answer_time');
    if (seconds === 0) return fail('duration is 0 (unanswered attempt): nothing to bill', true);
  }
  end ??= new Date(answer.getTime() + seconds * 1000);

  const rawCalled = get('called_number');
  if (rawCalled === undefined) return fail('called_number (or dst/callee/b_number) is required');
  const destination = destinationDigits(rawCalled);
  if (!destination) return fail(`called_number "${rawCalled}" is not an international (E.164) number`);

  const buyerId = get('buyer_id') ?? defaults.buyerId;
  if (!buyerId) return fail('buyer_id is required (column or --buyer)');
  const carrierId = get('carrier_id') ?? defaults.carrierId;
  if (!carrierId) return fail('carrier_id is required (column or --carrier)');
  const equipmentId = get('equipment_id') ?? defaults.equipmentId;
  const calling = get('calling_number');

  let recordId = get('record_id');
  const derivedId = recordId === undefined;
  if (recordId === undefined) {
    // Normalised inputs, so the same call exported with other punctuation or time format
    // still gets the same id; the unit separator keeps field boundaries unambiguous.
    const key = [equipmentId ?? '', calling?.replace(/\D/g, '') ?? '', destination, answer.toISOString()].join('\u001f');
    recordId = `cdr-${createHash('sha256').update(key, 'utf8').digest('hex')}`;
  }

  const record: RawVoiceUsage = {
    recordId,
    source: defaults.source,
    buyerId,
    carrierId,
    intervalStart: answer.toISOString(),
    intervalEnd: end.toISOString(),
    serviceType: 'VOICE',
    quantity: String(seconds),
    destination,
  };
  if (equipmentId !== undefined) record.equipmentId = equipmentId;
  const requestId = get('request_id');
  if (requestId !== undefined) record.requestId = requestId;
  const endUserId = get('end_user_id');
  if (endUserId !== undefined) record.endUserId = endUserId;
  return { ok: true, lineNumber, record, derivedId };
}
