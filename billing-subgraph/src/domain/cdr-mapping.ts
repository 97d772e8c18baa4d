/**
 * A column mapping for any CDR layout as a switch writes it: which column (by header name or
 * 1-based position) feeds each field, how times and durations are written, and which values
 * mean "not answered". A mapping turns a file's row into the canonical row `mapCdrRow` reads,
 * so the billing rules (dialling, ids, skipping unanswered calls) stay in one place.
 * `--mapping FILE` (JSON of `CdrMappingSpec`) and the importer's options build one; the
 * presets in `cdr-layouts/` are mappings too.
 */
import { CDR_COLUMNS } from './cdr-csv';
import { durationMs, secondsText } from './cdr-duration';

export const MAPPED_FIELDS = [
  'record_id', 'calling_number', 'called_number', 'answer_time', 'end_time', 'duration',
  // When dialling began and the call's whole length (ringing included): with `duration` (answered
  // seconds) they give the answer instant, start + total - duration, for files with no answer time.
  'call_start', 'total_duration',
  'disposition', 'equipment_id', 'buyer_id', 'carrier_id', 'request_id', 'end_user_id',
] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

/** A header name, or a 1-based column position; a list means "the first one that is filled". */
export type ColumnRef = string | number | (string | number)[];

export const TIME_FORMATS = ['iso', 'iso-local', 'epoch', 'epoch-ms', 'rfc2822'] as const;

export interface CdrMappingSpec {
  /** Field separator: one character ("," by default; "\t" for TSV). */
  delimiter?: string;
  /** Quotes inside fields are not doubled (FreePBX's report export): read them as written. */
  relaxQuotes?: boolean;
  /** The first record names the columns; when absent, decided from the record's look. */
  header?: boolean;
  /** Records to skip after the header (or at the top without one), e.g. CUCM's row of types. */
  skipRows?: number;
  /** Column names by position, for a file without a header. */
  columns?: string[];
  /** Where each field comes from; fields not given are found by their usual names (--layout). */
  fields?: Partial<Record<MappedField, ColumnRef>>;
  /** How times are written: iso, iso-local, epoch, epoch-ms, rfc2822, or a pattern such as 'dd/MM/yyyy HH:mm:ss'. */
  timeFormat?: string;
  /** Unit of the duration columns: seconds (default, decimals allowed) or milliseconds. */
  durationUnit?: 's' | 'ms';
  /** Values of the disposition field that mean the call was not answered (case-insensitive). */
  unansweredValues?: string[];
}

export type MappingCheck = { ok: true; spec: CdrMappingSpec } | { ok: false; reason: string };

const isRef = (v: unknown): boolean =>
  (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isInteger(v) && v >= 1) || (Array.isArray(v) && v.length > 0 && v.every((x) => !Array.isArray(x) && isRef(x)));

