import { createHash } from 'node:crypto';
import type { UsageSource } from './usage';
import { parseInstant } from './time';
import { DEFAULT_DIALLING_PLAN, normalizeDialled, type DiallingPlan } from './dialling';
import { UNANSWERED_DISPOSITIONS } from './cdr-formats';
import { zonedWallTimeToInstant } from './zoned-time';
import { durationMs, secondsText } from './cdr-duration';

/**
 * Canonical CDR columns and the aliases accepted for each, in precedence order (the first
 * non-empty one wins). Names are matched case-insensitively ignoring '_', '-' and spaces, so
 * 3GPP TS 32.298 names (callingNumber, answerTime, callDuration, recordingEntity) match too.
 * `billsec` outranks `duration`: in Asterisk exports `duration` includes ringing time and
 * `billsec` is the answered time, and only answered time is billable.
 */
export const CDR_COLUMNS = {
  record_id: ['record_id', 'cdr_id', 'uniqueid', 'uuid'],
  calling_number: ['calling_number', 'src', 'caller', 'a_number', 'caller_id_number'],
  called_number: ['called_number', 'dst', 'callee', 'b_number', 'destination_number'],
  answer_time: ['answer_time', 'answer', 'answer_stamp', 'start'],
  end_time: ['end_time', 'release_time', 'end', 'end_stamp'],
  duration: ['billsec', 'call_duration', 'duration'],
  equipment_id: ['equipment_id', 'switch', 'recording_entity'],
  // Asterisk cdr_custom/adaptive_odbc/FreePBX: when the call started (dialling), not answered.
  call_start: ['calldate'],
  disposition: ['disposition'],
  buyer_id: ['buyer_id'],
  carrier_id: ['carrier_id'],
  request_id: ['request_id'],
  end_user_id: ['end_user_id'],
} as const;
export type CdrColumn = keyof typeof CDR_COLUMNS;

export const CDR_CSV_LAYOUT = `CDR files for \`npm run ingest\`: the format is detected from the first row, or given with --format

  asterisk         Asterisk cdr_csv Master.csv as written: no header; accountcode, src, dst, dcontext, clid,
                   channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
                   amaflags [, uniqueid] [, userfield] [, peeraccount, linkedid, sequence] (16-21 columns)
  asterisk-custom  Asterisk cdr_custom / cdr_adaptive_odbc / FreePBX export with a header (calldate, src, dst,
                   duration, billsec, disposition, uniqueid, linkedid, ...); answer = calldate + duration - billsec
  freeswitch       FreeSWITCH mod_cdr_csv default template without a header: caller_id_name, caller_id_number,
                   destination_number, context, start_stamp, answer_stamp, end_stamp, duration, billsec,
                   hangup_cause, uuid, bleg_uuid, accountcode, read_codec, write_codec; or any template with a
                   header row of its variable names
  generic          any CSV with a header naming the columns below

Column          Aliases (case-insensitive; _ - and spaces ignored)   Meaning
record_id       cdr_id, uniqueid, uuid                                unique id of the CDR on its switch; optional, see below
calling_number  src, caller, a_number, caller_id_number               A-number (informational)
called_number   dst, callee, b_number, destination_number             B-number as dialled (see dialling below)
answer_time     answer, answer_stamp, start, answerTime               when the call was answered
end_time        release_time, end, end_stamp, releaseTime             when the call was released; optional if duration is given
duration        billsec, call_duration, callDuration                  answered seconds; billsec wins over duration (Asterisk)
call_start      calldate                                              when dialling began (no answer column): answer = calldate + duration - billsec
disposition                                                           NO ANSWER, BUSY, FAILED, CONGESTION rows are skipped
equipment_id    switch, recording_entity, recordingEntity             measuring switch; optional (--equipment default)
buyer_id                                                              optional if given with --buyer
carrier_id                                                            optional if given with --carrier
request_id                                                            optional: associates the call with that request directly
end_user_id                                                           optional: the reseller's end user

Times: ISO 8601 with a zone (2026-11-03T10:00:05Z), "YYYY-MM-DD HH:MM:SS" (the switch's local time:
--timezone America/New_York; UTC without it), or unix epoch seconds. Durations with decimals are
kept (up to milliseconds); a missing duration is end_time - answer_time, a missing end_time is
answer_time + duration. Rows with a duration of 0 (unanswered attempts) are skipped, not rejected.
Dialling: "+" and the international prefix (00; 011 with --country-code 1; --international-prefix P)
introduce an international number; with --country-code CC a national number (trunk prefix 0, or
1 / ten digits in North America) gets that country code; other digits are taken as international.
Without record_id, the id is "cdr-" + sha256(equipment, calling, called, answer time), so
importing the same file twice never bills a call twice. Record ids are unique per switch: name
the switch with --equipment (or an equipment_id column) when several switches' files are imported.
Other columns are ignored.`;