/** Validates a mapping read from JSON (or built from options); says which key is wrong. */
export function checkMappingSpec(raw: unknown): MappingCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'the mapping must be a JSON object' };
  const m = raw as Record<string, unknown>;
  const known = ['format', 'delimiter', 'relaxQuotes', 'header', 'skipRows', 'columns', 'fields', 'timeFormat', 'durationUnit', 'unansweredValues'];
  const unknown = Object.keys(m).filter((k) => !known.includes(k));
  if (unknown.length) return { ok: false, reason: `unknown mapping key(s) ${unknown.join(', ')} (known: ${known.join(', ')})` };
  if (m.delimiter !== undefined && (typeof m.delimiter !== 'string' || [...m.delimiter].length !== 1 || m.delimiter === '"' || m.delimiter === '\n')) return { ok: false, reason: 'delimiter must be one character (e.g. "," ";" "|" or "\\t"), not a quote or a newline' };
  if (m.relaxQuotes !== undefined && typeof m.relaxQuotes !== 'boolean') return { ok: false, reason: 'relaxQuotes must be true or false' };
  if (m.header !== undefined && typeof m.header !== 'boolean') return { ok: false, reason: 'header must be true or false' };
  if (m.skipRows !== undefined && !(Number.isInteger(m.skipRows) && (m.skipRows as number) >= 0 && (m.skipRows as number) <= 100)) return { ok: false, reason: 'skipRows must be an integer from 0 to 100' };
  if (m.columns !== undefined && !(Array.isArray(m.columns) && m.columns.length > 0 && m.columns.every((c) => typeof c === 'string' && c.trim() !== ''))) return { ok: false, reason: 'columns must be a list of column names' };
  if (m.fields !== undefined) {
    if (typeof m.fields !== 'object' || m.fields === null || Array.isArray(m.fields)) return { ok: false, reason: 'fields must be an object of field: column' };
    for (const [k, v] of Object.entries(m.fields)) {
      if (!(MAPPED_FIELDS as readonly string[]).includes(k)) return { ok: false, reason: `fields.${k} is not a field (fields: ${MAPPED_FIELDS.join(', ')})` };
      if (!isRef(v)) return { ok: false, reason: `fields.${k} must be a column name, a 1-based position, or a list of them` };
    }
  }
  if (m.timeFormat !== undefined) {
    if (typeof m.timeFormat !== 'string') return { ok: false, reason: 'timeFormat must be a string' };
    const t = timeParser(m.timeFormat);
    if (!t.ok) return { ok: false, reason: t.reason };
  }
  if (m.durationUnit !== undefined && m.durationUnit !== 's' && m.durationUnit !== 'ms') return { ok: false, reason: 'durationUnit must be "s" or "ms"' };
  if (m.unansweredValues !== undefined && !(Array.isArray(m.unansweredValues) && m.unansweredValues.every((v) => typeof v === 'string'))) return { ok: false, reason: 'unansweredValues must be a list of strings' };
  const { format: _format, ...spec } = m;
  return { ok: true, spec: spec as CdrMappingSpec };
}

/** A merged mapping: later specs override earlier ones; `fields` merge key by key. */
export function mergeSpecs(...specs: (CdrMappingSpec | undefined)[]): CdrMappingSpec {
  const out: CdrMappingSpec = {};
  for (const s of specs) {
    if (!s) continue;
    const { fields, ...rest } = s;
    Object.assign(out, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (fields) out.fields = { ...out.fields, ...fields };
  }
  return out;
}

// ---- times ------------------------------------------------------------------------------

/**
 * A time parser gives an ISO 8601 instant ("...Z"), or a zoneless wall time
 * ("YYYY-MM-DDTHH:MM:SS.sss") that `mapCdrRow` reads in --timezone, or null when unreadable.
 */
export type TimeParser = (v: string) => string | null;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const wall = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) => {
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Rejects 31 April, 25:00 and the like instead of rolling them over.
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}`;
};

const epochToIso = (v: string, unit: 1 | 1000): string | null => {
  if (!/^\d{1,13}(\.\d+)?$/.test(v)) return null;
  const ms = Math.round((Number(v) * 1000) / unit);
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
};

/** RFC 2822 (Twilio: "Tue, 03 Nov 2026 15:00:00 +0000"); a zone is required. */
const RFC2822 = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|GMT|UT|UTC|Z)$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
function parseRfc2822(v: string): string | null {
  const m = RFC2822.exec(v);
  if (!m) return null;
  const mo = MONTHS.indexOf(m[2].toLowerCase()) + 1;
  if (mo === 0) return null;
  const local = wall(Number(m[3]), mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  if (!local) return null;
  const zone = /^[+-]\d{4}$/.test(m[7]) ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : 'Z';
  return new Date(`${local}${zone}`).toISOString();
}

const PATTERN_TOKENS: [string, string, string][] = [
  ['yyyy', '(\\d{4})', 'y'], ['MM', '(\\d{1,2})', 'M'], ['dd', '(\\d{1,2})', 'd'], ['HH', '(\\d{1,2})', 'H'],
  ['mm', '(\\d{2})', 'm'], ['ss', '(\\d{2})', 's'], ['SSS', '(\\d{1,3})', 'S'],
];

/** Compiles a time format (a name or a 'yyyy-MM-dd HH:mm:ss'-style pattern) to a parser. */
export function timeParser(format: string): { ok: true; parse: TimeParser; zoneless: boolean } | { ok: false; reason: string } {
  switch (format) {
    case 'iso':
    case 'iso-local':
      // mapCdrRow reads both (a zone when written, --timezone when not).
      return { ok: true, parse: (v) => v, zoneless: format === 'iso-local' };
    case 'epoch':
      return { ok: true, parse: (v) => epochToIso(v, 1), zoneless: false };
    case 'epoch-ms':
      return { ok: true, parse: (v) => epochToIso(v, 1000), zoneless: false };
    case 'rfc2822':
      return { ok: true, parse: parseRfc2822, zoneless: false };
  }
  let re = '';
  const order: string[] = [];
  for (let i = 0; i < format.length; ) {
    const tok = PATTERN_TOKENS.find(([t]) => format.startsWith(t, i));
    if (tok) {
      re += tok[1];
      order.push(tok[2]);
      i += tok[0].length;
    } else {
      if (/[A-Za-z]/.test(format[i])) return { ok: false, reason: `time format "${format}": "${format[i]}" is not understood (use iso, iso-local, epoch, epoch-ms, rfc2822 or a pattern of yyyy MM dd HH mm ss SSS)` };
      re += format[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  for (const need of ['y', 'M', 'd', 'H', 'm']) if (!order.includes(need)) return { ok: false, reason: `time format "${format}" needs yyyy, MM, dd, HH and mm` };
  const rx = new RegExp(`^${re}$`);
  return {
    ok: true,
    zoneless: true,
    parse: (v) => {
      const m = rx.exec(v);
      if (!m) return null;
      const part = (k: string) => {
        const i = order.indexOf(k);
        return i < 0 ? 0 : Number(k === 'S' ? m[i + 1].padEnd(3, '0') : m[i + 1]);
      };
      return wall(part('y'), part('M'), part('d'), part('H'), part('m'), part('s'), part('S'));
    },
  };
}

// ---- rows -------------------------------------------------------------------------------

const normName = (h: string) => h.toLowerCase().replace(/[\s_-]+/g, '');
const ALIASED = new Set(Object.values(CDR_COLUMNS).flat().map(normName));

export type CanonicalRow = { ok: true; row: Record<string, string> } | { ok: false; reason: string };

/**
 * Applies a mapping to one record (`values` by position, `named` by the file's column names)
 * and gives the canonical row for `mapCdrRow`: times as ISO instants or zoneless wall times,
 * durations in seconds. Columns that are not a CDR field (dstchannel, gateway, ...) pass through.
 */
export function canonicalRow(values: string[], named: Record<string, string>, spec: CdrMappingSpec): CanonicalRow {
  const byNorm = new Map<string, string>();
  for (const [k, v] of Object.entries(named)) {
    const t = (v ?? '').trim();
    if (t !== '' && !byNorm.has(normName(k))) byNorm.set(normName(k), t);
  }
  const one = (r: string | number): string | undefined => {
    const v = typeof r === 'number' ? values[r - 1]?.trim() : byNorm.get(normName(r));
    return v === '' ? undefined : v;
  };
  const pick = (field: MappedField): string | undefined => {
    const ref = spec.fields?.[field];
    if (ref !== undefined) {
      for (const r of Array.isArray(ref) ? ref : [ref]) {
        const v = one(r);
        if (v !== undefined) return v;
      }
      return undefined;
    }
    const aliases: readonly string[] = field === 'total_duration' ? [] : CDR_COLUMNS[field as keyof typeof CDR_COLUMNS] ?? [];
    for (const a of aliases) {
      const v = byNorm.get(normName(a));
      if (v !== undefined) return v;
    }
    return undefined;
  };

  const row: Record<string, string> = {};
  for (const [k, v] of Object.entries(named)) if (!ALIASED.has(normName(k)) && !(MAPPED_FIELDS as readonly string[]).includes(k)) row[k] = v;

  const fmt = spec.timeFormat ? timeParser(spec.timeFormat) : null;
  const time = (field: MappedField): { ok: true; v?: string } | { ok: false; reason: string } => {
    const raw = pick(field);
    if (raw === undefined) return { ok: true };
    if (!fmt || !fmt.ok) return { ok: true, v: raw };
    // Epoch 0 is how CUCM (and others) write "never" (e.g. dateTimeConnect of an unanswered call).
    if ((spec.timeFormat === 'epoch' || spec.timeFormat === 'epoch-ms') && /^0+$/.test(raw)) return { ok: true };
    const v = fmt.parse(raw);
    return v === null ? { ok: false, reason: `${field} "${raw}" is not a time in the format ${spec.timeFormat}` } : { ok: true, v };
  };
  const unit = spec.durationUnit ?? 's';
  const duration = (field: MappedField): { ok: true; ms?: number } | { ok: false; reason: string } => {
    const raw = pick(field);
    if (raw === undefined) return { ok: true };
    const ms = durationMs(raw, unit);
    return ms === null ? { ok: false, reason: `${field} "${raw}" is not a number of ${unit === 'ms' ? 'milliseconds' : 'seconds'}` } : { ok: true, ms };
  };

  for (const f of ['record_id', 'calling_number', 'called_number', 'equipment_id', 'buyer_id', 'carrier_id', 'request_id', 'end_user_id'] as const) {
    const v = pick(f);
    if (v !== undefined) row[f] = v;
  }
  const disposition = pick('disposition');
  if (disposition !== undefined) {
    const unanswered = spec.unansweredValues?.some((u) => u.toLowerCase() === disposition.toLowerCase());
    row.disposition = unanswered ? 'NO ANSWER' : disposition;
  }

  const answer = time('answer_time');
  if (!answer.ok) return answer;
  const end = time('end_time');
  if (!end.ok) return end;
  const start = time('call_start');
  if (!start.ok) return start;
  const billed = duration('duration');
  if (!billed.ok) return billed;
  const total = duration('total_duration');
  if (!total.ok) return total;
  if (billed.ms !== undefined) row.duration = secondsText(billed.ms);
  if (end.v !== undefined) row.end_time = end.v;
  if (answer.v !== undefined) row.answer_time = answer.v;
  else if (billed.ms !== undefined && start.v !== undefined && total.ms !== undefined) {
    // Dialling began at start; the call lasted total, of which the last `duration` were answered.
    const at = shift(start.v, total.ms - billed.ms);
    if (at) row.answer_time = at;
  } else if (billed.ms !== undefined && end.v !== undefined) {
    // Only the end and the answered length are written (Twilio): answered = end - duration.
    const at = shift(end.v, -billed.ms);
    if (at) row.answer_time = at;
  } else if (start.v !== undefined) row.calldate = start.v;
  return { ok: true, row };
}

/** Moves an ISO instant or a zoneless wall time by `ms`, keeping its kind. */
function shift(t: string, ms: number): string | null {
  const zoneless = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t);
  const base = zoneless ? new Date(`${t.replace(' ', 'T')}Z`) : new Date(/^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : t);
  if (!Number.isFinite(base.getTime())) return null;
  const moved = new Date(base.getTime() + ms).toISOString();
  return zoneless ? moved.slice(0, -1) : moved;
}

// ---- quoting ----------------------------------------------------------------------------

/**
 * Splits one line whose quotes are not escaped (FreePBX's report export quotes a field only when
 * it holds a comma, and writes the quotes inside it as they are: `""Ops, London" <4420...>"`).
 * A quoted field ends at a quote followed by the delimiter; when `expected` (the header's column
 * count) is known, the split that yields exactly that many fields is chosen.
 */
export function splitRelaxed(line: string, delimiter: string, expected?: number): string[] {
  const tokens = line.split(delimiter);
  const opens = (t: string) => t.startsWith('"') && (t.length === 1 || !t.endsWith('"'));
  const closes = (t: string) => t.endsWith('"');
  const unquote = (t: string) => (t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t);
  const memo = new Map<string, string[] | null>();
  const go = (i: number, left: number | undefined): string[] | null => {
    if (i === tokens.length) return left === undefined || left === 0 ? [] : null;
    if (left !== undefined && left <= 0) return null;
    const key = `${i}:${left}`;
    if (memo.has(key)) return memo.get(key)!;
    const next = left === undefined ? undefined : left - 1;
    let found: string[] | null = null;
    if (opens(tokens[i])) {
      // Prefer the quoted reading (the field holds delimiters), then the literal one.
      for (let j = i + 1; j < tokens.length && !found; j++) {
        if (closes(tokens[j])) {
          const rest = go(j + 1, next);
          if (rest) found = [unquote(tokens.slice(i, j + 1).join(delimiter)), ...rest];
          if (left === undefined) break;
        }
      }
    }
    if (!found) {
      const rest = go(i + 1, next);
      if (rest) found = [unquote(tokens[i]), ...rest];
    }
    memo.set(key, found);
    return found;
  };
  return go(0, expected) ?? go(0, undefined) ?? tokens.map(unquote);
}