export interface CdrDefaults {
  source: UsageSource;
  buyerId?: string;
  carrierId?: string;
  equipmentId?: string;
  /** IANA zone of times written without an offset (switch local time); UTC when absent. */
  timeZone?: string;
  /** How the switch's callers dial (international prefix, country code); 00 and '+' when absent. */
  dialling?: DiallingPlan;
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
  | { ok: true; lineNumber: number; record: RawVoiceUsage; derivedId: boolean; zoneless: boolean }
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

const ZONELESS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;

/** A CDR time: epoch seconds, ISO 8601 with a zone, or a zoneless wall time in `zone` (UTC by default). */
function parseTime(v: string, zone: string | undefined): Date | null {
  if (/^\d{9,10}(\.\d+)?$/.test(v)) return new Date(Math.round(Number(v) * 1000));
  const local = ZONELESS.exec(v);
  if (!local) return parseInstant(v);
  const asUtc = parseInstant(`${local[1]}T${local[2]}Z`);
  return asUtc && zone ? zonedWallTimeToInstant(asUtc.getTime(), zone) : asUtc;
}

const TIME_FORMS = 'ISO 8601, "YYYY-MM-DD HH:MM:SS" in --timezone (UTC by default), or epoch seconds';


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

  const disposition = get('disposition');
  if (disposition !== undefined && UNANSWERED_DISPOSITIONS.has(disposition.toUpperCase())) return fail(`disposition ${disposition}: not answered, nothing to bill`, true);

  const rawDuration = get('duration');
  let seconds: number | undefined;
  if (rawDuration !== undefined) {
    // Fractions are kept (up to milliseconds): billing rounds by the tariff's increments.
    const ms = durationMs(rawDuration);
    if (ms === null) return fail(`duration "${rawDuration}" is not a number of seconds`);
    seconds = ms / 1000;
    if (ms === 0) return fail('duration is 0 (unanswered attempt): nothing to bill', true);
  }

  const zone = defaults.timeZone;
  let zoneless = false;
  const time = (v: string) => {
    if (ZONELESS.test(v)) zoneless = true;
    return parseTime(v, zone);
  };
  let rawAnswer = get('answer_time');
  let answerOffset = 0;
  const callStart = get('call_start');
  if (rawAnswer === undefined && callStart !== undefined) {
    // calldate is when dialling began: the answer came (duration - billsec) seconds later.
    rawAnswer = callStart;
    const total = norm.get('duration');
    const billsec = norm.get('billsec');
    if (total !== undefined && billsec !== undefined && /^\d+$/.test(total) && /^\d+$/.test(billsec)) answerOffset = Math.max(0, Number(total) - Number(billsec)) * 1000;
  }
  if (rawAnswer === undefined) return fail('answer_time (or answer/answer_stamp/start/calldate) is required');
  const parsedAnswer = time(rawAnswer);
  const answer = parsedAnswer && new Date(parsedAnswer.getTime() + answerOffset);
  if (!answer) return fail(`answer_time "${rawAnswer}" is not a date-time (${TIME_FORMS})`);

  const rawEnd = get('end_time');
  let end: Date | null = null;
  if (rawEnd !== undefined) {
    end = time(rawEnd);
    if (!end) return fail(`end_time "${rawEnd}" is not a date-time (${TIME_FORMS})`);
  }
  // Times stored without their milliseconds (acc_cdrs DATETIME) end up to a second before answer + duration.
  if (end && seconds !== undefined && end.getTime() - answer.getTime() < seconds * 1000 && seconds * 1000 - (end.getTime() - answer.getTime()) < 1000) end = new Date(answer.getTime() + Math.round(seconds * 1000));
  if (seconds === undefined) {
    if (!end) return fail('duration (or billsec/call_duration) is required when end_time is missing');
    seconds = (end.getTime() - answer.getTime()) / 1000;
    if (seconds < 0) return fail('end_time is before answer_time');
    if (seconds === 0) return fail('duration is 0 (unanswered attempt): nothing to bill', true);
  }
  end ??= new Date(answer.getTime() + Math.round(seconds * 1000));

  const rawCalled = get('called_number');
  if (rawCalled === undefined) return fail('called_number (or dst/callee/b_number/destination_number) is required');
  const dialled = normalizeDialled(rawCalled, defaults.dialling ?? DEFAULT_DIALLING_PLAN);
  if (!dialled.ok) return fail(dialled.reason);
  const destination = dialled.digits;

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
    quantity: secondsText(Math.round(seconds * 1000)),
    destination,
  };
  if (equipmentId !== undefined) record.equipmentId = equipmentId;
  const requestId = get('request_id');
  if (requestId !== undefined) record.requestId = requestId;
  const endUserId = get('end_user_id');
  if (endUserId !== undefined) record.endUserId = endUserId;
  return { ok: true, lineNumber, record, derivedId, zoneless };
}
